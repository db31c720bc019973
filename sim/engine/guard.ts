// The nondeterminism guard: while a run (or a scenario file's loading) is in progress, every host
// source of time and randomness maps onto the simulation, and host timers, I/O and processes are
// refused to simulated code with a NondeterminismError. docs/determinism.md lists every source.
import { NondeterminismError } from './errors.ts';
import { guardState, type GuardSources } from './guard-state.ts';
import { refused } from './guard-caller.ts';
import { fillRandomView, patchBuiltinModules, seededUuid } from './guard-modules.ts';
import { fixLocale } from './guard-locale.ts';

export type { GuardSources } from './guard-state.ts';

/**
 * The host's own timer functions, captured when this module loads (before any guard replaces
 * them): the engine's event loop uses these, and only these, to yield between events.
 */
export const hostTimers = { setImmediate: globalThis.setImmediate, nextTick: process.nextTick };

/** Wall-clock date that virtual time 0 maps to, in every run and while a scenario file loads. */
export const SIMULATION_EPOCH_MS = Date.UTC(2030, 0, 1);

const TIMER_ADVICE = 'real timers fire in host time, outside the simulation; use ctx.sleep(ms) or ctx.setTimer(ms, fn) from the node context';
const NETWORK_ADVICE = 'a run never opens a real socket; model the remote side as a node (world.addNode) and call it with ctx.call';
const HOST_STATE_ADVICE = 'host memory and CPU figures differ from run to run; measure simulated load with the node context instead';
const CHANNEL_ADVICE = 'messages between host ports arrive in host time; send messages between nodes with ctx.send';

const RealDate = Date;
/** Node's performance object, with its Node-only methods typed. */
const hostPerformance = performance as unknown as typeof import('node:perf_hooks').performance;

type Restore = () => void;

/**
 * Installs the guard; returns the function that removes it. Only one run per thread may hold it.
 *
 * Mapped to the simulation: `Math.random`, `crypto.randomUUID`/`getRandomValues` and node:crypto's
 * random functions (seeded); `Date.now()`, `Date()`, `new Date()`, `performance.now()`,
 * `performance.timeOrigin`, `process.hrtime`, `process.uptime` (virtual time); WeakRef (held
 * strongly) and FinalizationRegistry (never calls back), because garbage collection runs in host
 * time; the time zone (UTC) and the default locale (en-US). Refused with a NondeterminismError when
 * simulated code calls them: host timers, `process.nextTick`, `AbortSignal.timeout`, `fetch`,
 * message channels, `process.memoryUsage`/`cpuUsage`/`resourceUsage`, performance marks, the
 * network, child processes, worker threads, and asynchronous or writing file-system calls.
 * `queueMicrotask` and `await` stay: microtasks run before the clock moves, in a fixed order.
 */
export function installGuard(sources: GuardSources): () => void {
  if (guardState.active !== undefined) {
    throw new NondeterminismError('a simulation run is already in progress in this thread: run simulations one after another, or in worker threads');
  }
  patchBuiltinModules();
  guardState.active = sources;
  const restores: Restore[] = [];
  try {
    restores.push(replaceTimeAndRandomness(sources));
    restores.push(refuseHostScheduling());
    restores.push(replaceProcessClocks(sources));
    restores.push(fixLocale(() => new RealDate(sources.epochMs + sources.nowMs())));
  } catch (error) {
    undo(restores);
    guardState.active = undefined;
    throw error;
  }
  return () => {
    undo(restores);
    guardState.active = undefined;
  };
}

/** True while a run holds the guard in this thread. */
export function guardInstalled(): boolean {
  return guardState.active !== undefined;
}

function undo(restores: Restore[]): void {
  for (let index = restores.length - 1; index >= 0; index--) restores[index]!();
}

