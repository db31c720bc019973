// The nondeterminism guard: while a run is in progress, host sources of time and randomness are
// mapped onto the simulation, and host timers fail loudly for simulated code.
import { fileURLToPath } from 'node:url';
import { NondeterminismError } from './errors.ts';

/** This module's own file, to skip its frames (and only its frames) when reading a caller's stack. */
const GUARD_FILE = fileURLToPath(import.meta.url);

/** Where the guard takes time and randomness from while it is installed. */
export interface GuardSources {
  /** Seeded uniform draw in [0, 1), from the run's `Math.random` stream. */
  random(): number;
  /** True virtual time in ms. */
  nowMs(): number;
  /** Wall-clock epoch that virtual time 0 maps to, so `Date.now()` looks like a date. */
  epochMs: number;
}

const RealDate = Date;
const realMathRandom = Math.random;
const realPerformanceNow = performance.now;
const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;
const realSetImmediate = globalThis.setImmediate;
const realNextTick = process.nextTick;
const realRandomUUID: (() => `${string}-${string}-${string}-${string}-${string}`) | undefined = globalThis.crypto?.randomUUID?.bind(globalThis.crypto);

let installed = false;

/** Host code (Node internals, libraries, the test runner) may still use real timers. */
function calledFromHostCode(): boolean {
  const stack = new Error().stack;
  if (!stack) return false;
  const frames = stack.split('\n').slice(1);
  for (const frame of frames) {
    if (frame.includes(GUARD_FILE) || frame.includes(import.meta.url)) continue;
    return frame.includes('/node_modules/') || frame.includes('(node:') || frame.includes(' node:');
  }
  return false;
}

function forbidTimer<T extends (...args: never[]) => unknown>(real: T, name: string, advice: string): T {
  const guarded = function (this: unknown, ...args: Parameters<T>) {
    if (calledFromHostCode()) return real.apply(this, args);
    throw new NondeterminismError(`${name} was called by simulated code during a run: real timers break determinism; ${advice}`);
  };
  return Object.assign(guarded, real) as unknown as T;
}

/**
 * Installs the guard; returns the function that removes it. Only one run per thread may hold it.
 *
 * Mapped to the simulation: `Math.random` (seeded), `Date.now()`, `new Date()` with no arguments,
 * `performance.now()` (virtual time) and `crypto.randomUUID()` (seeded). Refused with a
 * NondeterminismError: `setTimeout`, `setInterval`, `setImmediate` and `process.nextTick` called
 * from simulated code, because a host timer would fire outside virtual time and survive a node
 * crash, and a tick could run after the clock moved on.
 */
export function installGuard(sources: GuardSources): () => void {
  if (installed) {
    throw new NondeterminismError('a simulation run is already in progress in this thread: run simulations one after another, or in worker threads');
  }
  installed = true;

  class SimDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(sources.epochMs + sources.nowMs());
      else super(...(args as [number]));
    }
    static override now(): number {
      return Math.floor(sources.epochMs + sources.nowMs());
    }
  }

  Math.random = sources.random;
  globalThis.Date = SimDate as DateConstructor;
  Object.defineProperty(performance, 'now', { value: sources.nowMs, configurable: true, writable: true });
  const timerAdvice = 'use ctx.sleep(ms) or ctx.setTimer(ms, fn) from the node context';
  globalThis.setTimeout = forbidTimer(realSetTimeout, 'setTimeout', timerAdvice);
  globalThis.setInterval = forbidTimer(realSetInterval, 'setInterval', timerAdvice);
  globalThis.setImmediate = forbidTimer(realSetImmediate, 'setImmediate', timerAdvice);
  // The engine steps through the tick queue; a tick queued by simulated code could run after the
  // clock moved, which would break the guarantee that continuations run at their event's time.
  process.nextTick = forbidTimer(realNextTick, 'process.nextTick', 'use await or queueMicrotask instead');
  if (realRandomUUID) {
    globalThis.crypto.randomUUID = () => seededUuid(sources.random);
  }

  return () => {
    Math.random = realMathRandom;
    globalThis.Date = RealDate;
    Object.defineProperty(performance, 'now', { value: realPerformanceNow, configurable: true, writable: true });
    globalThis.setTimeout = realSetTimeout;
    globalThis.setInterval = realSetInterval;
    globalThis.setImmediate = realSetImmediate;
    process.nextTick = realNextTick;
    if (realRandomUUID) globalThis.crypto.randomUUID = realRandomUUID;
    installed = false;
  };
}

/** True while a run holds the guard in this thread. */
export function guardInstalled(): boolean {
  return installed;
}

function seededUuid(random: () => number): `${string}-${string}-${string}-${string}-${string}` {
  const hex: string[] = [];
  for (let index = 0; index < 32; index++) hex.push(Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}
