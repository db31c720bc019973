// Tests for sim/harness/metrics.ts: HDR-backed latency percentiles, the bounded TimeSeries, and
// per-endpoint stats. Expected HDR figures are bucket tops at 3 significant digits (derived inline).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { build } from 'hdr-histogram-js';
import { EndpointStats, LatencyHistogram, TimeSeries, type LatencySummary } from './metrics.ts';

/** Percentiles compared between implementations in the equivalence checks. */
const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

/** Builds a LatencyHistogram holding `latenciesMs`. */
function histogramOf(latenciesMs: readonly number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const ms of latenciesMs) h.record(ms);
  return h;
}

/**
 * Percentile function (ms) of hdr-histogram-js fed the same µs values directly through its own
 * recordValue, clamped to the exact max as LatencyHistogram documents: the reference for its staging path.
 */
function directHdrPercentilesMs(latenciesMs: readonly number[]): (p: number) => number {
  const hdr = build({ useWebAssembly: false, bitBucketSize: 64, numberOfSignificantValueDigits: 3, autoResize: true });
  for (const ms of latenciesMs) hdr.recordValue(Math.round(ms * 1000));
  const maxUs = Math.round(Math.max(...latenciesMs) * 1000);
  return (p) => Math.min(hdr.getValueAtPercentile(p), maxUs) / 1000;
}

/** Latency arrays mixing µs-exact values (hitting HDR bucket edges) with arbitrary doubles, some past the 2^31 µs staging limit. */
const latencyArrays = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 5_000_000 }).map((us) => us / 1000),
    fc.double({ min: 0, max: 5_000_000, noNaN: true, noDefaultInfinity: true }),
    fc.double({ min: 0, max: 10, noNaN: true, noDefaultInfinity: true }),
  ),
  { minLength: 1, maxLength: 300 },
);

