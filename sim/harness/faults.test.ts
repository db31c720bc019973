// Tests for sim/harness/faults.ts: faults as values (description, nodes), applyFault and its undo, scheduled
// faults with durations at exact virtual times, validation, and regimes drawn into schedules.
import { describe, expect, it } from 'vitest';
import { World, CLIENT } from '../world/world.ts';
import { Rng } from '../engine/rng.ts';
import { ConfigError } from '../engine/errors.ts';
import {
  applyFault,
  crash,
  degradeLink,
  describeFault,
  describeScheduledFault,
  drawSchedule,
  faultNodes,
  heal,
  healEverything,
  hold,
  isolate,
  partition,
  pause,
  release,
  restart,
  resume,
  scheduleFaults,
  skew,
  slow,
  validateRegime,
  validateSchedule,
  type Fault,
  type FaultRegime,
  type ScheduledFault,
} from './faults.ts';
import type { TraceEvent } from '../engine/trace.ts';

function worldWith(...names: string[]): World {
  const world = new World(1);
  for (const name of names) world.addNode(name, () => ({}));
  return world;
}

describe('faults as values', () => {
  it.each<[Fault, string]>([
    [crash('payments'), 'crash payments'],
    [crash('payments', { wipeDurable: true }), 'crash payments (wipe durable)'],
    [restart('payments'), 'restart payments'],
    [pause('a'), 'pause a'],
    [resume('a'), 'resume a'],
    [slow('a', 10), 'slow a x10'],
    [skew('a', 5000), 'skew a 5000ms 0ppm'],
    [skew('a', -20, 50), 'skew a -20ms 50ppm'],
    [partition(['a', 'b'], ['c']), 'partition a,b | c'],
    [partition(['a'], ['c'], { oneWay: true }), 'partition a -> c'],
    [isolate('a'), 'isolate a'],
    [heal(), 'heal'],
    [hold('a', '*'), 'hold a->*'],
    [release(), 'release *->*'],
    [release('a', 'b'), 'release a->b'],
    [degradeLink('a', '*', { lossProbability: 0.3, latencyMs: { kind: 'constant', value: 5 } }), 'link a->* latency 5ms loss 0.3'],
  ])('%j is described as "%s"', (fault, text) => {
    expect(describeFault(fault)).toBe(text);
  });

  it('values are plain data that survive JSON', () => {
    const schedule: ScheduledFault[] = [{ atMs: 100, durationMs: 50, fault: partition(['a'], ['b'], { oneWay: true }) }];
    expect(JSON.parse(JSON.stringify(schedule))).toEqual(schedule);
  });

  it('describes a scheduled fault with its time and duration, rounded to the microsecond', () => {
    expect(describeScheduledFault({ atMs: 30000, durationMs: 30000, fault: crash('payments') })).toBe('@30000ms for 30000ms: crash payments');
    expect(describeScheduledFault({ atMs: 1.23456789, fault: heal() })).toBe('@1.235ms: heal');
  });

  it('names the nodes each fault touches', () => {
    expect(faultNodes(crash('a'))).toEqual(['a']);
    expect(faultNodes(partition(['a', 'b'], ['c']))).toEqual(['a', 'b', 'c']);
    expect(faultNodes(hold('a', '*'))).toEqual(['a', '*']);
    expect(faultNodes(release())).toEqual(['*', '*']);
    expect(faultNodes(heal())).toEqual([]);
  });
});