/** Sets `owner[key]` (keeping its attributes); returns what puts the old value back. */
function replace(owner: object, key: string, value: unknown): Restore {
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  Object.defineProperty(owner, key, { configurable: true, writable: true, enumerable: descriptor?.enumerable ?? false, value });
  return () => {
    if (descriptor) Object.defineProperty(owner, key, descriptor);
    else delete (owner as Record<string, unknown>)[key];
  };
}

/** Several replacements as one restore. */
function replaceAll(entries: [object, string, unknown][]): Restore {
  const restores = entries.map(([owner, key, value]) => replace(owner, key, value));
  return () => undo(restores);
}

// The mapped functions are built once and read whichever guard is installed (the host's when none
// is): a reference kept across runs (`const now = Date.now` at a module's top level, evaluated while
// the scenario file loads) follows each run instead of freezing the first one's clock.
const realMathRandom = Math.random;
const realPerformanceNow = performance.now.bind(performance);

function mappedRandom(): number {
  const active = guardState.active;
  return active ? active.random() : realMathRandom();
}

function mappedEpochNowMs(): number {
  const active = guardState.active;
  return active ? active.epochMs + active.nowMs() : RealDate.now();
}

function mappedPerformanceNow(): number {
  const active = guardState.active;
  return active ? active.nowMs() : realPerformanceNow();
}

// A function, not a class: `Date()` without `new` is legal and returns the date as a string.
const SimDate = function Date(this: unknown, ...args: unknown[]): unknown {
  if (!new.target) return new RealDate(mappedEpochNowMs()).toString();
  return Reflect.construct(RealDate, args.length === 0 ? [mappedEpochNowMs()] : args, new.target);
} as unknown as DateConstructor;
for (const key of Object.getOwnPropertyNames(RealDate)) {
  if (key !== 'prototype' && key !== 'name' && key !== 'length') Object.defineProperty(SimDate, key, Object.getOwnPropertyDescriptor(RealDate, key)!);
}
Object.defineProperty(SimDate, 'length', { value: 7 });
Object.defineProperty(SimDate, 'prototype', { value: RealDate.prototype });
SimDate.now = () => Math.floor(mappedEpochNowMs());

function replaceTimeAndRandomness(sources: GuardSources): Restore {
  const crypto = globalThis.crypto;
  const entries: [object, string, unknown][] = [
    [Math, 'random', mappedRandom],
    [globalThis, 'Date', SimDate],
    [performance, 'now', mappedPerformanceNow],
    [performance, 'timeOrigin', sources.epochMs],
    // Garbage collection runs in host time: a weak reference held strongly cannot change a run.
    [globalThis, 'WeakRef', StrongRef],
    [globalThis, 'FinalizationRegistry', SilentRegistry],
  ];
  if (crypto) {
    entries.push(
      [crypto, 'randomUUID', () => seededUuid(sources.random)],
      [crypto, 'getRandomValues', <T extends ArrayBufferView>(array: T) => fillRandomView(array, sources.random)],
    );
  }
  return replaceAll(entries);
}

