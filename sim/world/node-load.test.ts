import { describe, expect, it } from 'vitest';
import { NodeLoadMeter } from './node-load.ts';

describe('NodeLoadMeter', () => {
  it('integrates each interval with the counts that held during it', () => {
    const meter = new NodeLoadMeter(1000, 8);
    meter.advance(100, 0, 0); // idle until 100
    meter.advance(600, 2, 1); // 2 busy, 1 queued for 500 ms
    meter.advance(1600, 1, 0); // 1 busy for 1000 ms, across a slice boundary
    expect(meter.busyWorkerMs).toBe(2 * 500 + 1 * 1000);
    expect(meter.queuedRequestMs).toBe(500);
    expect(meter.buckets(2000)).toEqual([
      { startMs: 0, endMs: 1000, busyWorkers: (2 * 500 + 400) / 1000, queueLength: 0.5 },
      { startMs: 1000, endMs: 2000, busyWorkers: 0.6, queueLength: 0 },
    ]);
  });

  it('merges neighbouring slices when time runs past its capacity, conserving the totals', () => {
    const meter = new NodeLoadMeter(1000, 4);
    meter.advance(0, 0, 0);
    meter.advance(4000, 1, 0); // fills slices 0..3
    meter.advance(6000, 2, 0); // needs slice 5: width doubles to 2000 ms
    const buckets = meter.buckets();
    expect(buckets.map((bucket) => [bucket.startMs, bucket.endMs])).toEqual([[0, 2000], [2000, 4000], [4000, 6000]]);
    expect(buckets.map((bucket) => bucket.busyWorkers)).toEqual([1, 1, 2]);
    expect(buckets.reduce((sum, bucket) => sum + bucket.busyWorkers * (bucket.endMs - bucket.startMs), 0)).toBe(meter.busyWorkerMs);
  });

  it('advances to its clock\'s time exactly as advance does to the same time', () => {
    const clock = { nowMs: 0 };
    const clocked = new NodeLoadMeter(1000, 4, clock);
    const explicit = new NodeLoadMeter(1000, 4);
    const steps: [number, number, number][] = [[250.5, 0, 0], [900, 1, 3], [1700.25, 2, 0], [5200, 1, 1], [5200, 3, 0], [9100, 0, 2]];
    for (const [nowMs, busy, queued] of steps) {
      clock.nowMs = nowMs;
      clocked.advanceToNow(busy, queued);
      explicit.advance(nowMs, busy, queued);
    }
    expect(clocked.busyWorkerMs).toBe(explicit.busyWorkerMs);
    expect(clocked.queuedRequestMs).toBe(explicit.queuedRequestMs);
    expect(clocked.buckets(10_000)).toEqual(explicit.buckets(10_000));
  });
});
