// The watchdog over user code that runs away: each variant run of a seed (in `sim run` and in every
// sweep worker) gets a wall-clock limit and a heap limit; past either, its thread is killed and the
// seed is reported as a `liveness` or `resource` failure with its seed, variant and replay line.
import { totalmem } from 'node:os';
import type { Failure } from '../sim/harness/checks.ts';
import type { VariantStart } from '../sim/harness/run-progress.ts';
import type { SweepSeedEntry } from './sweep-summary.ts';
import { UsageError } from './cli-errors.ts';

/** Wall-clock limit of one variant run before any run has finished: generous for any real scenario. */
export const DEFAULT_SEED_TIMEOUT_MS = 120_000;
/** Once runs have finished, the limit grows to this multiple of the slowest one, if that is larger. */
export const SLOWEST_RUN_MULTIPLE = 20;
/** Heap limit per thread (the worker's old generation), at most this much. */
const MAX_DEFAULT_HEAP_MB = 4096;
/** And at least this much: the loaded scenario and tsx need room before any run starts. */
const MIN_DEFAULT_HEAP_MB = 256;
/** How often the watchdog looks at the clock. */
export const WATCHDOG_INTERVAL_MS = 100;

/** Check names of the failures the watchdog reports. */
export const SEED_TIMEOUT_CHECK = 'seed-timeout';
export const HEAP_LIMIT_CHECK = 'heap-limit';
export const THREAD_EXIT_CHECK = 'thread-exit';
export const UNCAUGHT_CHECK = 'uncaught-error';

/** The limits as the user gave them (or not). */
export interface WatchdogLimits {
  /** Fixed wall-clock limit per variant run, in ms; undefined: the adaptive default; 0: none. */
  seedTimeoutMs?: number;
  /** Heap limit of each thread that runs seeds, in MB. */
  maxHeapMb: number;
}

/** Parses `--seed-timeout <seconds>` (fractions allowed, 0 turns the limit off). */
export function parseSeedTimeout(text: string): number {
  const seconds = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !Number.isFinite(seconds)) {
    throw new UsageError(`--seed-timeout must be a number of seconds (example: --seed-timeout 30; 0 for no limit), got '${text}'`);
  }
  return Math.round(seconds * 1000);
}

/** Parses `--max-heap-mb <n>`. */
export function parseMaxHeapMb(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 32) throw new UsageError(`--max-heap-mb must be a whole number of megabytes >= 32, got '${text}'`);
  return Number(text);
}

/** Default heap limit per thread: half the machine's memory shared by the threads, within bounds. */
export function defaultMaxHeapMb(threads: number): number {
  const shareMb = Math.floor(totalmem() / 2 / (1024 * 1024) / Math.max(1, threads));
  return Math.max(MIN_DEFAULT_HEAP_MB, Math.min(MAX_DEFAULT_HEAP_MB, shareMb));
}

/** The limits of a command from its options. */
export function watchdogLimits(options: { seedTimeout?: string; maxHeapMb?: string }, threads: number): WatchdogLimits {
  return {
    ...(options.seedTimeout !== undefined ? { seedTimeoutMs: parseSeedTimeout(options.seedTimeout) } : {}),
    maxHeapMb: options.maxHeapMb !== undefined ? parseMaxHeapMb(options.maxHeapMb) : defaultMaxHeapMb(threads),
  };
}

/**
 * The wall-clock limit now in force: the user's, or the default that grows with the slowest run
 * seen so far (a scenario whose runs take 30 s gets 10 minutes, one whose runs take 1 s gets 2).
 */
export class RunClock {
  private slowestMs = 0;

  constructor(private readonly limits: WatchdogLimits) {}

  /** Records a finished variant run. */
  finished(elapsedMs: number): void {
    if (elapsedMs > this.slowestMs) this.slowestMs = elapsedMs;
  }

  /** The limit in ms, or Infinity when there is none. */
  get limitMs(): number {
    if (this.limits.seedTimeoutMs === 0) return Infinity;
    return this.limits.seedTimeoutMs ?? Math.max(DEFAULT_SEED_TIMEOUT_MS, SLOWEST_RUN_MULTIPLE * this.slowestMs);
  }

  /** The limit on loading the scenario file in a new thread: never below the default run limit. */
  get loadLimitMs(): number {
    return Math.max(DEFAULT_SEED_TIMEOUT_MS, this.limitMs);
  }
}

/** Why the watchdog stopped a run. */
export interface Runaway {
  kind: 'liveness' | 'resource' | 'crash';
  check: string;
  message: string;
}

/** A run past the wall-clock limit. */
export function timedOut(limitMs: number): Runaway {
  return {
    kind: 'liveness',
    check: SEED_TIMEOUT_CHECK,
    message: `still running after ${formatSeconds(limitMs)} of wall-clock time (--seed-timeout): stopped; look for an infinite loop in a handler, build() or a check`,
  };
}

/** A run past the heap limit. */
export function outOfMemory(maxHeapMb: number): Runaway {
  return {
    kind: 'resource',
    check: HEAP_LIMIT_CHECK,
    message: `went past the heap limit of ${maxHeapMb} MB (--max-heap-mb): stopped; look for state that grows without bound`,
  };
}

/** A thread that ended while running a seed (user code called process.exit, or the thread died). */
export function threadExited(code: number): Runaway {
  return { kind: 'resource', check: THREAD_EXIT_CHECK, message: `the thread running it exited with code ${code} (does user code call process.exit?)` };
}

/** An error that escaped the run and ended its thread (an unhandled rejection in user code). */
export function uncaught(error: Error): Runaway {
  const where = /\n\s+at .*?\(?((?:file:\/\/)?\/[^\s()]+:\d+):\d+\)?/.exec(error.stack ?? '')?.[1];
  return {
    kind: 'crash',
    check: UNCAUGHT_CHECK,
    message: `an error escaped the run (an unhandled rejection or a throw in a detached callback): ${error.message}${where ? ` at ${where}` : ''}`,
  };
}

/** True for a failure the watchdog reported: rerunning it in this thread (to shrink it) would hang. */
export function isRunawayFailure(failure: Failure): boolean {
  return [SEED_TIMEOUT_CHECK, HEAP_LIMIT_CHECK, THREAD_EXIT_CHECK, UNCAUGHT_CHECK].includes(failure.check);
}

/** The failure a runaway becomes in results. Virtual time is unknown: the run was stopped from outside. */
export function runawayFailure(runaway: Runaway): Failure {
  return { kind: runaway.kind, check: runaway.check, atMs: 0, message: runaway.message };
}

/** The sweep entry of a seed stopped by the watchdog while `start` was running. */
export function runawayEntry(start: VariantStart, runaway: Runaway): SweepSeedEntry {
  return {
    seed: start.seed,
    ok: false,
    traceHash: '',
    variants: [{ name: start.variant, ok: false, traceHash: '', failures: [runawayFailure(runaway)], faults: [], options: {} }],
    coverage: [],
  };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