describe('applyFault and undo', () => {
  it('crash, undone by a restart (only if still down)', () => {
    const world = worldWith('a');
    const undo = applyFault(world, crash('a'))!;
    expect(world.node('a').status).toBe('down');
    undo();
    expect(world.node('a').status).toBe('up');
    expect(world.node('a').stats.restarts).toBe(1);
    applyFault(world, crash('a'));
    world.restart('a');
    const generation = world.node('a').generation;
    undo();
    expect(world.node('a').generation).toBe(generation);
  });

  it('pause/resume, slow and skew restore what was there before', () => {
    const world = worldWith('a');
    const unpause = applyFault(world, pause('a'))!;
    expect(world.node('a').paused).toBe(true);
    unpause();
    expect(world.node('a').paused).toBe(false);

    world.slow('a', 2);
    const unslow = applyFault(world, slow('a', 10))!;
    expect(world.node('a').slowFactor).toBe(10);
    unslow();
    expect(world.node('a').slowFactor).toBe(2);

    world.skewClock('a', 7, 3);
    const unskew = applyFault(world, skew('a', 5000, 100))!;
    expect([world.node('a').clockSkewMs, world.node('a').clockDriftPpm]).toEqual([5000, 100]);
    unskew();
    expect([world.node('a').clockSkewMs, world.node('a').clockDriftPpm]).toEqual([7, 3]);
  });

  it('partition and isolate are undone by healing only their own cut', () => {
    const world = worldWith('a', 'b', 'c');
    const other = world.partition(['a'], ['c']);
    const unpartition = applyFault(world, partition(['a'], ['b'], { oneWay: true }))!;
    expect(world.network.blocked('a', 'b')).toBe(true);
    expect(world.network.blocked('b', 'a')).toBe(false);
    unpartition();
    expect(world.network.blocked('a', 'b')).toBe(false);
    expect(world.network.blocked('a', 'c')).toBe(true);
    const unisolate = applyFault(world, isolate('b'))!;
    expect(world.network.blocked(CLIENT, 'b')).toBe(true);
    unisolate();
    expect(world.network.blocked(CLIENT, 'b')).toBe(false);
    world.heal(other);
  });

  it('hold is undone by a release; a degraded link by a reset', async () => {
    const world = worldWith('a', 'b');
    const arrivals: number[] = [];
    world.addNode('sink', () => ({ onMessage: () => void arrivals.push(world.nowMs) }));
    const unhold = applyFault(world, hold('a', 'sink'))!;
    world.sim.schedule(0, () => world.node('a').ctx.send('sink', 1));
    world.sim.schedule(10, unhold);
    let undegrade: () => void = () => {};
    world.sim.schedule(20, () => (undegrade = applyFault(world, degradeLink('a', '*', { latencyMs: { kind: 'constant', value: 30 } }))!));
    world.sim.schedule(20, () => world.node('a').ctx.send('sink', 2));
    world.sim.schedule(60, () => undegrade());
    world.sim.schedule(60, () => world.node('a').ctx.send('sink', 3));
    await world.sim.run();
    expect(arrivals).toEqual([11, 50, 61]);
  });

  it('restart, resume, heal and release have no undo', () => {
    const world = worldWith('a');
    world.crash('a');
    expect(applyFault(world, restart('a'))).toBeUndefined();
    expect(applyFault(world, resume('a'))).toBeUndefined();
    expect(applyFault(world, heal())).toBeUndefined();
    expect(applyFault(world, release())).toBeUndefined();
  });
});

describe('scheduleFaults', () => {
  function faultTrace(world: World): string[] {
    const lines: string[] = [];
    world.sim.trace.addSink((event: TraceEvent) => {
      if (event.kind.startsWith('fault') || event.kind.startsWith('node.') || event.kind.startsWith('net.')) {
        lines.push(`${event.atMs} ${event.kind} ${event.node}`);
      }
    });
    return lines;
  }

  it('applies each fault at its time and undoes it after its duration, at exact times', async () => {
    const world = worldWith('a', 'b');
    const lines = faultTrace(world);
    scheduleFaults(world, [
      { atMs: 100, durationMs: 250, fault: crash('a') },
      { atMs: 120.5, durationMs: 30, fault: partition(['a'], ['b']) },
      { atMs: 200, fault: slow('b', 3) },
    ]);
    world.sim.schedule(1000, () => {});
    await world.sim.run();
    expect(lines).toEqual([
      '100 fault crash a',
      '100 node.crash a',
      '120.5 fault partition a | b',
      '120.5 net.partition a',
      '150.5 fault.end partition a | b',
      '150.5 net.heal 1',
      '200 fault slow b x3',
      '200 node.slow b',
      '350 fault.end crash a',
      '350 node.restart a',
    ]);
    expect(world.node('b').slowFactor).toBe(3);
  });

  it('the returned function ends faults in effect, heals everything, and cancels faults not started yet', async () => {
    const world = worldWith('a', 'b');
    const lines = faultTrace(world);
    const endAll = scheduleFaults(world, [
      { atMs: 10, durationMs: 1000, fault: pause('a') },
      { atMs: 20, fault: slow('b', 5) },
      { atMs: 30, fault: partition(['a'], ['b']) },
      { atMs: 500, durationMs: 10, fault: crash('b') },
    ]);
    world.sim.schedule(100, endAll);
    world.sim.schedule(2000, () => {});
    await world.sim.run();
    expect(lines).toEqual([
      '10 fault pause a',
      '10 node.pause a',
      '20 fault slow b x5',
      '20 node.slow b',
      '30 fault partition a | b',
      '30 net.partition a',
      '100 node.resume a',
      '100 net.heal *',
      '100 net.release *',
      '100 node.slow b',
    ]);
    expect(world.allNodes().map((node) => [node.status, node.paused, node.slowFactor])).toEqual([
      ['up', false, 1],
      ['up', false, 1],
    ]);
    expect(world.network.blocked('a', 'b')).toBe(false);
  });

  it('healEverything resumes paused nodes, restores speed, heals partitions and releases held messages', () => {
    const world = worldWith('a', 'b');
    world.pause('a');
    world.slow('b', 4);
    world.partition(['a'], ['b']);
    world.hold('*', '*');
    world.node('a').ctx.send('b', 1);
    healEverything(world);
    expect(world.node('a').paused).toBe(false);
    expect(world.node('b').slowFactor).toBe(1);
    expect(world.network.blocked('a', 'b')).toBe(false);
    expect(world.network.heldCount).toBe(0);
  });
});

