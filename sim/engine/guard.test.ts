// Tests for sim/engine/guard.ts and its use by the runner: host time and randomness map onto the run, host
// timers fail loudly for simulated code, everything is restored afterwards, one run per thread.
import { afterEach, describe, expect, it } from 'vitest';
import { installGuard, guardInstalled } from './guard.ts';
import { NondeterminismError } from './errors.ts';
import { scenario, type SystemHandle } from '../harness/scenario.ts';
import { runScenario } from '../harness/runner.ts';
import type { World } from '../world/world.ts';

const RealDate = Date;
const realRandom = Math.random;
const realPerformanceNow = performance.now;
const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;
const realSetImmediate = globalThis.setImmediate;
const realNextTick = process.nextTick;

const EPOCH_MS = Date.UTC(2030, 0, 1);

/** A guard with a scripted random sequence and a settable virtual clock. */
function fakeSources(randoms: number[]) {
  const clock = { nowMs: 0 };
  let index = 0;
  return { clock, sources: { random: () => randoms[index++ % randoms.length]!, nowMs: () => clock.nowMs, epochMs: 1_000_000 } };
}

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

describe('installGuard', () => {
  it('maps Math.random, Date.now, new Date() and performance.now onto the run', () => {
    const { clock, sources } = fakeSources([0.25, 0.5, 0.75]);
    uninstall = installGuard(sources);
    expect(guardInstalled()).toBe(true);
    expect([Math.random(), Math.random(), Math.random()]).toEqual([0.25, 0.5, 0.75]);
    clock.nowMs = 12.7;
    expect(Date.now()).toBe(1_000_012);
    expect(new Date().getTime()).toBe(new RealDate(1_000_012.7).getTime());
    expect(new Date()).toBeInstanceOf(RealDate);
    expect(performance.now()).toBe(12.7);
    // Dates built from explicit arguments are untouched.
    expect(new Date(0).getTime()).toBe(0);
    expect(Date.UTC(2030, 0, 1)).toBe(EPOCH_MS);
    expect(new Date('2020-01-02T00:00:00Z').getTime()).toBe(RealDate.UTC(2020, 0, 2));
  });

  it('crypto.randomUUID is seeded: same random source, same v4 UUID', () => {
    const first = fakeSources([0.1, 0.9, 0.3, 0.7]);
    uninstall = installGuard(first.sources);
    const a = crypto.randomUUID();
    uninstall();
    const second = fakeSources([0.1, 0.9, 0.3, 0.7]);
    uninstall = installGuard(second.sources);
    const b = crypto.randomUUID();
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it.each([
    ['setTimeout', () => setTimeout(() => {}, 1), /ctx\.sleep/],
    ['setInterval', () => setInterval(() => {}, 1), /ctx\.sleep/],
    ['setImmediate', () => setImmediate(() => {}), /ctx\.sleep/],
    ['process.nextTick', () => process.nextTick(() => {}), /queueMicrotask/],
  ])('%s called by simulated code throws a NondeterminismError with advice', (name, call, advice) => {
    uninstall = installGuard(fakeSources([0.5]).sources);
    expect(call).toThrow(NondeterminismError);
    expect(call).toThrow(`${name} was called by simulated code during a run`);
    expect(call).toThrow(advice);
  });

  it('uninstall restores every host function', () => {
    const remove = installGuard(fakeSources([0.5]).sources);
    expect(Math.random).not.toBe(realRandom);
    expect(globalThis.Date).not.toBe(RealDate);
    remove();
    expect(guardInstalled()).toBe(false);
    expect(Math.random).toBe(realRandom);
    expect(globalThis.Date).toBe(RealDate);
    expect(performance.now).toBe(realPerformanceNow);
    expect(globalThis.setTimeout).toBe(realSetTimeout);
    expect(globalThis.setInterval).toBe(realSetInterval);
    expect(globalThis.setImmediate).toBe(realSetImmediate);
    expect(process.nextTick).toBe(realNextTick);
    // randomUUID comes back as a bound copy of the original: check it behaves like the host's again.
    expect(crypto.randomUUID()).not.toBe(crypto.randomUUID());
    // Real time again: the wall clock is far past the fake epoch.
    expect(Date.now()).toBeGreaterThan(EPOCH_MS - 10 * 365 * 86_400_000);
  });

  it('a second install while one is active throws a NondeterminismError and leaves the first in place', () => {
    const { sources } = fakeSources([0.125]);
    uninstall = installGuard(sources);
    expect(() => installGuard(fakeSources([0.5]).sources)).toThrow(NondeterminismError);
    expect(() => installGuard(fakeSources([0.5]).sources)).toThrow(/already in progress/);
    expect(Math.random()).toBe(0.125);
  });
});

// ---- through the runner -----------------------------------------------------------------------

interface Probe extends SystemHandle {
  randoms: number[];
  dates: number[];
  perfs: number[];
}

/** One node whose handler reads host randomness and time; `misbehave` lets it call a host timer. */
function probeScenario(misbehave: 'none' | 'handler-timer' | 'callback-timer', seen: Probe[] = []) {
  return scenario<Probe>({
    name: 'guard-probe',
    description: 'reads host time and randomness inside the run',
    durationMs: 1000,
    quiesceMs: 0,
    workload: { kind: 'open', ratePerSec: 100, maxRequests: 3, request: () => ({ endpoint: 'probe', method: 'probe' }) },
    variants: [
      {
        name: 'only',
        build(world: World): Probe {
          const probe: Probe = { entry: 'svc', randoms: [], dates: [], perfs: [] };
          seen.push(probe);
          world.addNode('svc', () => ({
            handlers: {
              probe: () => {
                probe.randoms.push(Math.random());
                probe.dates.push(Date.now() - EPOCH_MS, new Date().getTime() - EPOCH_MS);
                probe.perfs.push(performance.now() - world.nowMs);
                if (misbehave === 'handler-timer') setTimeout(() => {}, 5);
                return 'ok';
              },
            },
          }));
          if (misbehave === 'callback-timer') world.sim.schedule(7, () => void setTimeout(() => {}, 5));
          return probe;
        },
      },
    ],
  });
}

describe('the guard during runScenario', () => {
  it('Math.random is seeded per run: same seed same values, another seed other values; time is virtual', async () => {
    const seen: Probe[] = [];
    const definition = probeScenario('none', seen);
    await runScenario(definition, 5);
    await runScenario(definition, 5);
    await runScenario(definition, 6);
    const [first, second, other] = seen as [Probe, Probe, Probe];
    expect(first.randoms).toHaveLength(3);
    expect(new Set(first.randoms).size).toBe(3);
    expect(second.randoms).toEqual(first.randoms);
    expect(other.randoms).not.toEqual(first.randoms);
    // Date.now() and new Date() read epoch + virtual time; performance.now() is virtual time.
    expect(first.dates).toEqual(second.dates);
    expect(first.dates.every((ms) => ms >= 0 && ms < 1000)).toBe(true);
    expect(first.perfs).toEqual([0, 0, 0]);
    expect(Math.random).toBe(realRandom);
    expect(globalThis.Date).toBe(RealDate);
    expect(guardInstalled()).toBe(false);
  });

  it('a handler calling setTimeout stops the run with a crash naming setTimeout and the line that called it', async () => {
    const result = await runScenario(probeScenario('handler-timer'), 1);
    const variant = result.variants[0]!;
    expect(variant.ok).toBe(false);
    expect(variant.metrics.requests.total).toBe(1);
    expect(variant.failures).toHaveLength(1);
    // Reported once, as the bug the world grouped by node and method.
    expect(variant.failures[0]).toMatchObject({ kind: 'crash', check: "svc.probe" });
    expect(variant.failures[0]!.message).toMatch(/^NondeterminismError: setTimeout was called by simulated code during a run at sim\/engine\/guard\.test\.ts:\d+: /);
    expect(globalThis.setTimeout).toBe(realSetTimeout);
  });

  it('an engine callback calling setTimeout stops the run with a crash failure naming setTimeout', async () => {
    const result = await runScenario(probeScenario('callback-timer'), 1);
    const variant = result.variants[0]!;
    expect(variant.ok).toBe(false);
    expect(variant.failures).toHaveLength(1);
    expect(variant.failures[0]).toMatchObject({ kind: 'crash', check: 'simulator', atMs: 7 });
    expect(variant.failures[0]!.message).toMatch(/^setTimeout was called by simulated code/);
    expect(guardInstalled()).toBe(false);
  });

  it('a second run started while one is in progress is refused with a NondeterminismError', async () => {
    const first = runScenario(probeScenario('none'), 1);
    await expect(runScenario(probeScenario('none'), 2)).rejects.toThrow(NondeterminismError);
    await expect(first).resolves.toMatchObject({ ok: true });
    expect(guardInstalled()).toBe(false);
  });
});
