// Tests for services/resilience/breaker.ts: one test per state transition and trigger, exact on the virtual
// clock, plus a property over 200 seeds that an open breaker never lets a call through.
import { describe, expect, it } from 'vitest';
import { emptyNodeContext } from '../../test/kit/world.ts';
import fc from 'fast-check';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError, isRpcError } from '../../sim/engine/errors.ts';
import {
  BrokenCircuitError,
  CircuitBreaker,
  ConsecutiveFailureStrategy,
  CountWindowStrategy,
  TimeWindowStrategy,
  isBrokenCircuitError,
  type BreakerOptions,
} from './breaker.ts';

/** A world with one node `api` whose context drives the breaker; `states` logs `<ms> <from>-><to>`. */
function setup(options: BreakerOptions, seed = 1) {
  const world = new World(seed);
  const ctx = emptyNodeContext(world);
  const states: string[] = [];
  world.sim.trace.addFilteredSink(['breaker.state'], (event) => states.push(`${event.atMs} ${event.detail}`));
  const breaker = new CircuitBreaker(ctx, options);
  /** `<ms> <label> ok|<error code>|<breaker state when rejected>` for every finished call. */
  const log: string[] = [];
  const call = (atMs: number, label: string, durationMs: number, fails: boolean | RpcError = false): void => {
    ctx.setTimer(atMs - world.nowMs, () => {
      breaker
        .execute(async () => {
          await ctx.sleep(durationMs);
          if (fails === true) throw new RpcError('application', `${label} failed`);
          if (fails instanceof RpcError) throw fails;
          return label;
        })
        .then(
          () => log.push(`${world.nowMs} ${label} ok`),
          (error: unknown) => log.push(`${world.nowMs} ${label} ${isBrokenCircuitError(error) ? `rejected:${error.state}` : (error as RpcError).code}`),
        );
    });
  };
  const run = (untilMs: number) => world.sim.run({ untilMs });
  return { world, ctx, breaker, states, log, call, run };
}

describe('CircuitBreaker: closed -> open', () => {
  it('opens after failureThreshold consecutive failures; a success resets the count', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 3 }), openDurationMs: 1000 });
    t.call(0, 'a', 1, true);
    t.call(10, 'b', 1, true);
    t.call(20, 'c', 1); // resets the run of failures
    t.call(30, 'd', 1, true);
    t.call(40, 'e', 1, true);
    t.call(50, 'f', 1, true); // third in a row: opens when it ends at 51
    t.call(60, 'g', 1);
    await t.run(100);
    expect(t.states).toEqual(['51 closed->open']);
    expect(t.log).toEqual(['1 a application', '11 b application', '21 c ok', '31 d application', '41 e application', '51 f application', '60 g rejected:open']);
  });

  it('opens on the failure rate of a count window, only from minimumCalls on, with old calls evicted', async () => {
    const strategy = new CountWindowStrategy({ windowSize: 4, minimumCalls: 4, failureRateThreshold: 0.75 });
    const t = setup({ strategy, openDurationMs: 1000 });
    // F F S S F F F: windows after call 4..7 are FFSS, FSSF, SSFF (0.5 each) and SFFF (0.75).
    // Calls 1-2 are 100% failures but below minimumCalls; without eviction call 7 would be 5/7 < 0.75.
    const fails = [true, true, false, false, true, true, true];
    fails.forEach((failed, i) => t.call(i * 10, `c${i + 1}`, 1, failed));
    t.call(80, 'next', 1);
    await t.run(100);
    expect(t.states).toEqual(['61 closed->open']);
    expect(t.log.at(-1)).toBe('80 next rejected:open');
  });

  it('opens on the failure rate of a time window once it holds minimumCalls', async () => {
    const strategy = new TimeWindowStrategy({ windowMs: 1000, buckets: 10, minimumCalls: 3, failureRateThreshold: 0.6 });
    const t = setup({ strategy, openDurationMs: 5000 });
    t.call(0, 'f1', 1, true);
    t.call(50, 'f2', 1, true); // 2/2 failed, but below minimumCalls
    t.call(500, 's1', 1); // F F S = 0.67 >= 0.6: opens at 501
    await t.run(600);
    expect(t.states).toEqual(['501 closed->open']);
  });

  it('lets calls age out of a time window a bucket at a time', async () => {
    const strategy = new TimeWindowStrategy({ windowMs: 1000, buckets: 10, minimumCalls: 3, failureRateThreshold: 0.6 });
    const t = setup({ strategy, openDurationMs: 5000 });
    t.call(0, 'f1', 1, true); // ends at 1 and 51: bucket 0, which leaves the window when bucket 10 starts (1000 ms)
    t.call(50, 'f2', 1, true);
    t.call(1150, 's1', 1);
    t.call(1160, 's2', 1);
    t.call(1170, 'f3', 1, true); // S S F = 0.33 (without ageing: 3/5 = 0.6 would open here)
    t.call(1180, 'f4', 1, true); // S S F F = 0.5
    t.call(1190, 'f5', 1, true); // S S F F F = 0.6: opens at 1191
    await t.run(1300);
    expect(t.states).toEqual(['1191 closed->open']);
    expect(strategy.callsInWindow).toBe(5); // s1, s2, f3, f4, f5
  });

  it('opens on the slow-call rate; a call of exactly slowCallDurationMs is not slow', async () => {
    const strategy = new CountWindowStrategy({ windowSize: 4, minimumCalls: 4, failureRateThreshold: Infinity, slowCallRateThreshold: 0.75 });
    const t = setup({ strategy, slowCallDurationMs: 100, openDurationMs: 5000 });
    t.call(0, 'c1', 100); // exactly the threshold: not slow
    t.call(200, 'c2', 150); // slow
    t.call(400, 'c3', 50);
    t.call(600, 'c4', 101); // slow: window c1..c4 has 2/4 slow
    t.call(800, 'c5', 200); // slow: window c2..c5 has 3/4 slow -> opens at 1000
    t.call(1100, 'c6', 1);
    await t.run(1200);
    expect(t.states).toEqual(['1000 closed->open']);
    expect(t.breaker.stats()).toEqual({ calls: 6, successes: 5, failures: 0, slowCalls: 3, rejected: 1 });
  });

  it('counts only errors isFailure accepts; the others pass through as successes', async () => {
    const t = setup({
      strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }),
      isFailure: (error) => !isRpcError(error, 'not-found'),
    });
    for (let i = 0; i < 5; i++) t.call(i * 10, `n${i}`, 1, new RpcError('not-found', 'no such key'));
    t.call(60, 'boom', 1, true);
    await t.run(100);
    expect(t.log.slice(0, 5)).toEqual(['1 n0 not-found', '11 n1 not-found', '21 n2 not-found', '31 n3 not-found', '41 n4 not-found']);
    expect(t.states).toEqual(['61 closed->open']);
    expect(t.breaker.stats()).toEqual({ calls: 6, successes: 5, failures: 1, slowCalls: 0, rejected: 0 });
  });
});

