// Faults as values: data that can be printed, recorded in a result, replayed and shrunk; applied to
// a world by `applyFault`. Random regimes are drawn from the `faults` stream into a concrete schedule.
import type { World } from '../world/world.ts';
import type { LinkOptions } from '../world/network.ts';
import { validateDistribution, describeDistribution, type Distribution, type Rng } from '../engine/rng.ts';
import { ConfigError } from '../engine/errors.ts';
import { CLIENT } from '../world/world.ts';
import {
  applyCallFault, callFaultNodes, describeCallFault, isCallFault, regimeCallFault, validateCallFault,
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

/** One line describing a fault, e.g. `crash payments` or `partition orders | inventory`. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'crash':
      return `crash ${fault.node}${fault.wipeDurable ? ' (wipe durable)' : ''}`;
    case 'restart':
    case 'pause':
    case 'resume':
    case 'isolate':
      return `${fault.kind} ${fault.node}`;
    case 'crash-loop':
      return `crash-loop ${fault.node} for ${fault.starts} starts`;
    case 'slow':
      return `slow ${fault.node} x${fault.factor}`;
    case 'skew':
      return `skew ${fault.node} ${fault.skewMs}ms ${fault.driftPpm ?? 0}ppm`;
    case 'partition':
      return `partition ${fault.from.join(',')} ${fault.oneWay ? '->' : '|'} ${fault.to.join(',')}`;
    case 'heal':
      return 'heal';
    case 'hold':
      return `hold ${fault.from}->${fault.to}`;
    case 'release':
      return `release ${fault.from ?? '*'}->${fault.to ?? '*'}`;
    case 'link': {
      const parts: string[] = [];
      if (fault.link.latencyMs) parts.push(`latency ${describeDistribution(fault.link.latencyMs)}`);
      if (fault.link.lossProbability !== undefined) parts.push(`loss ${fault.link.lossProbability}`);
      if (fault.link.duplicateProbability !== undefined) parts.push(`dup ${fault.link.duplicateProbability}`);
      if (fault.link.reorderProbability !== undefined) parts.push(`reorder ${fault.link.reorderProbability}`);
      if (fault.link.ordering !== undefined) parts.push(`ordering ${fault.link.ordering}`);
      if (fault.link.bandwidthBytesPerSec !== undefined) parts.push(`bandwidth ${fault.link.bandwidthBytesPerSec}B/s`);
      return `link ${fault.from}->${fault.to} ${parts.join(' ')}`.trim();
    }
    case 'call-latency':
    case 'call-error':
    case 'call-blackhole':
    case 'call-bandwidth':
    case 'call-first-byte':
      return describeCallFault(fault);
  }
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
  switch (fault.kind) {
    case 'crash':
    case 'crash-loop':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'slow':
    case 'skew':
    case 'isolate':
      return [fault.node];
    case 'partition':
      return [...fault.from, ...fault.to];
    case 'hold':
    case 'link':
      return [fault.from, fault.to];
    case 'release':
      return [fault.from ?? '*', fault.to ?? '*'];
    case 'heal':
      return [];
    case 'call-latency':
    case 'call-error':
    case 'call-blackhole':
    case 'call-bandwidth':
    case 'call-first-byte':
      return callFaultNodes(fault);
  }
}

/** Checks a schedule against a world: known nodes, times >= 0, sane factors. Throws ConfigError. */
export function validateSchedule(schedule: readonly ScheduledFault[], world: World): void {
  for (const scheduled of schedule) {
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
    const fault = scheduled.fault;
    if (fault.kind === 'slow' && !(fault.factor > 0 && Number.isFinite(fault.factor))) {
      throw new ConfigError(`${where}: slow factor must be a finite number > 0`);
    }
    if (isCallFault(fault)) validateCallFault(fault, world, where);
  }
}

/** Undoes one applied fault (restart after a crash, heal after a partition…). */
export type FaultUndo = () => void;

/** Applies a fault now; returns how to undo it when the fault has a natural end. */
export function applyFault(world: World, fault: Fault): FaultUndo | undefined {
  switch (fault.kind) {
    case 'crash':
      world.crash(fault.node, { wipeDurable: fault.wipeDurable ?? false });
      return () => {
        if (world.node(fault.node).status === 'down') world.restart(fault.node);
      };
    case 'restart':
      world.restart(fault.node);
      return undefined;
    case 'crash-loop':
      world.crashLoop(fault.node, fault.starts, fault.startupMs);
      // The end of the fault is the fix being deployed: later starts succeed.
      return () => {
        world.node(fault.node).crashOnStarts = 0;
      };
    case 'pause':
      world.pause(fault.node);
      return () => world.resume(fault.node);
    case 'resume':
      world.resume(fault.node);
      return undefined;
    case 'slow': {
      const before = world.node(fault.node).slowFactor;
      world.slow(fault.node, fault.factor);
      return () => world.slow(fault.node, before);
    }
    case 'skew': {
      const node = world.node(fault.node);
      const skewMs = node.clockSkewMs;
      const driftPpm = node.clockDriftPpm;
      world.skewClock(fault.node, fault.skewMs, fault.driftPpm ?? 0);
      return () => world.skewClock(fault.node, skewMs, driftPpm);
    }
    case 'partition': {
      const id = world.partition(fault.from, fault.to, { oneWay: fault.oneWay ?? false });
      return () => world.heal(id);
    }
    case 'isolate': {
      const id = world.isolate(fault.node);
      return () => world.heal(id);
    }
    case 'heal':
      world.heal();
      return undefined;
    case 'hold':
      world.hold(fault.from, fault.to);
      return () => world.release(fault.from, fault.to);
    case 'release':
      world.release(fault.from ?? '*', fault.to ?? '*');
      return undefined;
    case 'link':
      world.setLink(fault.from, fault.to, fault.link);
      return () => world.network.resetLink(fault.from, fault.to);
    case 'call-latency':
    case 'call-error':
    case 'call-blackhole':
    case 'call-bandwidth':
    case 'call-first-byte':
      return applyCallFault(world, fault);
  }
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
  world.callInjections.clear();
  for (const node of world.allNodes()) {
    if (node.paused) world.resume(node.name);
    if (node.slowFactor !== 1) world.slow(node.name, 1);
    node.crashOnStarts = 0;
  }
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
    if (!(entry.probabilityPerSec >= 0 && entry.probabilityPerSec <= 1)) {
      throw new ConfigError(`${where}: probabilityPerSec is ${entry.probabilityPerSec}; a probability must be between 0 and 1`);
    }
    if (!(entry.minStableMs >= 0)) throw new ConfigError(`${where}: minStableMs must be >= 0`);
    if (entry.targets.length === 0) throw new ConfigError(`${where}: targets is empty; name at least one node`);
    if (entry.kind === 'partition' && entry.targets.length < 2) throw new ConfigError(`${where}: a partition needs at least two targets`);
    validateDistribution(entry.durationMs, `${where} durationMs`);
    const rate = entry.call?.rate;
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new ConfigError(`${where}: injection rate is ${rate}; use a share between 0 and 1`);
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

function regimeFault(entry: FaultRegimeEntry, target: string): Fault {
  switch (entry.kind) {
    case 'crash':
      return crash(target);
    case 'pause':
      return pause(target);
    case 'slow':
      return slow(target, entry.magnitude ?? 10);
    case 'isolate':
      return isolate(target);
    case 'partition':
      return partition([target], entry.targets.filter((name) => name !== target));
    case 'skew':
      return skew(target, entry.magnitude ?? 5000);
    case 'lossy-link':
      return degradeLink(target, '*', { lossProbability: entry.magnitude ?? 0.3 });
    case 'call-latency':
    case 'call-error':
    case 'call-blackhole':
    case 'call-bandwidth':
    case 'call-first-byte':
      return regimeCallFault(entry.kind, target, entry.call ?? {});
  }
}