describe('LatencyHistogram', () => {
  it('reports HDR percentiles for 1..1000 ms uniform', () => {
    const h = histogramOf(Array.from({ length: 1000 }, (_, i) => i + 1));
    // 500 ms = 500000 µs sits in a 256 µs wide bucket [499968, 500223]; HDR reports its top.
    // Likewise p90 → [899584, 900095], p99 → [989696, 990207], p99.9 → [998912, 999423] (512 µs wide).
    expect(h.summary()).toEqual({
      p50: 500.223,
      p90: 900.095,
      p99: 990.207,
      p999: 999.423,
      max: 1000,
      mean: 500.5,
      count: 1000,
    });
    expect(Math.abs(h.percentile(50) - 500) / 500).toBeLessThan(1e-3);
    expect(Math.abs(h.percentile(99) - 990) / 990).toBeLessThan(1e-3);
    // HDR's top of 1000 ms's bucket is 1000.447; clamping to the exact max keeps p100 === max.
    expect(h.percentile(100)).toBe(1000);
    expect(h.percentile(0)).toBe(1);
    expect(h.count).toBe(1000);
  });

  it('is exact to the microsecond below 2.048 ms and rounds fractions to the µs', () => {
    const h = histogramOf([0.5, 1.25, 2.047, 1.2344, 0]);
    expect(h.percentile(0)).toBe(0);
    expect(h.percentile(40)).toBe(0.5);
    expect(h.percentile(60)).toBe(1.234); // 1.2344 ms → 1234 µs
    expect(h.percentile(80)).toBe(1.25);
    expect(h.percentile(100)).toBe(2.047);
    expect(h.summary().mean).toBe(1.006); // (0.5 + 1.25 + 2.047 + 1.2344 + 0) / 5 = 1.00628
  });

  it('handles latencies beyond the staging range (≥ 2^31 µs ≈ 35.8 min)', () => {
    const h = histogramOf([1, 3_000_000, 2, 3_000_000]);
    expect(h.count).toBe(4);
    expect(h.percentile(25)).toBe(1);
    expect(h.percentile(50)).toBe(2);
    expect(h.percentile(100)).toBe(3_000_000);
    expect(h.summary().max).toBe(3_000_000);
  });

  it('matches hdr-histogram-js fed directly at every power-of-two bucket edge', () => {
    const values: number[] = [];
    for (let shift = 0; shift <= 33; shift++) {
      const us = 2 ** shift;
      values.push((us - 1) / 1000, us / 1000, (us + 1) / 1000, (us * 1.5) / 1000);
    }
    const h = histogramOf(values);
    const direct = directHdrPercentilesMs(values);
    for (let p = 0; p <= 100; p += 0.5) expect(h.percentile(p)).toBe(direct(p));
  });

  it('reports all zeros when empty', () => {
    const h = new LatencyHistogram();
    expect(h.count).toBe(0);
    expect(h.percentile(50)).toBe(0);
    expect(h.percentile(100)).toBe(0);
    expect(h.summary()).toEqual({ p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 });
  });

  it('rejects negative and non-finite latencies with RangeError, recording nothing', () => {
    const h = histogramOf([5]);
    for (const bad of [-1, -0.001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => h.record(bad)).toThrow(RangeError);
    }
    expect(h.count).toBe(1);
    expect(h.summary().max).toBe(5);
  });

  it('rejects percentiles outside [0, 100] with RangeError', () => {
    const h = histogramOf([5]);
    for (const bad of [-1, 100.0001, Number.NaN]) {
      expect(() => h.percentile(bad)).toThrow(RangeError);
    }
  });

  it('merge equals recording both sets, and leaves the other histogram unchanged', () => {
    const a = Array.from({ length: 500 }, (_, i) => (i * 7.3) % 800);
    const b = Array.from({ length: 300 }, (_, i) => 1000 + ((i * 13.1) % 5000));
    const merged = histogramOf(a);
    const other = histogramOf(b);
    const otherBefore = other.summary();
    merged.merge(other);
    const both = histogramOf([...a, ...b]);
    expect(merged.summary()).toEqual(both.summary());
    for (const p of PERCENTILES) expect(merged.percentile(p)).toBe(both.percentile(p));
    expect(other.summary()).toEqual(otherBefore);
    // Recording after a merge still lands: staged counts and HDR counts combine.
    merged.record(1);
    both.record(1);
    expect(merged.summary()).toEqual(both.summary());
  });

  it('merges into and from empty histograms', () => {
    const empty = new LatencyHistogram();
    const full = histogramOf([1, 2, 3]);
    full.merge(empty);
    expect(full.summary()).toEqual(histogramOf([1, 2, 3]).summary());
    empty.merge(full);
    expect(empty.summary()).toEqual(full.summary());
  });

  it('refuses to merge into itself', () => {
    const h = histogramOf([1]);
    expect(() => h.merge(h)).toThrow(RangeError);
  });

  it('property: count and max are exact, p100 ≥ p50, p100 = max', () => {
    fc.assert(
      fc.property(latencyArrays, (latencies) => {
        const h = histogramOf(latencies);
        const s = h.summary();
        const exactMax = Math.round(Math.max(...latencies) * 1000) / 1000;
        expect(h.count).toBe(latencies.length);
        expect(s.count).toBe(latencies.length);
        expect(s.max).toBe(exactMax);
        expect(h.percentile(100)).toBeGreaterThanOrEqual(h.percentile(50));
        expect(h.percentile(100)).toBe(exactMax);
        expect(s.p50).toBeLessThanOrEqual(s.p90);
        expect(s.p90).toBeLessThanOrEqual(s.p99);
        expect(s.p99).toBeLessThanOrEqual(s.p999);
        expect(s.p999).toBeLessThanOrEqual(s.max);
      }),
      { numRuns: 200 },
    );
  });

  it('property: percentiles are identical to hdr-histogram-js recording the same µs values', () => {
    fc.assert(
      fc.property(latencyArrays, (latencies) => {
        const h = histogramOf(latencies);
        const direct = directHdrPercentilesMs(latencies);
        for (const p of PERCENTILES) expect(h.percentile(p)).toBe(direct(p));
        // The summary finds its four in one pass over the stage: the same values.
        const { p50, p90, p99, p999 } = h.summary();
        expect([p50, p90, p99, p999]).toEqual([direct(50), direct(90), direct(99), direct(99.9)]);
      }),
      { numRuns: 100 },
    );
  });

  it('property: merge of two histograms equals one histogram of both', () => {
    fc.assert(
      fc.property(latencyArrays, latencyArrays, (a, b) => {
        const merged = histogramOf(a);
        merged.merge(histogramOf(b));
        const both = histogramOf([...a, ...b]);
        expect(merged.summary()).toEqual(both.summary());
        for (const p of PERCENTILES) expect(merged.percentile(p)).toBe(both.percentile(p));
      }),
      { numRuns: 100 },
    );
  });

  it('merge gives exactly the same mean as one histogram (found by fast-check: float sums depend on order)', () => {
    const a = [0, 4768.474, 0, 3558.068, 4609.689, 0, 0, 1143.186, 0, 3641.545];
    const b = [0, 0, 0, 0, 3496.99, 3047.656];
    const merged = histogramOf(a);
    merged.merge(histogramOf(b));
    expect(merged.summary()).toEqual(histogramOf([...a, ...b]).summary());
    expect(merged.summary().mean).toBe(1516.601); // 24265608 µs / 16 = 1516600.5 µs, rounded half up
  });
});