describe('CircuitBreaker: open -> half-open -> closed | open', () => {
  it('moves open -> half-open exactly openDurationMs after opening, with no traffic needed', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }), openDurationMs: 1000 });
    t.call(0, 'f', 10, true); // opens at 10
    t.call(1009.5, 'early', 1); // 0.5 ms before the open duration ends: rejected
    await t.run(1010);
    expect(t.breaker.state).toBe('half-open');
    t.call(1010, 'probe', 1);
    await t.run(2000);
    expect(t.states).toEqual(['10 closed->open', '1010 open->half-open', '1011 half-open->closed']);
    expect(t.log).toEqual(['10 f application', '1009.5 early rejected:open', '1011 probe ok']);
  });

  it('closes after halfOpenProbes successful probes and rejects calls beyond them meanwhile', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }), openDurationMs: 1000, halfOpenProbes: 2 });
    t.call(0, 'f', 10, true); // open 10..1010
    t.call(1010, 'p1', 50);
    t.call(1020, 'p2', 50);
    t.call(1030, 'extra', 1); // both probes taken: rejected
    t.call(1065, 'still', 1); // p1 succeeded, p2 still out: rejected
    t.call(1080, 'after', 1);
    await t.run(2000);
    expect(t.states).toEqual(['10 closed->open', '1010 open->half-open', '1070 half-open->closed']);
    expect(t.log).toEqual(['10 f application', '1030 extra rejected:half-open', '1060 p1 ok', '1065 still rejected:half-open', '1070 p2 ok', '1081 after ok']);
  });

  it('closes at halfOpenSuccessThreshold successes when it is below the probe count', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }), openDurationMs: 100, halfOpenProbes: 3, halfOpenSuccessThreshold: 2 });
    t.call(0, 'f', 0, true);
    t.call(100, 'p1', 5);
    t.call(101, 'p2', 5);
    t.call(102, 'p3', 50); // its late outcome decides nothing: the breaker closed at 106
    await t.run(300);
    expect(t.states).toEqual(['0 closed->open', '100 open->half-open', '106 half-open->closed']);
  });

  it('re-opens on a failed probe for exactly openDurationMs', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }), openDurationMs: 1000 });
    t.call(0, 'f', 10, true); // open 10..1010
    t.call(1010, 'probe', 5, true); // fails at 1015: open 1015..2015
    t.call(2014, 'early', 1);
    await t.run(3000);
    expect(t.states).toEqual(['10 closed->open', '1010 open->half-open', '1015 half-open->open', '2015 open->half-open']);
    expect(t.breaker.openUntilMs).toBe(2015);
    expect(t.log).toEqual(['10 f application', '1015 probe application', '2014 early rejected:open']);
  });

  it('treats a slow probe as a failed probe', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }), openDurationMs: 100, slowCallDurationMs: 20 });
    t.call(0, 'f', 0, true);
    t.call(100, 'slow-probe', 30);
    await t.run(200);
    expect(t.states).toEqual(['0 closed->open', '100 open->half-open', '130 half-open->open']);
  });

  it('grows the open duration by backoffMultiplier per failed probe, caps it, and resets it on close', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }), openDurationMs: 100, backoffMultiplier: 2, maxOpenDurationMs: 350 });
    // Probe outcomes in order: fail, fail, fail, succeed; then one more failure after closing.
    const probeFails = [true, true, true, false, false];
    let closedOnce = false;
    t.breaker.onStateChange((change) => {
      if (change.to === 'half-open') t.call(change.atMs, 'probe', 0, probeFails.shift());
      if (change.to === 'closed' && !closedOnce) {
        closedOnce = true;
        t.call(change.atMs, 'after-close', 0, true);
      }
    });
    t.call(0, 'f', 0, true);
    await t.run(2000);
    expect(t.states).toEqual([
      '0 closed->open', // 100
      '100 open->half-open',
      '100 half-open->open', // 200
      '300 open->half-open',
      '300 half-open->open', // 400 capped to 350
      '650 open->half-open',
      '650 half-open->open', // still 350
      '1000 open->half-open',
      '1000 half-open->closed', // resets to 100
      '1000 closed->open',
      '1100 open->half-open',
      '1100 half-open->closed',
    ]);
    expect(t.breaker.currentOpenDurationMs).toBe(100);
  });

  it('ignores outcomes of calls that began before a state change', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 2 }), openDurationMs: 100 });
    t.call(0, 'old', 500, true); // began while closed, fails at 500 after the breaker closed again
    t.call(10, 'f1', 1, true);
    t.call(20, 'f2', 1, true); // opens at 21
    t.call(121, 'probe', 4); // closes at 125
    t.call(510, 'f3', 1, true); // one failure: counted alone it does not open
    await t.run(1000);
    expect(t.states).toEqual(['21 closed->open', '121 open->half-open', '125 half-open->closed']);
    expect(t.breaker.state).toBe('closed');
    expect(t.breaker.stats().failures).toBe(4);
  });
});