describe('validateSchedule', () => {
  it('refuses an unknown node with a ConfigError listing the known nodes', () => {
    const world = worldWith('orders', 'payments');
    expect(() => validateSchedule([{ atMs: 5, fault: crash('paymnets') }], world)).toThrow(ConfigError);
    expect(() => validateSchedule([{ atMs: 5, fault: crash('paymnets') }], world)).toThrow(
      "fault '@5ms: crash paymnets' names unknown node 'paymnets': known nodes are orders, payments",
    );
    expect(() => validateSchedule([{ atMs: 5, fault: partition(['orders'], ['nope']) }], world)).toThrow(/unknown node 'nope'/);
  });

  it("accepts '*' and the client as endpoints", () => {
    const world = worldWith('a');
    expect(() => validateSchedule([{ atMs: 0, fault: hold('*', 'a') }, { atMs: 0, fault: partition([CLIENT], ['a']) }, { atMs: 0, fault: release() }], world)).not.toThrow();
  });

  it.each<[string, ScheduledFault, RegExp]>([
    ['a negative time', { atMs: -1, fault: heal() }, /atMs must be a finite number >= 0/],
    ['an infinite time', { atMs: Infinity, fault: heal() }, /atMs must be a finite number >= 0/],
    ['a negative duration', { atMs: 1, durationMs: -5, fault: heal() }, /durationMs must be a finite number >= 0/],
    ['a zero slow factor', { atMs: 1, fault: slow('a', 0) }, /slow factor must be a finite number > 0/],
    ['an unknown fault kind', { atMs: 1, fault: { kind: 'explode', node: 'a' } as never }, /^unknown fault kind 'explode': use one of crash, restart, crash-loop, pause, resume, slow, skew, partition, isolate, heal, hold, release, link, call-latency, call-error, call-blackhole, call-bandwidth, call-first-byte$/],
  ])('refuses %s', (_why, scheduled, message) => {
    expect(() => validateSchedule([scheduled], worldWith('a'))).toThrow(message);
  });
});

