// Tests for per-call faults (sim/harness/call-faults.ts, applied through sim/world/call-injection.ts):
// each effect on a node's method and on a link, the injection rate within its window and none
// outside, description, validation, the replay schema, and regimes that draw them.
import { describe, expect, it } from 'vitest';
import { World } from '../world/world.ts';
import { Rng } from '../engine/rng.ts';
import type { Request } from '../world/node.ts';
import type { CallOutcome } from '../world/rpc.ts';
import { withSizeBytes } from '../world/payload-size.ts';
import { describeFault, drawSchedule, scheduleFaults, validateSchedule, healEverything, applyFault, type Fault, type ScheduledFault } from './faults.ts';
import { callBandwidth, callBlackhole, callError, callLatency, onLink, onMethod, slowFirstByte } from './call-faults.ts';
import { faultSchema } from '../../bin/input-schemas.ts';

const constantMs = (value: number) => ({ kind: 'constant', value }) as const;

/** A payments node (charge: 10 ms of CPU; refund: instant; big: a 10 kB answer) and an orders node that calls it. */
function shop(paymentOptions = {}): World {
  const world = new World(3);
  world.addNode('payments', () => ({
    handlers: {
      charge: { serviceTimeMs: 10, handle: () => 'charged' },
      refund: () => 'refunded',
      big: () => withSizeBytes({ receipt: 'r' }, 10_000),
    },
  }), paymentOptions);
  world.addNode('orders', () => ({
    handlers: { place: async (method: string, request: Request) => request.call('payments', method, undefined, { timeoutMs: 500 }) },
  }));
  return world;
}

/** One ingress call at `atMs`; resolves to `ok@ms` or `code@ms`. */
function callAt(world: World, atMs: number, to: string, method: string, payload?: unknown): Promise<string> {
  return new Promise((resolve) => {
    world.sim.schedule(atMs, () => world.request(to, method, payload, { timeoutMs: 1000 }, (outcome: CallOutcome) => resolve(`${outcome.ok ? 'ok' : outcome.code}@${world.nowMs}`)));
  });
}

async function runWith(world: World, faults: ScheduledFault[], calls: () => Promise<string>[]): Promise<string[]> {
  validateSchedule(faults, world);
  scheduleFaults(world, faults);
  const results = calls();
  await world.sim.run();
  return Promise.all(results);
}

describe('per-call faults on a node method', () => {
  it('an error fault at rate p fails about p of the calls in its window (binomial bounds) and none outside', async () => {
    const world = shop();
    const rate = 0.2;
    scheduleFaults(world, [{ atMs: 1000, durationMs: 2000, fault: callError(onMethod('payments', 'refund'), 'unavailable', rate) }]);
    const failedAt: number[] = [];
    let inWindow = 0;
    let otherMethodFailed = 0;
    for (let index = 0; index < 40_000; index++) {
      const atMs = index / 10; // 10 calls per ms over 4 s
      if (atMs >= 1000 && atMs < 3000) inWindow++;
      world.sim.schedule(atMs, () => {
        world.request('payments', 'refund', undefined, {}, (outcome) => {
          if (!outcome.ok) {
            expect(outcome.code).toBe('unavailable');
            failedAt.push(world.nowMs);
          }
        });
      });
    }
    world.sim.schedule(2000, () => world.request('payments', 'charge', undefined, {}, (outcome) => (otherMethodFailed += outcome.ok ? 0 : 1)));
    await world.sim.run();
    const sd = Math.sqrt(inWindow * rate * (1 - rate));
    expect(Math.abs(failedAt.length - inWindow * rate)).toBeLessThan(4.5 * sd);
    expect(failedAt.every((atMs) => atMs >= 1000 && atMs < 3000)).toBe(true);
    expect(otherMethodFailed).toBe(0);
  });

  it('an error fault answers at once without running the handler or taking a thread', async () => {
    const world = shop({ threads: 1 });
    const results = await runWith(world, [{ atMs: 0, fault: callError(onMethod('payments', 'charge'), 'overloaded') }], () => [callAt(world, 0, 'payments', 'charge'), callAt(world, 0, 'orders', 'place', 'charge')]);
    expect(results).toEqual(['overloaded@0', 'overloaded@2']);
  });

  it('a black hole never answers: the caller times out', async () => {
    const world = shop();
    const results = await runWith(world, [{ atMs: 0, fault: callBlackhole(onMethod('payments')) }], () => [callAt(world, 0, 'orders', 'place', 'refund')]);
    expect(results).toEqual(['timeout@500']);
  });

  it('added latency delays the request before it takes a thread: with 1 thread, a delayed charge does not block a refund', async () => {
    const world = shop({ threads: 1 });
    const results = await runWith(world, [{ atMs: 0, fault: callLatency(onMethod('payments', 'charge'), constantMs(50)) }], () => [callAt(world, 0, 'payments', 'charge'), callAt(world, 1, 'payments', 'refund')]);
    expect(results).toEqual(['ok@60', 'ok@1']);
  });

  it('a slow first byte holds the answer and the thread: with 1 thread, a refund waits behind it', async () => {
    const world = shop({ threads: 1 });
    const results = await runWith(world, [{ atMs: 0, fault: slowFirstByte(onMethod('payments', 'charge'), constantMs(50)) }], () => [callAt(world, 0, 'payments', 'charge'), callAt(world, 1, 'payments', 'refund')]);
    expect(results).toEqual(['ok@60', 'ok@60']);
  });

  it('a bandwidth limit writes the answer at that rate: a 10 kB answer at 1 MB/s takes 10 ms more', async () => {
    const world = shop();
    const results = await runWith(world, [{ atMs: 0, fault: callBandwidth(onMethod('payments', 'big'), 1_000_000) }], () => [callAt(world, 0, 'payments', 'big'), callAt(world, 0, 'payments', 'refund')]);
    expect(results).toEqual(['ok@10', 'ok@0']);
  });

  it('ends with its window', async () => {
    const world = shop();
    const results = await runWith(world, [{ atMs: 0, durationMs: 5, fault: callError(onMethod('payments'), 'unavailable') }], () => [callAt(world, 4, 'payments', 'refund'), callAt(world, 6, 'payments', 'refund')]);
    expect(results).toEqual(['unavailable@4', 'ok@6']);
  });
});

