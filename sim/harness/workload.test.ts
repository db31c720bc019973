// Tests for sim/harness/workload.ts: open-loop Poisson arrivals from the workload stream (rate functions,
// limits, the horizon), closed-loop clients with think time, metrics, and validation.
import { describe, expect, it } from 'vitest';
import { World } from '../world/world.ts';
import { Simulation } from '../engine/simulation.ts';
import { WorkloadDriver, WorkloadMetrics, validateWorkload, type OpenWorkload, type RequestSpec, type WorkloadSpec } from './workload.ts';
import { ConfigError } from '../engine/errors.ts';
import type { Rng } from '../engine/rng.ts';

/** A world with an echo node `svc` (service `serviceMs`), a driver on it, and a log of send times. */
function drive(spec: WorkloadSpec, untilMs: number, options: { seed?: number; serviceMs?: number; extraNodes?: number } = {}) {
  const world = new World(options.seed ?? 1);
  const sentAtMs: number[] = [];
  world.addNode('svc', () => ({
    handlers: {
      get: { serviceTimeMs: options.serviceMs ?? 1, handle: () => 'ok' },
      other: () => 'other',
    },
  }));
  for (let index = 0; index < (options.extraNodes ?? 0); index++) world.addNode(`extra${index}`, () => ({}));
  const metrics = new WorkloadMetrics(1000);
  const driver = new WorkloadDriver(world, spec, () => 'svc', metrics, untilMs);
  world.sim.trace.addFilteredSink(['span'], (event) => sentAtMs.push(event.span!.startMs));
  return { world, metrics, driver, sentAtMs };
}

const get = (): RequestSpec => ({ endpoint: 'GET /x', method: 'get' });

describe('open workload', () => {
  it('arrivals are exponential gaps drawn from the workload/arrivals stream', async () => {
    const { world, driver, sentAtMs } = drive({ kind: 'open', ratePerSec: 100, request: get }, 300, { seed: 4 });
    driver.start();
    await world.sim.run();
    const arrivals = new Simulation(4).rng.fork('workload').fork('arrivals');
    const expected: number[] = [];
    for (let nowMs = 0; ; ) {
      const gapMs = arrivals.exponential(10);
      if (nowMs + gapMs >= 300) break;
      nowMs += gapMs;
      expected.push(nowMs);
    }
    expect(sentAtMs).toEqual(expected);
    expect(expected.length).toBeGreaterThan(15);
  });

  it('sends about ratePerSec × duration requests; the same seed sends at the same times', async () => {
    const run = async (seed: number) => {
      const { world, driver, metrics, sentAtMs } = drive({ kind: 'open', ratePerSec: 200, request: get }, 2000, { seed });
      driver.start();
      await world.sim.run();
      return { sent: metrics.sent, sentAtMs };
    };
    const first = await run(1);
    expect(first.sent).toBeGreaterThan(340);
    expect(first.sent).toBeLessThan(460);
    expect((await run(1)).sentAtMs).toEqual(first.sentAtMs);
    expect((await run(2)).sentAtMs).not.toEqual(first.sentAtMs);
  });

  it('adding nodes does not shift the arrivals (named streams)', async () => {
    const times = async (extraNodes: number) => {
      const { world, driver, sentAtMs } = drive({ kind: 'open', ratePerSec: 100, request: get }, 500, { extraNodes });
      driver.start();
      await world.sim.run();
      return sentAtMs;
    };
    expect(await times(3)).toEqual(await times(0));
  });

  it('a rate function of time: zero pauses arrivals, re-checked each virtual second', async () => {
    const ratePerSec = (nowMs: number): number => (nowMs < 2000 ? 0 : 50);
    const { world, driver, sentAtMs } = drive({ kind: 'open', ratePerSec, request: get }, 3000);
    driver.start();
    await world.sim.run();
    expect(sentAtMs.length).toBeGreaterThan(20);
    expect(Math.min(...sentAtMs)).toBeGreaterThan(2000);
    expect(Math.max(...sentAtMs)).toBeLessThan(3000);
  });

  it('maxRequests caps the arrivals; stop() ends them while in-flight requests finish', async () => {
    const capped = drive({ kind: 'open', ratePerSec: 1000, maxRequests: 7, request: get }, 10_000);
    capped.driver.start();
    await capped.world.sim.run();
    expect(capped.metrics.sent).toBe(7);
    expect(capped.metrics.ok).toBe(7);

    const stopped = drive({ kind: 'open', ratePerSec: 1000, request: get }, 10_000, { serviceMs: 50 });
    stopped.driver.start();
    stopped.world.sim.schedule(100, () => stopped.driver.stop());
    await stopped.world.sim.run();
    expect(Math.max(...stopped.sentAtMs)).toBeLessThan(100);
    expect(stopped.metrics.ok + stopped.metrics.failed).toBe(stopped.metrics.sent);
  });

  it('onlyRequests sends just those indexes; the others are still drawn, so the kept ones do not change', async () => {
    const payloads: unknown[] = [];
    const request = (rng: Rng, index: number): RequestSpec => ({ endpoint: 'GET /x', method: 'get', payload: { index, draw: rng.int(0, 1_000_000) } });
    const every: RequestSpec[] = [];
    const record = (rng: Rng, index: number): RequestSpec => {
      const spec = request(rng, index);
      every.push(spec);
      return spec;
    };
    const full = drive({ kind: 'open', ratePerSec: 1000, maxRequests: 6, request: record }, 10_000);
    full.driver.start();
    await full.world.sim.run();
    const some = drive({ kind: 'open', ratePerSec: 1000, maxRequests: 6, onlyRequests: [1, 4], request: (rng, index) => {
      const spec = request(rng, index);
      payloads.push(spec.payload);
      return spec;
    } }, 10_000);
    some.driver.start();
    await some.world.sim.run();
    expect(some.metrics.sent).toBe(2);
    expect(some.sentAtMs).toEqual([full.sentAtMs[1], full.sentAtMs[4]]);
    expect(payloads).toEqual(every.map((spec) => spec.payload));
    expect(() => validateWorkload({ kind: 'open', ratePerSec: 1, onlyRequests: [-1], request: get })).toThrow('workload onlyRequests must be a list of whole numbers >= 0 (request indexes)');
  });

  it('passes its rng and a running index to the generator; honours per-request `to`, method and timeout', async () => {
    const seen: [number, boolean][] = [];
    const request = (rng: Rng, index: number): RequestSpec => {
      seen.push([index, typeof rng.next === 'function']);
      return index === 1 ? { endpoint: 'other', method: 'other', to: 'svc', timeoutMs: 0.5 } : { endpoint: 'GET /x', method: 'get' };
    };
    const { world, driver, metrics } = drive({ kind: 'open', ratePerSec: 1000, maxRequests: 3, request, timeoutMs: 0.5 }, 1000, { serviceMs: 1 });
    driver.start();
    await world.sim.run();
    expect(seen).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ]);
    // 'get' takes 1 ms against a 0.5 ms timeout; 'other' answers at once.
    expect(metrics.errors).toEqual(new Map([['timeout', 2]]));
    expect(metrics.endpoints.endpoints().map((e) => [e.endpoint, e.ok, e.failed])).toEqual([
      ['GET /x', 0, 2],
      ['other', 1, 0],
    ]);
  });
});