describe('CircuitBreaker: manual states, listeners, errors', () => {
  it('isolated rejects every call until reset, and cancels a pending half-open', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }), openDurationMs: 100 });
    t.call(0, 'f', 0, true); // open until 100
    t.ctx.setTimer(50, () => t.breaker.isolate());
    t.call(60, 'a', 1);
    t.call(5000, 'b', 1);
    t.ctx.setTimer(6000, () => t.breaker.reset());
    t.call(6000, 'c', 1);
    await t.run(7000);
    expect(t.states).toEqual(['0 closed->open', '50 open->isolated', '6000 isolated->closed']);
    expect(t.log).toEqual(['0 f application', '60 a rejected:isolated', '5000 b rejected:isolated', '6001 c ok']);
  });

  it('disabled lets every call through and records nothing', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }) });
    t.breaker.disable();
    for (let i = 0; i < 3; i++) t.call(i, `f${i}`, 0, true);
    await t.run(10);
    expect(t.states).toEqual(['0 closed->disabled']);
    expect(t.log).toEqual(['0 f0 application', '1 f1 application', '2 f2 application']);
    expect(t.breaker.stats()).toEqual({ calls: 3, successes: 0, failures: 0, slowCalls: 0, rejected: 0 });
  });

  it('rejects with a BrokenCircuitError: an RpcError of code unavailable from this node', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }), peer: 'payments' });
    t.breaker.isolate();
    const error = await t.breaker.execute(async () => 'never').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect(isRpcError(error, 'unavailable')).toBe(true);
    expect(isBrokenCircuitError(new RpcError('unavailable', 'x'))).toBe(false);
    expect((error as BrokenCircuitError).source).toBe('api');
    expect((error as BrokenCircuitError).message).toBe('circuit isolated: payments rejected until reset');
  });

  it('tells listeners every change until they unsubscribe, and emits peer in the trace', async () => {
    const t = setup({ strategy: new ConsecutiveFailureStrategy({ failureThreshold: 1 }), openDurationMs: 100, peer: 'payments' });
    const peers: (string | undefined)[] = [];
    t.world.sim.trace.addFilteredSink(['breaker.state'], (event) => peers.push(event.peer));
    const seen: string[] = [];
    const unsubscribe = t.breaker.onStateChange((c) => seen.push(`${c.atMs} ${c.from}->${c.to}`));
    t.call(0, 'f', 0, true);
    t.ctx.setTimer(150, unsubscribe);
    t.call(200, 'probe', 0);
    await t.run(300);
    expect(seen).toEqual(['0 closed->open', '100 open->half-open']);
    expect(t.states).toEqual(['0 closed->open', '100 open->half-open', '200 half-open->closed']);
    expect(peers).toEqual(['payments', 'payments', 'payments']);
  });

  it('rejects impossible options with a one-line ConfigError', () => {
    const t = setup({});
    const bad: BreakerOptions[] = [
      { openDurationMs: 0 },
      { backoffMultiplier: 0.5 },
      { openDurationMs: 100, maxOpenDurationMs: 50 },
      { halfOpenProbes: 0 },
      { halfOpenProbes: 2, halfOpenSuccessThreshold: 3 },
      { slowCallDurationMs: -1 },
    ];
    for (const options of bad) expect(() => new CircuitBreaker(t.ctx, options)).toThrow(ConfigError);
    expect(() => new CountWindowStrategy({ windowSize: 5, minimumCalls: 6 })).toThrow(ConfigError);
    expect(() => new TimeWindowStrategy({ failureRateThreshold: 50 })).toThrow(ConfigError);
    const shared = new ConsecutiveFailureStrategy();
    new CircuitBreaker(t.ctx, { strategy: shared });
    expect(() => new CircuitBreaker(t.ctx, { strategy: shared })).toThrow(/already used by another breaker/);
  });
});

