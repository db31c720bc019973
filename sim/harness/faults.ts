// Faults as values: data that can be printed, recorded in a result, replayed and shrunk; applied to
// a world by `applyFault`. Random regimes are drawn from the `faults` stream into a concrete schedule.
import type { World } from '../world/world.ts';
import type { LinkOptions } from '../world/network.ts';
import { validateDistribution, describeDistribution, type Distribution, type Rng } from '../engine/rng.ts';
import { ConfigError } from '../engine/errors.ts';
import { CLIENT } from '../world/world.ts';
import {
  applyCallFault, callFaultNodes, describeCallFault, regimeCallFault, validateCallFault, isCallFault,
  type CallFault, type CallFaultKind, type CallRegimeSettings,
} from './call-faults.ts';

/** One fault, as data. */
export type Fault =
  | { kind: 'crash'; node: string; wipeDurable?: boolean }
  | { kind: 'restart'; node: string }
  | { kind: 'crash-loop'; node: string; starts: number; startupMs?: number }
  | { kind: 'pause'; node: string }
  | { kind: 'resume'; node: string }
  | { kind: 'slow'; node: string; factor: number }
  | { kind: 'skew'; node: string; skewMs: number; driftPpm?: number }
  | { kind: 'partition'; from: string[]; to: string[]; oneWay?: boolean }
  | { kind: 'isolate'; node: string }
  | { kind: 'heal' }
  | { kind: 'hold'; from: string; to: string }
  | { kind: 'release'; from?: string; to?: string }
  | { kind: 'link'; from: string; to: string; link: LinkOptions }
  | CallFault;

/** A fault at a virtual time; with `durationMs` it is reverted that much later (crash → restart…). */
export interface ScheduledFault {
  atMs: number;
  durationMs?: number;
  fault: Fault;
}

/** Crashes a node (in-flight work lost; durable state kept unless `wipeDurable`). */
export const crash = (node: string, options: { wipeDurable?: boolean } = {}): Fault => ({ kind: 'crash', node, ...options });
/** Crashes a node now and on each of its next `starts` starts (`startupMs` after each): needs self-healing to come back. */
export const crashLoop = (node: string, starts: number, startupMs?: number): Fault => ({ kind: 'crash-loop', node, starts, ...(startupMs !== undefined ? { startupMs } : {}) });
/** Restarts a node from its factory and durable state. */
export const restart = (node: string): Fault => ({ kind: 'restart', node });
/** Stops the world on a node until `resume`. */
export const pause = (node: string): Fault => ({ kind: 'pause', node });
/** Ends a pause. */
export const resume = (node: string): Fault => ({ kind: 'resume', node });
/** Multiplies a node's service time: a gray failure. */
export const slow = (node: string, factor: number): Fault => ({ kind: 'slow', node, factor });
/** Skews a node's clock by `skewMs` and makes it drift by `driftPpm`. */
export const skew = (node: string, skewMs: number, driftPpm = 0): Fault => ({ kind: 'skew', node, skewMs, driftPpm });
/** Cuts two groups apart (both ways unless `oneWay`). */
export const partition = (from: string[], to: string[], options: { oneWay?: boolean } = {}): Fault => ({ kind: 'partition', from, to, ...options });
/** Cuts a node off from everything. */
export const isolate = (node: string): Fault => ({ kind: 'isolate', node });
/** Heals every partition. */
export const heal = (): Fault => ({ kind: 'heal' });
/** Holds in-flight messages on a link (`*` matches any endpoint). */
export const hold = (from: string, to: string): Fault => ({ kind: 'hold', from, to });
/** Releases held messages. */
export const release = (from?: string, to?: string): Fault => ({ kind: 'release', ...(from ? { from } : {}), ...(to ? { to } : {}) });
/** Changes one direction of a link (latency, loss…). */
export const degradeLink = (from: string, to: string, link: LinkOptions): Fault => ({ kind: 'link', from, to, link });