describe('closed workload', () => {
  it('each client sends, waits for the answer, thinks, and sends again: exact times', async () => {
    const spec: WorkloadSpec = { kind: 'closed', clients: 2, thinkTimeMs: { kind: 'constant', value: 10 }, request: get };
    const { world, driver, sentAtMs, metrics } = drive(spec, 60, { serviceMs: 5 });
    driver.start();
    await world.sim.run();
    // Both clients: 10, 25, 40, 55 (the next, 70, is past the horizon).
    expect(sentAtMs).toEqual([10, 10, 25, 25, 40, 40, 55, 55]);
    expect(metrics.latency.summary()).toMatchObject({ count: 8, p50: 5, max: 5 });
  });

  it('a failed request is followed by think time too', async () => {
    const spec: WorkloadSpec = { kind: 'closed', clients: 1, thinkTimeMs: { kind: 'constant', value: 10 }, request: get };
    const { world, driver, metrics } = drive(spec, 45);
    world.crash('svc');
    driver.start();
    await world.sim.run();
    // Refused at once at 10, 20, 30, 40.
    expect(metrics.sent).toBe(4);
    expect(metrics.errors).toEqual(new Map([['refused', 4]]));
  });
});

describe('WorkloadMetrics', () => {
  it('counts ok and failed, errors by code, latency and per-endpoint figures', () => {
    const metrics = new WorkloadMetrics(100);
    metrics.record('a', 0, 5, { ok: true, value: 1 });
    metrics.record('a', 10, 30, { ok: false, code: 'timeout', message: '', source: undefined });
    metrics.record('b', 150, 151, { ok: false, code: 'timeout', message: '', source: undefined });
    expect([metrics.ok, metrics.failed]).toEqual([1, 2]);
    expect(metrics.errors).toEqual(new Map([['timeout', 2]]));
    expect(metrics.latency.summary()).toMatchObject({ count: 3, max: 20 });
    expect(metrics.series.buckets().map((bucket) => [bucket.startMs, bucket.ok, bucket.failed])).toEqual([
      [0, 1, 1],
      [100, 0, 1],
    ]);
  });
});

describe('validateWorkload', () => {
  const open = (change: Partial<OpenWorkload>): WorkloadSpec => ({ kind: 'open', ratePerSec: 10, request: get, ...change });
  it.each<[string, WorkloadSpec, RegExp]>([
    ['a zero rate', open({ ratePerSec: 0 }), /workload ratePerSec is 0: use a finite number > 0/],
    ['an infinite rate', open({ ratePerSec: Infinity }), /ratePerSec is Infinity/],
    ['a fractional maxRequests', open({ maxRequests: 1.5 }), /workload maxRequests is 1.5/],
    ['a zero timeout', open({ timeoutMs: 0 }), /workload timeoutMs is 0/],
    ['zero clients', { kind: 'closed', clients: 0, thinkTimeMs: { kind: 'constant', value: 1 }, request: get }, /workload clients is 0/],
    ['a bad think time', { kind: 'closed', clients: 1, thinkTimeMs: { kind: 'constant', value: -1 }, request: get }, /workload thinkTimeMs: constant value is negative/],
    ['an unknown kind', { kind: 'burst' } as unknown as WorkloadSpec, /workload kind must be 'open' or 'closed'/],
  ])('refuses %s with a ConfigError', (_why, spec, message) => {
    expect(() => validateWorkload(spec)).toThrow(ConfigError);
    expect(() => validateWorkload(spec)).toThrow(message);
  });

  it('accepts a rate function (checked at run time)', () => {
    expect(() => validateWorkload(open({ ratePerSec: () => 0 }))).not.toThrow();
  });
});