describe('CircuitBreaker property', () => {
  it('never lets a call reach the operation while open, and half-opens exactly when the open duration ends', async () => {
    let opens = 0;
    let probesSeen = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.record({
          failureThreshold: fc.integer({ min: 1, max: 3 }),
          openDurationMs: fc.integer({ min: 5, max: 200 }),
          backoffMultiplier: fc.constantFrom(1, 1.5, 2),
          halfOpenProbes: fc.integer({ min: 1, max: 3 }),
        }),
        fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 60 }), durationMs: fc.integer({ min: 0, max: 80 }), fails: fc.integer({ min: 0, max: 3 }).map((n) => n > 0) }), {
          minLength: 1,
          maxLength: 80,
        }),
        async (seed, config, calls) => {
          const world = new World(seed);
          const ctx = emptyNodeContext(world);
          // One log, in the order things happened: a call reaching the operation, or a state change.
          const log: { atMs: number; reached?: true; from?: string; to?: string }[] = [];
          world.sim.trace.addFilteredSink(['breaker.state'], (event) => {
            const [from, to] = (event.detail as string).split('->') as [string, string];
            log.push({ atMs: event.atMs, from, to });
          });
          const breaker = new CircuitBreaker(ctx, {
            strategy: new ConsecutiveFailureStrategy({ failureThreshold: config.failureThreshold }),
            openDurationMs: config.openDurationMs,
            backoffMultiplier: config.backoffMultiplier,
            maxOpenDurationMs: config.openDurationMs * 4,
            halfOpenProbes: config.halfOpenProbes,
          });
          let atMs = 0;
          for (const spec of calls) {
            atMs += spec.gapMs;
            ctx.setTimer(atMs, () => {
              breaker
                .execute(async () => {
                  log.push({ atMs: world.nowMs, reached: true });
                  await ctx.sleep(spec.durationMs);
                  if (spec.fails) throw new RpcError('application', 'down');
                })
                .catch(() => undefined);
            });
          }
          await world.sim.run({ untilMs: atMs + 2000 });

          // Model the open durations independently: base after closed, grown after half-open, capped.
          let durationMs = config.openDurationMs;
          for (let i = 0; i < log.length; i++) {
            const change = log[i]!;
            if (change.reached) continue;
            const rest = log.slice(i + 1);
            const nextChange = rest.findIndex((entry) => !entry.reached);
            const during = nextChange < 0 ? rest : rest.slice(0, nextChange);
            if (change.to === 'closed') durationMs = config.openDurationMs;
            if (change.to === 'half-open') {
              probesSeen += during.length;
              expect(during.length).toBeLessThanOrEqual(config.halfOpenProbes);
            }
            if (change.to !== 'open') continue;
            opens++;
            if (change.from === 'half-open') durationMs = Math.min(durationMs * config.backoffMultiplier, config.openDurationMs * 4);
            // Nothing reaches the operation while open, and the breaker half-opens exactly on time.
            expect(during).toEqual([]);
            expect(rest[nextChange]).toEqual({ atMs: change.atMs + durationMs, from: 'open', to: 'half-open' });
          }
        },
      ),
      { numRuns: 200 },
    );
    // The property must have exercised openings and probes, or it proved nothing.
    expect(opens).toBeGreaterThan(200);
    expect(probesSeen).toBeGreaterThan(50);
  });
});