/** Undoes one applied fault (restart after a crash, heal after a partition…). */
export type FaultUndo = () => void;

/** What the harness knows of one fault kind: how it reads, which nodes it names, how it applies. */
interface FaultKind<F extends Fault> {
  /** One line, e.g. `crash payments`. */
  describe(fault: F): string;
  /** The nodes it names (`*` matches any). */
  nodes(fault: F): string[];
  /** Applies it now; returns how to undo it when it has a natural end. */
  apply(world: World, fault: F): FaultUndo | undefined;
  /** A problem with its values, as the end of a ConfigError message, or undefined. */
  invalid?(fault: F): string | undefined;
}

type FaultOf<K extends Fault['kind']> = Extract<Fault, { kind: K }>;

const oneNode = (fault: { node: string }): string[] => [fault.node];
const bothEnds = (fault: { from: string; to: string }): string[] => [fault.from, fault.to];

/** The per-call kinds (sim/harness/call-faults.ts): one record serves them all. */
const CALL_FAULT: FaultKind<CallFault> = {
  describe: describeCallFault,
  nodes: callFaultNodes,
  apply: applyCallFault,
};

/** Every fault kind, one record each. */
const FAULT_KINDS: { [K in Fault['kind']]: FaultKind<FaultOf<K>> } = {
  crash: {
    describe: (fault) => `crash ${fault.node}${fault.wipeDurable ? ' (wipe durable)' : ''}`,
    nodes: oneNode,
    apply: (world, fault) => {
      world.crash(fault.node, { wipeDurable: fault.wipeDurable ?? false });
      return () => {
        if (world.node(fault.node).status === 'down') world.restart(fault.node);
      };
    },
  },
  restart: {
    describe: (fault) => `restart ${fault.node}`,
    nodes: oneNode,
    apply: (world, fault) => void world.restart(fault.node),
  },
  'crash-loop': {
    describe: (fault) => `crash-loop ${fault.node} for ${fault.starts} starts`,
    nodes: oneNode,
    apply: (world, fault) => {
      world.crashLoop(fault.node, fault.starts, fault.startupMs);
      // The end of the fault is the fix being deployed: later starts succeed.
      return () => {
        world.node(fault.node).crashOnStarts = 0;
      };
    },
  },
  pause: {
    describe: (fault) => `pause ${fault.node}`,
    nodes: oneNode,
    apply: (world, fault) => {
      world.pause(fault.node);
      return () => world.resume(fault.node);
    },
  },
  resume: {
    describe: (fault) => `resume ${fault.node}`,
    nodes: oneNode,
    apply: (world, fault) => void world.resume(fault.node),
  },
  slow: {
    describe: (fault) => `slow ${fault.node} x${fault.factor}`,
    nodes: oneNode,
    apply: (world, fault) => {
      const before = world.node(fault.node).slowFactor;
      world.slow(fault.node, fault.factor);
      return () => world.slow(fault.node, before);
    },
    invalid: (fault) => (fault.factor > 0 && Number.isFinite(fault.factor) ? undefined : 'slow factor must be a finite number > 0'),
  },
  skew: {
    describe: (fault) => `skew ${fault.node} ${fault.skewMs}ms ${fault.driftPpm ?? 0}ppm`,
    nodes: oneNode,
    apply: (world, fault) => {
      const node = world.node(fault.node);
      const skewMs = node.clockSkewMs;
      const driftPpm = node.clockDriftPpm;
      world.skewClock(fault.node, fault.skewMs, fault.driftPpm ?? 0);
      return () => world.skewClock(fault.node, skewMs, driftPpm);
    },
  },
  partition: {
    describe: (fault) => `partition ${fault.from.join(',')} ${fault.oneWay ? '->' : '|'} ${fault.to.join(',')}`,
    nodes: (fault) => [...fault.from, ...fault.to],
    apply: (world, fault) => {
      const id = world.partition(fault.from, fault.to, { oneWay: fault.oneWay ?? false });
      return () => world.heal(id);
    },
  },
  isolate: {
    describe: (fault) => `isolate ${fault.node}`,
    nodes: oneNode,
    apply: (world, fault) => {
      const id = world.isolate(fault.node);
      return () => world.heal(id);
    },
  },
  heal: {
    describe: () => 'heal',
    nodes: () => [],
    apply: (world) => void world.heal(),
  },
  hold: {
    describe: (fault) => `hold ${fault.from}->${fault.to}`,
    nodes: bothEnds,
    apply: (world, fault) => {
      world.hold(fault.from, fault.to);
      return () => world.release(fault.from, fault.to);
    },
  },
  release: {
    describe: (fault) => `release ${fault.from ?? '*'}->${fault.to ?? '*'}`,
    nodes: (fault) => [fault.from ?? '*', fault.to ?? '*'],
    apply: (world, fault) => void world.release(fault.from ?? '*', fault.to ?? '*'),
  },
  link: {
    describe: (fault) => {
      const parts: string[] = [];
      if (fault.link.latencyMs) parts.push(`latency ${describeDistribution(fault.link.latencyMs)}`);
      if (fault.link.lossProbability !== undefined) parts.push(`loss ${fault.link.lossProbability}`);
      if (fault.link.duplicateProbability !== undefined) parts.push(`dup ${fault.link.duplicateProbability}`);
      if (fault.link.reorderProbability !== undefined) parts.push(`reorder ${fault.link.reorderProbability}`);
      if (fault.link.ordering !== undefined) parts.push(`ordering ${fault.link.ordering}`);
      if (fault.link.bandwidthBytesPerSec !== undefined) parts.push(`bandwidth ${fault.link.bandwidthBytesPerSec}B/s`);
      return `link ${fault.from}->${fault.to} ${parts.join(' ')}`.trim();
    },
    nodes: bothEnds,
    apply: (world, fault) => {
      world.setLink(fault.from, fault.to, fault.link);
      return () => world.network.resetLink(fault.from, fault.to);
    },
  },
  'call-latency': CALL_FAULT,
  'call-error': CALL_FAULT,
  'call-blackhole': CALL_FAULT,
  'call-bandwidth': CALL_FAULT,
  'call-first-byte': CALL_FAULT,
};