describe('per-call faults on a link', () => {
  it('an error fault answers requests on the link with the code (as a sidecar would); the callee never sees them', async () => {
    const world = shop();
    let served = 0;
    world.addNode('audit', () => ({ handlers: { log: () => served++ } }));
    const results = await runWith(world, [{ atMs: 0, fault: callError(onLink('orders', 'payments'), 'unavailable') }], () => [callAt(world, 0, 'orders', 'place', 'refund')]);
    expect(results).toEqual(['unavailable@2']);
    expect(served).toBe(0);
  });

  it('added latency on the reply direction delays only answers', async () => {
    const world = shop();
    const results = await runWith(world, [{ atMs: 0, fault: callLatency(onLink('payments', 'orders'), constantMs(30)) }], () => [callAt(world, 0, 'orders', 'place', 'refund')]);
    expect(results).toEqual(['ok@32']);
  });

  it('a black hole on the link drops the request: the caller times out', async () => {
    const world = shop();
    const results = await runWith(world, [{ atMs: 0, fault: callBlackhole(onLink('orders', '*')) }], () => [callAt(world, 0, 'orders', 'place', 'refund')]);
    expect(results).toEqual(['timeout@500']);
  });

  it('a bandwidth limit on the link slows large answers', async () => {
    const world = shop();
    const results = await runWith(world, [{ atMs: 0, fault: callBandwidth(onLink('payments', 'orders'), 1_000_000) }], () => [callAt(world, 0, 'orders', 'place', 'big')]);
    // 2 ms of latency plus 10 kB at 1 MB/s, plus the reply's wire fields (about 80 bytes: 0.08 ms).
    const [result] = results;
    expect(result).toMatch(/^ok@12\.0\d+$/);
  });

  it('a slow first byte on the link holds the link: the next message waits behind it', async () => {
    const world = shop();
    const results = await runWith(world, [{ atMs: 0, fault: slowFirstByte(onLink('orders', 'payments'), constantMs(20)) }], () => [callAt(world, 0, 'orders', 'place', 'refund')]);
    expect(results).toEqual(['ok@22']);
  });
});

describe('per-call faults as values', () => {
  const faults: Fault[] = [
    callLatency(onMethod('payments', 'charge'), constantMs(200), 0.05),
    callError(onMethod('payments', 'charge'), 'unavailable', 0.1),
    callBlackhole(onLink('orders', 'payments'), 0.5),
    callBandwidth(onMethod('payments'), 10_000),
    slowFirstByte(onLink('orders', '*'), { kind: 'exponential', mean: 100 }, 0.25),
  ];

  it('describe themselves in one line', () => {
    expect(faults.map(describeFault)).toEqual([
      'call-latency payments.charge +200ms rate 0.05',
      'call-error payments.charge unavailable rate 0.1',
      'call-blackhole orders->payments rate 0.5',
      'call-bandwidth payments.* 10000B/s rate 1',
      'call-first-byte orders->* exp(mean 100ms) rate 0.25',
    ]);
  });

  it('pass the replay-file schema as they are, and it rejects a rate outside [0, 1]', () => {
    for (const fault of faults) expect(faultSchema.parse(JSON.parse(JSON.stringify(fault)))).toEqual(fault);
    expect(() => faultSchema.parse({ ...faults[1], rate: 1.5 })).toThrow();
  });

  it('validation names a rate outside [0, 1] and a method the node does not have', () => {
    const world = shop();
    expect(() => validateSchedule([{ atMs: 0, fault: callError(onMethod('payments', 'charge'), 'unavailable', 1.5) }], world)).toThrow(/injection rate is 1\.5; use a share between 0 and 1/);
    expect(() => validateSchedule([{ atMs: 0, fault: callError(onMethod('payments', 'chrage'), 'unavailable') }], world)).toThrow(
      /node 'payments' has no method 'chrage'; its methods are charge, refund, big/,
    );
    expect(() => validateSchedule([{ atMs: 0, fault: callError(onMethod('ghost', 'x'), 'unavailable') }], world)).toThrow(/unknown node 'ghost'/);
  });

  it('healEverything ends them', async () => {
    const world = shop();
    applyFault(world, callError(onMethod('payments'), 'unavailable'));
    healEverything(world);
    expect(await runWith(world, [], () => [callAt(world, 0, 'payments', 'refund')])).toEqual(['ok@0']);
  });

  it('a regime draws them, with the entry call settings', () => {
    const schedule = drawSchedule(
      { entries: [{ kind: 'call-error', targets: ['payments'], probabilityPerSec: 0.5, minStableMs: 0, durationMs: constantMs(1000), call: { method: 'charge', rate: 0.3, code: 'overloaded' } }] },
      10_000,
      new Rng(5),
    );
    expect(schedule.length).toBeGreaterThan(0);
    expect(schedule[0]!.fault).toEqual(callError(onMethod('payments', 'charge'), 'overloaded', 0.3));
  });
});
