// Tests for sim/harness/runner.ts: the result shape (DESIGN §6) with exact figures, how checks become
// failures (correctness, liveness, event budget, crash), variants, plans, swarm options and replay.
import { describe, expect, it } from 'vitest';
import { always, eventually, sometimes } from './checks.ts';
import { ConfigError } from '../engine/errors.ts';
import { crash, partition } from './faults.ts';
import { guardInstalled } from '../engine/guard.ts';
import { registerFailureEvents } from './failure-events.ts';
import { drawOptions, planFor, runScenario, runVariant, findVariant } from './runner.ts';
import { scenario, type ScenarioDefinition, type SystemHandle } from './scenario.ts';
import type { World } from '../world/world.ts';

// The event a test component emits when it gives up.
declare module '../engine/trace-kinds.ts' {
  interface TraceKinds {
    'test.gave-up': true;
  }
}

interface Tiny extends SystemHandle {
  world: World;
  served: () => number;
}

/**
 * One node `svc` answering `get` in `serviceMs`; one closed-loop client thinking 10 ms: requests at
 * 10, 25, 40, … while service is 5 ms. `extra` may add nodes or events to the world.
 */
function tiny(overrides: Partial<ScenarioDefinition<Tiny>> = {}, serviceMs = 5, extra?: (world: World) => void): ScenarioDefinition<Tiny> {
  return {
    name: 'tiny',
    description: 'one service, one client',
    durationMs: 100,
    quiesceMs: 0,
    workload: { kind: 'closed', clients: 1, thinkTimeMs: { kind: 'constant', value: 10 }, request: () => ({ endpoint: 'GET /x', method: 'get' }) },
    variants: [
      {
        name: 'single',
        build(world: World): Tiny {
          let served = 0;
          world.addNode('svc', () => ({ handlers: { get: { serviceTimeMs: serviceMs, handle: () => ++served } } }));
          extra?.(world);
          return { entry: 'svc', world, served: () => served, metrics: () => ({ served }) };
        },
      },
    ],
    ...overrides,
  };
}