describe('TimeSeries', () => {
  it('defaults to 1000 ms buckets and is empty before any record', () => {
    const ts = new TimeSeries();
    expect(ts.bucketMs).toBe(1000);
    expect(ts.buckets()).toEqual([]);
  });

  it('assigns records to [startMs, endMs) buckets, dense from 0 through the last with data', () => {
    const ts = new TimeSeries({ bucketMs: 100 });
    ts.record(0, 1, true);
    ts.record(99.999, 1, true);
    ts.record(100, 1, false);
    ts.record(350, 1, true);
    const b = ts.buckets();
    expect(b.map((x) => [x.startMs, x.endMs, x.ok, x.failed])).toEqual([
      [0, 100, 2, 0],
      [100, 200, 0, 1],
      [200, 300, 0, 0],
      [300, 400, 1, 0],
    ]);
    // An empty slice reports zeros everywhere.
    expect(b[2]).toEqual({
      startMs: 200,
      endMs: 300,
      ok: 0,
      failed: 0,
      throughputPerSec: 0,
      errorRate: 0,
      p50Ms: 0,
      p99Ms: 0,
      maxMs: 0,
      meanMs: 0,
    });
  });

  it('computes throughput per virtual second (ok + failed) and error rate', () => {
    const ts = new TimeSeries({ bucketMs: 500 });
    for (let i = 0; i < 9; i++) ts.record(100 + i, 2, i >= 3); // 6 ok, 3 failed in [0, 500)
    ts.record(600, 2, false);
    const [first, second] = ts.buckets();
    expect(first.throughputPerSec).toBe(18); // 9 requests in 0.5 s
    expect(first.errorRate).toBe(3 / 9);
    expect(first.ok).toBe(6);
    expect(first.failed).toBe(3);
    expect(second.throughputPerSec).toBe(2);
    expect(second.errorRate).toBe(1);
  });

  it('reports exact max and mean and sketch-estimated p50/p99 per bucket', () => {
    const ts = new TimeSeries({ bucketMs: 1000 });
    for (let i = 1; i <= 100; i++) ts.record(10, i, true);
    const [b] = ts.buckets();
    expect(b.maxMs).toBe(100);
    expect(b.meanMs).toBe(50.5);
    // 50 ms = 50000 µs falls in sketch bin [49152, 57344), which holds the 8 samples 50..57 ms; the
    // 50th of 100 is the 1st of those, interpolated to 49152 + 8192 × (1 - 0.5) / 8 = 49664 µs.
    expect(Math.abs(b.p50Ms - 50) / 50).toBeLessThan(0.05);
    expect(b.p50Ms).toBe(49.664);
    // p99 (true value 99) interpolates past the max and is clamped to it.
    expect(b.p99Ms).toBe(100);
  });

  it('reports identical latencies exactly (estimates clamp to the bucket min and max)', () => {
    const ts = new TimeSeries();
    for (let i = 0; i < 50; i++) ts.record(1, 7.25, true);
    ts.record(1, 0.002, true); // bins below 4 µs are exact
    const [b] = ts.buckets();
    expect(b.p50Ms).toBe(7.25);
    expect(b.p99Ms).toBe(7.25);
    const single = new TimeSeries();
    single.record(0, 0.002, false);
    expect(single.buckets()[0].p50Ms).toBe(0.002);
  });

  it('merges adjacent pairs and doubles bucketMs when a time beyond capacity arrives', () => {
    const ts = new TimeSeries({ bucketMs: 10, maxBuckets: 4 });
    ts.record(5, 1, true);
    ts.record(15, 2, false);
    ts.record(25, 3, true);
    ts.record(35, 4, true);
    expect(ts.bucketMs).toBe(10);
    ts.record(45, 5, true); // index 4 ≥ maxBuckets → compact once to 20 ms buckets
    expect(ts.bucketMs).toBe(20);
    expect(ts.buckets().map((x) => [x.startMs, x.endMs, x.ok, x.failed, x.maxMs, x.meanMs])).toEqual([
      [0, 20, 1, 1, 2, 1.5],
      [20, 40, 2, 0, 4, 3.5],
      [40, 60, 1, 0, 5, 5],
    ]);
    // Early times keep landing correctly at the new width.
    ts.record(19, 1, true);
    expect(ts.buckets()[0].ok).toBe(2);
  });

  it('compacts correctly with an odd maxBuckets', () => {
    const ts = new TimeSeries({ bucketMs: 1, maxBuckets: 3 });
    ts.record(0, 1, true);
    ts.record(1, 1, true);
    ts.record(2, 1, false);
    ts.record(3, 1, true); // → 2 ms buckets: [0,2) ← {0,1}, [2,4) ← {2} + new {3}
    expect(ts.bucketMs).toBe(2);
    expect(ts.buckets().map((x) => [x.ok, x.failed])).toEqual([
      [2, 0],
      [1, 1],
    ]);
  });

  it('stays within maxBuckets and conserves totals for times far beyond capacity', () => {
    const ts = new TimeSeries({ bucketMs: 10, maxBuckets: 8 });
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < 1000; i++) {
      const isOk = i % 7 !== 0;
      ts.record(i * 3, (i % 50) + 1, isOk);
      if (isOk) ok++;
      else failed++;
    }
    ts.record(10_000, 123, true); // 10_000 / (10 × 2^k) < 8 first holds at k = 7
    ok++;
    expect(ts.bucketMs).toBe(1280);
    let b = ts.buckets();
    expect(b.length).toBeLessThanOrEqual(8);
    expect(b.reduce((n, x) => n + x.ok, 0)).toBe(ok);
    expect(b.reduce((n, x) => n + x.failed, 0)).toBe(failed);
    expect(Math.max(...b.map((x) => x.maxMs))).toBe(123);

    ts.record(1e15, 1, false); // ~ 2^40 doublings' worth of time in one call
    failed++;
    b = ts.buckets();
    expect(b.length).toBeLessThanOrEqual(8);
    expect(b.reduce((n, x) => n + x.ok, 0)).toBe(ok);
    expect(b.reduce((n, x) => n + x.failed, 0)).toBe(failed);
    expect(b[b.length - 1].endMs).toBeGreaterThan(1e15);
    expect(Math.log2(ts.bucketMs / 10) % 1).toBe(0);
  });

  it('rejects invalid times, latencies and options with RangeError', () => {
    const ts = new TimeSeries();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => ts.record(bad, 1, true)).toThrow(RangeError);
      expect(() => ts.record(0, bad, true)).toThrow(RangeError);
    }
    expect(ts.buckets()).toEqual([]);
    expect(() => new TimeSeries({ bucketMs: 0 })).toThrow(RangeError);
    expect(() => new TimeSeries({ bucketMs: Number.NaN })).toThrow(RangeError);
    expect(() => new TimeSeries({ maxBuckets: 1 })).toThrow(RangeError);
    expect(() => new TimeSeries({ maxBuckets: 2.5 })).toThrow(RangeError);
  });

  it('property: bounded, conserving, dense, and p50 ≤ p99 ≤ max in every bucket', () => {
    const record = fc.record({
      atMs: fc.double({ min: 0, max: 1e7, noNaN: true, noDefaultInfinity: true }),
      latencyMs: fc.double({ min: 0, max: 1e5, noNaN: true, noDefaultInfinity: true }),
      ok: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 2, max: 16 }),
        fc.constantFrom(0.5, 1, 100, 1000),
        (records, maxBuckets, bucketMs) => {
          const ts = new TimeSeries({ bucketMs, maxBuckets });
          for (const r of records) ts.record(r.atMs, r.latencyMs, r.ok);
          const b = ts.buckets();
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(maxBuckets);
          expect(Math.log2(ts.bucketMs / bucketMs) % 1).toBe(0);
          expect(b.reduce((n, x) => n + x.ok, 0)).toBe(records.filter((r) => r.ok).length);
          expect(b.reduce((n, x) => n + x.failed, 0)).toBe(records.filter((r) => !r.ok).length);
          const maxLatency = Math.max(...records.map((r) => r.latencyMs));
          expect(Math.max(...b.map((x) => x.maxMs))).toBe(Math.round(maxLatency * 1000) / 1000);
          b.forEach((x, i) => {
            expect(x.startMs).toBe(i * ts.bucketMs);
            expect(x.endMs).toBe((i + 1) * ts.bucketMs);
            expect(x.p50Ms).toBeLessThanOrEqual(x.p99Ms);
            expect(x.p99Ms).toBeLessThanOrEqual(x.maxMs);
          });
          expect(b[b.length - 1].ok + b[b.length - 1].failed).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('EndpointStats', () => {
  it('is empty before any record', () => {
    const stats = new EndpointStats();
    expect(stats.endpoints()).toEqual([]);
    expect(stats.totals()).toEqual({ total: 0, ok: 0, failed: 0 });
  });

  it('lists endpoints in first-recorded order', () => {
    const stats = new EndpointStats();
    for (const name of ['GET /b', 'GET /a', 'POST /c', 'GET /a', 'GET /b']) stats.record(name, 1, true);
    expect(stats.endpoints().map((e) => e.endpoint)).toEqual(['GET /b', 'GET /a', 'POST /c']);
  });

  it('computes availability, error counts by code, and totals', () => {
    const stats = new EndpointStats();
    stats.record('GET /orders', 10, true);
    stats.record('GET /orders', 20, true);
    stats.record('GET /orders', 30, true);
    stats.record('GET /orders', 1000, false, 'timeout');
    stats.record('GET /orders', 5, false, '503');
    stats.record('GET /orders', 1000, false, 'timeout');
    stats.record('GET /orders', 1, false); // no code → "unknown"
    stats.record('GET /orders', 4, true, 'ignored'); // a code on success is not an error
    stats.record('GET /users', 2, true);
    const [orders, users] = stats.endpoints();
    expect(orders.total).toBe(8);
    expect(orders.ok).toBe(4);
    expect(orders.failed).toBe(4);
    expect(orders.availability).toBe(0.5);
    expect(orders.errors).toEqual({ timeout: 2, '503': 1, unknown: 1 });
    expect(Object.keys(orders.errors)).toEqual(['503', 'timeout', 'unknown']); // integer-like keys sort first in JS objects
    expect(users.availability).toBe(1);
    expect(users.errors).toEqual({});
    expect(stats.totals()).toEqual({ total: 9, ok: 5, failed: 4 });
  });

  it('summarises latency over all requests, ok and failed, like a LatencyHistogram', () => {
    const stats = new EndpointStats();
    const latencies = [3, 1, 4, 1, 5, 9, 2, 6];
    latencies.forEach((ms, i) => stats.record('rpc', ms, i % 3 !== 0, 'boom'));
    const expected: LatencySummary = histogramOf(latencies).summary();
    expect(stats.endpoints()[0].latencyMs).toEqual(expected);
    expect(expected.max).toBe(9);
    expect(expected.count).toBe(8);
  });

  it('keeps unusual error codes such as "__proto__" as ordinary keys', () => {
    const stats = new EndpointStats();
    stats.record('x', 1, false, '__proto__');
    stats.record('x', 1, false, 'constructor');
    const { errors } = stats.endpoints()[0];
    expect(Object.keys(errors)).toEqual(['__proto__', 'constructor']);
    expect(errors['__proto__']).toBe(1);
    expect(errors['constructor']).toBe(1);
  });

  it('rejects an invalid latency without creating the endpoint', () => {
    const stats = new EndpointStats();
    expect(() => stats.record('x', -1, true)).toThrow(RangeError);
    expect(() => stats.record('x', Number.NaN, false, 'e')).toThrow(RangeError);
    expect(stats.endpoints()).toEqual([]);
    expect(stats.totals()).toEqual({ total: 0, ok: 0, failed: 0 });
  });
});