describe('drawSchedule', () => {
  const regime: FaultRegime = {
    startMs: 2000,
    entries: [
      { kind: 'crash', targets: ['a', 'b'], probabilityPerSec: 0.3, minStableMs: 5000, durationMs: { kind: 'uniform', min: 500, max: 3000 } },
      { kind: 'slow', targets: ['c'], probabilityPerSec: 0.5, minStableMs: 1000, durationMs: { kind: 'exponential', mean: 2000 } },
      { kind: 'partition', targets: ['a', 'b', 'c'], probabilityPerSec: 0.2, minStableMs: 0, durationMs: { kind: 'constant', value: 700.4 } },
    ],
  };

  it('is deterministic per rng state; another seed draws another schedule', () => {
    const first = drawSchedule(regime, 120_000, new Rng(9).fork('faults'));
    expect(drawSchedule(regime, 120_000, new Rng(9).fork('faults'))).toEqual(first);
    expect(drawSchedule(regime, 120_000, new Rng(10).fork('faults'))).not.toEqual(first);
    expect(first.length).toBeGreaterThan(20);
  });

  it('respects minStableMs per kind, the start time and the horizon; sorted by time', () => {
    const violations: string[] = [];
    let drawn = 0;
    for (let seed = 0; seed < 20; seed++) {
      const schedule = drawSchedule(regime, 60_000, new Rng(seed));
      drawn += schedule.length;
      schedule.forEach((scheduled, index) => {
        const { atMs, durationMs = 0 } = scheduled;
        if (index > 0 && atMs < schedule[index - 1]!.atMs) violations.push(`seed ${seed}: not sorted at ${atMs}`);
        if (atMs < 2000 || atMs >= 60_000) violations.push(`seed ${seed}: ${atMs} outside [2000, 60000)`);
        if (!Number.isInteger(atMs) || !Number.isInteger(durationMs) || durationMs < 1) violations.push(`seed ${seed}: ${atMs}/${durationMs} not whole ms`);
      });
      for (const entry of regime.entries) {
        const ofKind = schedule.filter((f) => f.fault.kind === entry.kind);
        for (let index = 1; index < ofKind.length; index++) {
          const previous = ofKind[index - 1]!;
          const stableFromMs = previous.atMs + previous.durationMs! + entry.minStableMs;
          if (ofKind[index]!.atMs < stableFromMs) violations.push(`seed ${seed}: ${entry.kind} at ${ofKind[index]!.atMs} before ${stableFromMs}`);
        }
      }
    }
    expect(violations).toEqual([]);
    expect(drawn).toBeGreaterThan(200);
  });

  it('a fault drawn in the last second never starts past the horizon', () => {
    const always: FaultRegime = { entries: [{ kind: 'crash', targets: ['a'], probabilityPerSec: 1, minStableMs: 0, durationMs: { kind: 'constant', value: 1 } }] };
    const starts = Array.from({ length: 50 }, (_, seed) => drawSchedule(always, 1500, new Rng(seed)).map((f) => f.atMs)).flat();
    expect(starts.filter((atMs) => atMs >= 1500)).toEqual([]);
    expect(starts.length).toBeGreaterThanOrEqual(50);
  });

  it('maps each kind to a fault on a chosen target, with magnitudes and their defaults', () => {
    const entry = (kind: FaultRegime['entries'][number]['kind'], magnitude?: number): FaultRegime => ({
      entries: [{ kind, targets: ['a', 'b'], probabilityPerSec: 1, minStableMs: 100_000, durationMs: { kind: 'constant', value: 10 }, ...(magnitude !== undefined ? { magnitude } : {}) }],
    });
    const first = (regime: FaultRegime): Fault => drawSchedule(regime, 1000, new Rng(3))[0]!.fault;
    const target = (first(entry('crash')) as { node: string }).node;
    expect(['a', 'b']).toContain(target);
    const other = target === 'a' ? 'b' : 'a';
    expect(first(entry('crash'))).toEqual(crash(target));
    expect(first(entry('pause'))).toEqual(pause(target));
    expect(first(entry('isolate'))).toEqual(isolate(target));
    expect(first(entry('slow'))).toEqual(slow(target, 10));
    expect(first(entry('slow', 4))).toEqual(slow(target, 4));
    expect(first(entry('skew'))).toEqual(skew(target, 5000));
    expect(first(entry('lossy-link'))).toEqual(degradeLink(target, '*', { lossProbability: 0.3 }));
    expect(first(entry('partition'))).toEqual(partition([target], [other]));
  });

  it.each<[string, Partial<FaultRegime['entries'][number]>, RegExp]>([
    ['a probability above 1', { probabilityPerSec: 1.2 }, /probabilityPerSec is 1.2/],
    ['a negative minStableMs', { minStableMs: -1 }, /minStableMs must be >= 0/],
    ['no targets', { targets: [] }, /targets is empty/],
    ['a partition with one target', { kind: 'partition', targets: ['a'] }, /a partition needs at least two targets/],
    ['a bad duration', { durationMs: { kind: 'uniform', min: 3, max: 1 } }, /fault regime entry 'crash' durationMs: uniform min/],
  ])('a regime with %s is a ConfigError', (_why, change, message) => {
    const bad: FaultRegime = { entries: [{ kind: 'crash', targets: ['a'], probabilityPerSec: 0.1, minStableMs: 0, durationMs: { kind: 'constant', value: 1 }, ...change }] };
    expect(() => validateRegime(bad)).toThrow(ConfigError);
    expect(() => validateRegime(bad)).toThrow(message);
    expect(() => drawSchedule(bad, 1000, new Rng(1))).toThrow(message);
  });
});