describe('result shape', () => {
  it('has the fields of DESIGN §6, with exact figures for a closed-form run', async () => {
    const result = await runScenario(scenario(tiny()), 42);
    expect(Object.keys(result)).toEqual(['scenario', 'description', 'seed', 'ok', 'traceHash', 'variants']);
    expect(result).toMatchObject({ scenario: 'tiny', description: 'one service, one client', seed: 42, ok: true });
    expect(result.traceHash).toMatch(/^[0-9a-f]{16}$/);
    const variant = result.variants[0]!;
    expect(variant).toMatchObject({
      name: 'single',
      ok: true,
      simulatedMs: 100,
      failures: [],
      faultSchedule: [],
      faults: [],
      coverage: {},
      options: {},
      timeline: [],
    });
    expect(variant.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(variant.events).toBeGreaterThan(0);
    // Requests at 10, 25, 40, 55, 70, 85 (each answered after 5 ms, then 10 ms of thinking).
    expect(variant.metrics).toMatchObject({
      requests: { total: 6, ok: 6, failed: 0 },
      latencyMs: { p50: 5, p90: 5, p99: 5, p999: 5, max: 5, mean: 5 },
      availability: 1,
      throughputPerSec: 60,
      costInstanceSeconds: 0.1,
      errors: {},
      consistency: { served: 6 },
      processErrors: 0,
    });
    expect(variant.metrics.endpoints).toHaveLength(1);
    expect(variant.series.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('counts requests still open at the end as failed', async () => {
    // Service 50 ms: request at 10 answered at 60; the next, sent at 70, is still open at 100.
    const result = await runScenario(scenario(tiny({}, 50)), 1);
    expect(result.variants[0]!.metrics.requests).toEqual({ total: 2, ok: 1, failed: 1 });
    expect(result.variants[0]!.metrics.availability).toBe(0.5);
  });

  it('records the fault schedule, its descriptions and a timeline', async () => {
    const result = await runScenario(scenario(tiny({ faults: [{ atMs: 32, durationMs: 20, fault: crash('svc') }] })), 1);
    const variant = result.variants[0]!;
    expect(variant.faultSchedule).toEqual([{ atMs: 32, durationMs: 20, fault: { kind: 'crash', node: 'svc' } }]);
    expect(variant.faults).toEqual(['@32ms for 20ms: crash svc']);
    expect(variant.timeline).toEqual([
      { atMs: 32, kind: 'fault', node: 'crash svc', detail: '' },
      { atMs: 32, kind: 'node.crash', node: 'svc', detail: '' },
      { atMs: 52, kind: 'fault.end', node: 'crash svc', detail: '' },
      { atMs: 52, kind: 'node.restart', node: 'svc', detail: '' },
    ]);
    // Requests at 40 and 50 find svc down (refused at once); then 60, 75 and 90 are served.
    expect(variant.metrics.requests).toEqual({ total: 7, ok: 5, failed: 2 });
    expect(variant.metrics.errors).toEqual({ refused: 2 });
    // Up 0..32 and 52..100.
    expect(variant.metrics.costInstanceSeconds).toBe(0.08);
  });
});

describe('checks become failures', () => {
  it('a failing always-check is recorded once, as correctness, at the first sample where it fails', async () => {
    const definition = tiny({
      checkIntervalMs: 10,
      checks: [always<Tiny>('fewer than 3 served', ({ system }) => system.served() < 3 || `served ${system.served()}`)],
    });
    const result = await runScenario(scenario(definition), 1);
    const variant = result.variants[0]!;
    // Third answer at 45; samples every 10 ms: first failing sample at 50.
    expect(variant.failures).toEqual([{ kind: 'correctness', check: 'fewer than 3 served', atMs: 50, message: 'served 3' }]);
    expect(variant.ok).toBe(false);
    expect(result.ok).toBe(false);
  });

  it('a failure keeps the witness a check returns with its verdict; a system with history() puts it in the result', async () => {
    const witness = { model: 'linearizable register, key "k"', operations: [{ id: 0, process: 's1', kind: 'read', key: 'k', text: 'read → 1', invokeMs: 1, completeMs: 2, outcome: 'ok' as const }] };
    const definition = tiny({ checkIntervalMs: 1000, checks: [always<Tiny>('linearizable', () => ({ message: 'key "k": #0 cannot be ordered', witness }))] });
    const build = definition.variants[0]!.build;
    definition.variants[0]!.build = (world, env) => ({ ...build(world, env), history: () => witness.operations });
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    expect(variant.failures).toEqual([{ kind: 'correctness', check: 'linearizable', atMs: 100, message: 'key "k": #0 cannot be ordered', witness }]);
    expect(variant.history).toEqual(witness.operations);
    expect((await runScenario(scenario(tiny()), 1)).variants[0]!.history).toBeUndefined();
  });

  it('an always-check is also sampled at the end of the run', async () => {
    const definition = tiny({ checkIntervalMs: 1000, checks: [always<Tiny>('never more than 5', ({ system }) => system.served() <= 5)] });
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    expect(variant.failures).toEqual([{ kind: 'correctness', check: 'never more than 5', atMs: 100, message: 'never more than 5 does not hold' }]);
  });

  it('an eventually-check that never holds is a liveness failure at the quiesce bound (and the run ends)', async () => {
    const definition = tiny({ quiesceMs: 1000, checks: [eventually('impossible', () => 'still waiting')] });
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    // The system is idle, but background work may still make a check true: it waits the full bound.
    expect(variant.failures).toEqual([{ kind: 'liveness', check: 'impossible', atMs: 1100, message: 'not reached 1000 ms after faults healed: still waiting' }]);
    expect(variant.simulatedMs).toBe(1100);
  });

  it('eventually with withinMs fails at the first settle past the bound, once, on a busy system', async () => {
    const heartbeat = (world: World): void => {
      world.addNode('beat', (ctx) => {
        const tick = (): void => void ctx.setTimer(7, tick);
        return { onStart: tick };
      });
    };
    const definition = tiny({ quiesceMs: 1000, checkIntervalMs: 100, checks: [eventually('impossible', () => false, { withinMs: 300 })] }, 5, heartbeat);
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    // Healed at 100; settles at 200, 300, 400, 500: 500 - 100 > 300 first.
    expect(variant.failures).toEqual([{ kind: 'liveness', check: 'impossible', atMs: 500, message: 'not reached within 300 ms after faults healed: impossible does not hold' }]);
    expect(variant.simulatedMs).toBe(1100);
  });

  it('an eventually-check that comes true once faults heal passes; the quiesce phase ends early', async () => {
    const definition = tiny({
      quiesceMs: 5000,
      faults: [{ atMs: 20, fault: crash('svc') }],
      checks: [eventually<Tiny>('svc up', ({ system }) => system.world.node('svc').status === 'up')],
    });
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    expect(variant.failures).toEqual([]);
    // Healed (and svc restarted) at 100: the check holds at once, so the quiesce phase ends there.
    expect(variant.simulatedMs).toBe(100);
  });

  it('sometimes-checks report coverage and never fail', async () => {
    const definition = tiny({
      checkIntervalMs: 10,
      checks: [sometimes<Tiny>('served 4', ({ system }) => system.served() >= 4), sometimes<Tiny>('served 100', ({ system }) => system.served() >= 100)],
    });
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    expect(variant.coverage).toEqual({ 'served 4': true, 'served 100': false });
    expect(variant.ok).toBe(true);
  });
});

describe('the run as checks and metrics see it', () => {
  it('a check receives the system, the world, the virtual time and the workload metrics so far', async () => {
    const seen: [number, number, boolean][] = [];
    const definition = tiny({
      checkIntervalMs: 30,
      checks: [always<Tiny>('records', ({ system, world, nowMs, metrics }) => (seen.push([nowMs, metrics.sent, world === system.world]), true))],
    });
    await runScenario(scenario(definition), 1);
    // Requests leave at 10, 25, 40, 55, 70, 85 (none at the end, 100): samples at 30, 60, 90, at the
    // end of the load and at the end of the (empty) quiesce phase.
    expect(seen).toEqual([[30, 2, true], [60, 4, true], [90, 6, true], [100, 6, true], [100, 6, true]]);
  });

  it("a system's metrics() receives the same view of the run at its end", async () => {
    const definition = tiny();
    const build = definition.variants[0]!.build;
    definition.variants[0]!.build = (world, env) => ({ ...build(world, env), metrics: ({ nowMs, metrics }) => ({ endMs: nowMs, answered: metrics.ok }) });
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    expect(variant.metrics.consistency).toEqual({ endMs: variant.simulatedMs, answered: variant.metrics.requests.ok });
  });
});

describe('failure events', () => {
  it('a registered failure event (a component that gave up) is a failure of its kind, naming node and detail', async () => {
    registerFailureEvents('liveness', 'test.gave-up');
    const givesUp = (world: World): void => {
      world.addNode('worker', (ctx) => ({ onStart: () => void ctx.setTimer(30, () => ctx.emit('test.gave-up', 'job j1: 3 tries failed')) }));
    };
    const variant = (await runScenario(scenario(tiny({}, 5, givesUp)), 1)).variants[0]!;
    expect(variant.failures).toEqual([{ kind: 'liveness', check: 'test.gave-up', atMs: 30, message: 'worker: job j1: 3 tries failed' }]);
    expect(variant.ok).toBe(false);
  });
});

describe('scripted clients', () => {
  it("world.client's requests count in the metrics like workload traffic, under their endpoint", async () => {
    const definition = tiny({ workload: { kind: 'open', ratePerSec: 1, maxRequests: 0, request: () => ({ endpoint: 'GET /x', method: 'get' }) } });
    const build = definition.variants[0]!.build;
    const answers: unknown[] = [];
    definition.variants[0]!.build = (world, env) => {
      const system = build(world, env);
      world.client(async (ctx) => {
        for (let index = 0; index < 3; index++) {
          answers.push([ctx.nowMs, await ctx.call('svc', 'get', undefined, { endpoint: 'script' })]);
          await ctx.sleep(20);
        }
        await ctx.call('nowhere', 'get').catch((error: Error) => answers.push(error.message));
      });
      return system;
    };
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    // Sent at 0, 25, 50 (5 ms of service, 20 ms of sleep), then one call to a node that does not exist.
    expect(answers).toEqual([[0, 1], [25, 2], [50, 3], 'no node nowhere']);
    expect(variant.metrics.requests).toEqual({ total: 4, ok: 3, failed: 1 });
    expect(variant.metrics.endpoints.map((endpoint) => [endpoint.endpoint, endpoint.ok, endpoint.failed])).toEqual([['script', 3, 0], ['get', 0, 1]]);
    expect(variant.metrics.errors).toEqual({ unavailable: 1 });
  });
});

describe('limits and crashes', () => {
  it('an exhausted event budget is a liveness failure named event-budget, not a hang', async () => {
    const livelock = (world: World): void => {
      const spin = (): void => void world.sim.schedule(0, spin);
      world.sim.schedule(30, spin);
    };
    const definition = tiny({ maxEvents: 500 }, 5, livelock);
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    expect(variant.failures).toHaveLength(1);
    expect(variant.failures[0]).toMatchObject({ kind: 'liveness', check: 'event-budget', atMs: 30 });
    expect(variant.failures[0]!.message).toBe('event budget of 500 events spent at 30 ms, before 100 ms: raise maxEvents or look for a livelock');
    expect(variant.events).toBe(500);
  });

  it('the budget also bounds the quiesce phase', async () => {
    const lateLivelock = (world: World): void => {
      const spin = (): void => void world.sim.schedule(0, spin);
      world.sim.schedule(150, spin);
    };
    const definition = tiny({ maxEvents: 500, quiesceMs: 1000, checks: [eventually('never', () => false)] }, 5, lateLivelock);
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    // The budget failure ends the run; pending eventually-checks are not judged after it.
    expect(variant.failures.map((failure) => [failure.kind, failure.check, failure.atMs])).toEqual([['liveness', 'event-budget', 150]]);
  });

  it('a callback that throws in the engine is a crash failure; the guard is removed', async () => {
    const thrower = (world: World): void => {
      world.sim.schedule(33, () => {
        throw new Error('engine callback exploded');
      });
    };
    const variant = (await runScenario(scenario(tiny({}, 5, thrower)), 1)).variants[0]!;
    expect(variant.failures).toEqual([{ kind: 'crash', check: 'simulator', atMs: 33, message: 'engine callback exploded' }]);
    expect(variant.ok).toBe(false);
    expect(guardInstalled()).toBe(false);
  });

  it('a metrics() that throws is a crash failure named metrics', async () => {
    const definition = tiny();
    const build = definition.variants[0]!.build;
    definition.variants[0]!.build = (world, env) => ({
      ...build(world, env),
      metrics: () => {
        throw new Error('no figures');
      },
    });
    const variant = (await runScenario(scenario(definition), 1)).variants[0]!;
    expect(variant.failures).toEqual([{ kind: 'crash', check: 'metrics', atMs: 100, message: 'no figures' }]);
  });

  it('configuration errors in build are thrown, not recorded, and the guard is removed', async () => {
    const noEntry = tiny();
    noEntry.variants[0]!.build = () => ({}) as Tiny;
    await expect(runScenario(scenario(noEntry), 1)).rejects.toThrow("variant 'single' build() must return an object with an entry node name");
    const unknownEntry = tiny();
    const build = unknownEntry.variants[0]!.build;
    unknownEntry.variants[0]!.build = (world, env) => ({ ...build(world, env), entry: 'frontend' });
    await expect(runScenario(scenario(unknownEntry), 1)).rejects.toThrow("unknown node 'frontend': known nodes are svc");
    const badFault = tiny({ faults: [{ atMs: 1, fault: partition(['svc'], ['db']) }] });
    await expect(runScenario(scenario(badFault), 1)).rejects.toThrow(ConfigError);
    expect(guardInstalled()).toBe(false);
  });

  it('onQuiesce is called once, when the workload stops and faults heal', async () => {
    const calls: number[] = [];
    const definition = tiny();
    const build = definition.variants[0]!.build;
    definition.variants[0]!.build = (world, env) => ({ ...build(world, env), onQuiesce: () => void calls.push(world.nowMs) });
    await runScenario(scenario(definition), 1);
    expect(calls).toEqual([100]);
  });
});

describe('variants, plans and replay', () => {
  const twoVariants = (): ScenarioDefinition<Tiny> => {
    const base = tiny({ workload: { kind: 'open', ratePerSec: 200, request: () => ({ endpoint: 'x', method: 'get' }) } });
    const single = base.variants[0]!;
    return { ...base, variants: [single, { ...single, name: 'slow-link', build: (world, env) => (world.network.setDefaultLink({ latencyMs: { kind: 'constant', value: 3 } }), single.build(world, env)) }] };
  };

  it('runs every variant on the same seed, or only the one asked for', async () => {
    const all = await runScenario(scenario(twoVariants()), 3);
    expect(all.variants.map((variant) => variant.name)).toEqual(['single', 'slow-link']);
    // The same seed gives both variants the same workload.
    expect(all.variants[0]!.metrics.requests.total).toBe(all.variants[1]!.metrics.requests.total);
    const one = await runScenario(scenario(twoVariants()), 3, { variant: 'slow-link' });
    expect(one.variants.map((variant) => variant.name)).toEqual(['slow-link']);
    expect(one.variants[0]!.traceHash).toBe(all.variants[1]!.traceHash);
    await expect(runScenario(scenario(twoVariants()), 3, { variant: 'nope' })).rejects.toThrow("unknown variant 'nope': tiny has single, slow-link");
  });

  it('the scenario hash combines the variant hashes; the same seed gives the same hashes', async () => {
    const first = await runScenario(scenario(twoVariants()), 8);
    const second = await runScenario(scenario(twoVariants()), 8);
    expect(second.traceHash).toBe(first.traceHash);
    expect(second.variants.map((v) => v.traceHash)).toEqual(first.variants.map((v) => v.traceHash));
    expect((await runScenario(scenario(twoVariants()), 9)).traceHash).not.toBe(first.traceHash);
  });

  it('extra sinks see every trace event of their variant; filtered sinks only their kinds', async () => {
    const kinds = new Map<string, string[]>();
    const faults = new Map<string, number>();
    const definition = scenario(tiny({ faults: [{ atMs: 30, fault: crash('svc') }] }));
    await runScenario(definition, 1, {
      observersFor: (variant) => ({
        sinks: [(event) => kinds.set(variant, [...(kinds.get(variant) ?? []), event.kind])],
        filteredSinks: [{ kinds: ['node.crash'], sink: (event) => faults.set(event.node, event.atMs) }],
      }),
    });
    // The answer due at 30 is lost: the crash, scheduled first, fires first. Quiesce heals and restarts.
    // The system's figures close the trace.
    expect(kinds.get('single')).toEqual(['node.start', 'span', 'fault', 'node.crash', 'net.heal', 'net.release', 'node.restart', 'run.metrics']);
    expect([...faults]).toEqual([['svc', 30]]);
  });

  it('planFor merges fixed, variant and regime faults, sorted; every variant draws the same regime faults', () => {
    const definition = scenario(
      tiny({
        durationMs: 60_000,
        faults: [{ atMs: 5000, fault: crash('svc') }],
        faultRegime: { entries: [{ kind: 'pause', targets: ['svc'], probabilityPerSec: 0.2, minStableMs: 1000, durationMs: { kind: 'constant', value: 300 } }] },
        variants: [
          { ...tiny().variants[0]! },
          { ...tiny().variants[0]!, name: 'other', faults: [{ atMs: 1, fault: crash('svc') }] },
        ],
      }),
    );
    const single = planFor(definition, 4, 'single');
    const other = planFor(definition, 4, 'other');
    expect(single.faults.map((f) => f.atMs)).toEqual([...single.faults.map((f) => f.atMs)].sort((a, b) => a - b));
    expect(single.faults.filter((f) => f.fault.kind === 'pause').length).toBeGreaterThan(3);
    expect(other.faults.filter((f) => f !== other.faults.find((g) => g.atMs === 1))).toEqual(single.faults);
    expect(planFor(definition, 4, 'single')).toEqual(single);
    expect(planFor(definition, 5, 'single').faults).not.toEqual(single.faults);
    expect(() => findVariant(definition, 'missing')).toThrow(ConfigError);
  });

  it('runVariant replays a plan exactly', async () => {
    const definition = scenario(twoVariants());
    const result = await runScenario(definition, 11);
    const replayed = await runVariant(definition, planFor(definition, 11, 'slow-link'));
    expect(replayed.traceHash).toBe(result.variants[1]!.traceHash);
    const limited = await runVariant(definition, { ...planFor(definition, 11, 'single'), maxRequests: 2 });
    expect(limited.metrics.requests.total).toBe(2);
    expect(limited.maxRequests).toBe(2);
  });

  it('swarm options: defaults without swarm; per-seed draws within range with swarm', () => {
    const definition = scenario(tiny({ options: { replicas: { min: 1, max: 5, integer: true, default: 2 }, ratio: { min: 0.1, max: 0.2 } } }));
    expect(drawOptions(definition, 1, false)).toEqual({ replicas: 2, ratio: 0.1 });
    const drawn = Array.from({ length: 30 }, (_, seed) => drawOptions(definition, seed, true));
    for (const options of drawn) {
      expect(Number.isInteger(options.replicas)).toBe(true);
      expect(options.replicas).toBeGreaterThanOrEqual(1);
      expect(options.replicas).toBeLessThanOrEqual(5);
      expect(options.ratio).toBeGreaterThanOrEqual(0.1);
      expect(options.ratio).toBeLessThan(0.2);
    }
    expect(new Set(drawn.map((options) => options.replicas)).size).toBe(5);
    expect(drawOptions(definition, 7, true)).toEqual(drawn[7]);
  });
});