/** The record of a fault's kind. */
function kindOf<F extends Fault>(fault: F): FaultKind<F> {
  return FAULT_KINDS[fault.kind] as unknown as FaultKind<F>;
}

/** One line describing a fault, e.g. `crash payments` or `partition orders | inventory`. */
export function describeFault(fault: Fault): string {
  return kindOf(fault).describe(fault);
}

/** One line describing a scheduled fault, e.g. `@30000ms for 30000ms: crash payments`. */
export function describeScheduledFault(scheduled: ScheduledFault): string {
  const span = scheduled.durationMs !== undefined ? ` for ${round(scheduled.durationMs)}ms` : '';
  return `@${round(scheduled.atMs)}ms${span}: ${describeFault(scheduled.fault)}`;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The nodes a fault names. */
export function faultNodes(fault: Fault): string[] {
  return kindOf(fault).nodes(fault);
}

/** Checks a schedule against a world: known nodes, times >= 0, sane factors. Throws ConfigError. */
export function validateSchedule(schedule: readonly ScheduledFault[], world: World): void {
  for (const scheduled of schedule) {
    if (!Object.hasOwn(FAULT_KINDS, scheduled.fault?.kind)) {
      throw new ConfigError(`unknown fault kind '${scheduled.fault?.kind}': use one of ${Object.keys(FAULT_KINDS).join(', ')}`);
    }
    const where = `fault '${describeScheduledFault(scheduled)}'`;
    if (!(scheduled.atMs >= 0) || !Number.isFinite(scheduled.atMs)) throw new ConfigError(`${where}: atMs must be a finite number >= 0`);
    if (scheduled.durationMs !== undefined && !(scheduled.durationMs >= 0 && Number.isFinite(scheduled.durationMs))) {
      throw new ConfigError(`${where}: durationMs must be a finite number >= 0`);
    }
    for (const name of faultNodes(scheduled.fault)) {
      if (name === '*' || name === CLIENT) continue;
      if (!world.hasNode(name)) {
        const known = world.allNodes().map((node) => node.name).join(', ');
        throw new ConfigError(`${where} names unknown node '${name}': known nodes are ${known}`);
      }
    }
    const problem = kindOf(scheduled.fault).invalid?.(scheduled.fault);
    if (problem !== undefined) throw new ConfigError(`${where}: ${problem}`);
    // A per-call fault must name a method its node has, which only the built world knows.
    if (isCallFault(scheduled.fault)) validateCallFault(scheduled.fault, world, where);
  }
}

/** Applies a fault now; returns how to undo it when the fault has a natural end. */
export function applyFault(world: World, fault: Fault): FaultUndo | undefined {
  return kindOf(fault).apply(world, fault);
}

/**
 * Schedules every fault of a schedule on the world's clock, with its undo after `durationMs`.
 * Returns a function that ends everything still in effect (used before the quiesce phase).
 */
export function scheduleFaults(world: World, schedule: readonly ScheduledFault[]): () => void {
  const active = new Map<number, FaultUndo>();
  const starts: number[] = [];
  let nextKey = 0;
  for (const scheduled of schedule) {
    const key = nextKey++;
    starts.push(world.sim.at(scheduled.atMs, () => {
      world.sim.trace.emit(world.sim.nowMs, 'fault', describeFault(scheduled.fault));
      const undo = applyFault(world, scheduled.fault);
      if (scheduled.durationMs === undefined || !undo) return;
      active.set(key, undo);
      world.sim.schedule(scheduled.durationMs, () => {
        if (!active.delete(key)) return;
        world.sim.trace.emit(world.sim.nowMs, 'fault.end', describeFault(scheduled.fault));
        undo();
      });
    }));
  }
  return () => {
    // Faults not started yet must not start after everything healed (they would hit the quiesce phase).
    for (const handle of starts) world.sim.cancel(handle);
    for (const undo of active.values()) undo();
    active.clear();
    healEverything(world);
  };
}

/** Ends every lingering fault: heals partitions, releases held messages, resumes paused nodes, restores speed, ends crash-loops. */
export function healEverything(world: World): void {
  world.heal();
  world.release();
  for (const node of world.allNodes()) {
    if (node.paused) world.resume(node.name);
    if (node.slowFactor !== 1) world.slow(node.name, 1);
    node.crashOnStarts = 0;
  }
  world.callInjections.clear();
}

/** One kind of random fault in a regime. */
export interface FaultRegimeEntry {
  kind: 'crash' | 'pause' | 'slow' | 'isolate' | 'partition' | 'skew' | 'lossy-link' | CallFaultKind;
  /** Nodes the fault may hit; one is chosen per fault (partition: one against the rest of `targets`). */
  targets: string[];
  /** Chance per virtual second, while stable, that a fault of this kind starts. */
  probabilityPerSec: number;
  /** Quiet time after a fault of this kind ends before the next may start. */
  minStableMs: number;
  /** How long each fault lasts. */
  durationMs: Distribution;
  /** slow: the service-time factor (default 10); lossy-link: the loss probability (default 0.3); skew: the skew in ms (default 5000). */
  magnitude?: number;
  /** Per-call kinds (`call-error`…): method, rate, code, latency or bandwidth of the faults drawn. */
  call?: CallRegimeSettings;
}

/** A random fault regime: drawn into a concrete schedule before the run, from the `faults` stream. */
export interface FaultRegime {
  entries: FaultRegimeEntry[];
  /** No fault starts before this time (warm-up). Default 0. */
  startMs?: number;
}

/** Validates a regime; throws ConfigError. */
export function validateRegime(regime: FaultRegime): void {
  for (const entry of regime.entries) {
    const where = `fault regime entry '${entry.kind}'`;
    if (!Object.hasOwn(REGIME_FAULTS, entry.kind)) throw new ConfigError(`${where}: unknown kind; use one of ${Object.keys(REGIME_FAULTS).join(', ')}`);
    if (!(entry.probabilityPerSec >= 0 && entry.probabilityPerSec <= 1)) {
      throw new ConfigError(`${where}: probabilityPerSec is ${entry.probabilityPerSec}; a probability must be between 0 and 1`);
    }
    if (!(entry.minStableMs >= 0)) throw new ConfigError(`${where}: minStableMs must be >= 0`);
    const rate = entry.call?.rate;
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new ConfigError(`${where}: injection rate is ${rate}; use a share between 0 and 1`);
    if (entry.targets.length === 0) throw new ConfigError(`${where}: targets is empty; name at least one node`);
    if (entry.kind === 'partition' && entry.targets.length < 2) throw new ConfigError(`${where}: a partition needs at least two targets`);
    validateDistribution(entry.durationMs, `${where} durationMs`);
  }
}

/**
 * Draws a concrete schedule from a regime: each virtual second, each kind that has been stable for
 * `minStableMs` starts a fault with its probability. Same rng state, same schedule.
 */
export function drawSchedule(regime: FaultRegime, horizonMs: number, rng: Rng): ScheduledFault[] {
  validateRegime(regime);
  const schedule: ScheduledFault[] = [];
  const nextAllowedMs = regime.entries.map(() => regime.startMs ?? 0);
  for (let secondMs = regime.startMs ?? 0; secondMs < horizonMs; secondMs += 1000) {
    regime.entries.forEach((entry, index) => {
      if (secondMs < nextAllowedMs[index]!) return;
      if (!rng.chance(entry.probabilityPerSec)) return;
      const atMs = secondMs + Math.floor(rng.uniform(0, 1000));
      const durationMs = Math.max(1, Math.round(rng.sample(entry.durationMs)));
      const target = rng.choice(entry.targets);
      // Drawn in the last second but past the horizon: it would start after the run, in the quiesce phase.
      if (atMs >= horizonMs) return;
      schedule.push({ atMs, durationMs, fault: regimeFault(entry, target) });
      nextAllowedMs[index] = atMs + durationMs + entry.minStableMs;
    });
  }
  return schedule.sort((a, b) => a.atMs - b.atMs);
}

/** The fault each regime kind draws, against the chosen target. */
const REGIME_FAULTS: Record<FaultRegimeEntry['kind'], (entry: FaultRegimeEntry, target: string) => Fault> = {
  crash: (_entry, target) => crash(target),
  pause: (_entry, target) => pause(target),
  slow: (entry, target) => slow(target, entry.magnitude ?? 10),
  isolate: (_entry, target) => isolate(target),
  partition: (entry, target) => partition([target], entry.targets.filter((name) => name !== target)),
  skew: (entry, target) => skew(target, entry.magnitude ?? 5000),
  'lossy-link': (entry, target) => degradeLink(target, '*', { lossProbability: entry.magnitude ?? 0.3 }),
  'call-latency': (entry, target) => regimeCallFault('call-latency', target, entry.call ?? {}),
  'call-error': (entry, target) => regimeCallFault('call-error', target, entry.call ?? {}),
  'call-blackhole': (entry, target) => regimeCallFault('call-blackhole', target, entry.call ?? {}),
  'call-bandwidth': (entry, target) => regimeCallFault('call-bandwidth', target, entry.call ?? {}),
  'call-first-byte': (entry, target) => regimeCallFault('call-first-byte', target, entry.call ?? {}),
};

function regimeFault(entry: FaultRegimeEntry, target: string): Fault {
  return REGIME_FAULTS[entry.kind](entry, target);
}