/** Host timers, ticks, timeouts, channels and sockets: refused to simulated code. */
function refuseHostScheduling(): Restore {
  const timers: [object, string, unknown][] = [];
  for (const name of ['setTimeout', 'setInterval', 'setImmediate'] as const) {
    const real = globalThis[name];
    const guarded = refused(real, name, TIMER_ADVICE);
    // util.promisify(setTimeout) reads this symbol: it must not hand out the host's timer.
    const promised = (real as unknown as Record<symbol, unknown>)[promisifyCustom];
    if (typeof promised === 'function') {
      Object.defineProperty(guarded, promisifyCustom, { value: refused(promised, `util.promisify(${name})`, TIMER_ADVICE) });
    }
    timers.push([globalThis, name, guarded]);
  }
  const entries: [object, string, unknown][] = [
    ...timers,
    // The engine steps through the tick queue; a tick queued by simulated code could run after the
    // clock moved, which would break the guarantee that continuations run at their event's time.
    [process, 'nextTick', refused(process.nextTick, 'process.nextTick', 'a tick can run after the clock moves on; use await or queueMicrotask instead')],
    [AbortSignal, 'timeout', refused(AbortSignal.timeout, 'AbortSignal.timeout', TIMER_ADVICE)],
    [performance, 'mark', refused(performance.mark, 'performance.mark', TIMER_ADVICE)],
    [performance, 'measure', refused(performance.measure, 'performance.measure', TIMER_ADVICE)],
    [performance, 'timerify', refused(hostPerformance.timerify, 'performance.timerify', TIMER_ADVICE)],
    [performance, 'eventLoopUtilization', refused(hostPerformance.eventLoopUtilization, 'performance.eventLoopUtilization', HOST_STATE_ADVICE)],
    [globalThis, 'MessageChannel', refused(MessageChannel, 'MessageChannel', CHANNEL_ADVICE)],
    [globalThis, 'BroadcastChannel', refused(BroadcastChannel, 'BroadcastChannel', CHANNEL_ADVICE)],
  ];
  if (typeof globalThis.fetch === 'function') entries.push([globalThis, 'fetch', refused(globalThis.fetch, 'fetch', NETWORK_ADVICE)]);
  if (typeof globalThis.WebSocket === 'function') entries.push([globalThis, 'WebSocket', refused(globalThis.WebSocket, 'WebSocket', NETWORK_ADVICE)]);
  return replaceAll(entries);
}

const promisifyCustom = Symbol.for('nodejs.util.promisify.custom');

/** process.hrtime and process.uptime read virtual time; memory and CPU figures are refused. */
function replaceProcessClocks(sources: GuardSources): Restore {
  const nowNs = (): bigint => BigInt(Math.round(sources.nowMs() * 1e6));
  const hrtime = function hrtime(previous?: [number, number]): [number, number] {
    let ns = nowNs();
    if (previous) ns -= BigInt(previous[0]) * 1_000_000_000n + BigInt(previous[1]);
    return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  };
  hrtime.bigint = nowNs;
  const memoryUsage = refused(process.memoryUsage, 'process.memoryUsage', HOST_STATE_ADVICE);
  memoryUsage.rss = refused(process.memoryUsage.rss, 'process.memoryUsage.rss', HOST_STATE_ADVICE);
  return replaceAll([
    [process, 'hrtime', hrtime],
    [process, 'uptime', () => sources.nowMs() / 1000],
    [process, 'memoryUsage', memoryUsage],
    [process, 'cpuUsage', refused(process.cpuUsage, 'process.cpuUsage', HOST_STATE_ADVICE)],
    [process, 'resourceUsage', refused(process.resourceUsage, 'process.resourceUsage', HOST_STATE_ADVICE)],
  ]);
}

/** WeakRef during a run: the target stays reachable, so `deref()` never depends on the collector. */
class StrongRef<T extends object> {
  readonly #target: T;
  constructor(target: T) {
    this.#target = target;
  }
  deref(): T {
    return this.#target;
  }
  get [Symbol.toStringTag](): string {
    return 'WeakRef';
  }
}

/** FinalizationRegistry during a run: cleanup callbacks would run when the host collects, so never. */
class SilentRegistry<T> {
  constructor(readonly cleanup: (held: T) => void) {}
  register(_target: object, _held: T, _token?: object): void {}
  unregister(_token: object): boolean {
    return false;
  }
  get [Symbol.toStringTag](): string {
    return 'FinalizationRegistry';
  }
}

/**
 * Runs `load` (the import of a scenario file) under a guard with the clock at the simulation's
 * epoch and randomness from a fixed stream, so a `Date.now()` or `Math.random()` saved at module
 * top level is the same in every process, and host timers and I/O are refused there too.
 */
export async function whileLoading<T>(load: () => Promise<T>, random: () => number): Promise<T> {
  const uninstall = installGuard({ random, nowMs: () => 0, epochMs: SIMULATION_EPOCH_MS, phase: 'load' });
  try {
    return await load();
  } finally {
    uninstall();
  }
}
