// V8's microtask checkpoint as a plain function, when the process allows natives syntax: the loop
// calls it after an event that resumed a promise, and every continuation, at any await depth, runs
// synchronously inside that call, before the next event and before the clock moves.

/** Runs the V8 microtask queue to exhaustion (unless it is already running: see `checkpointDrains`). */
export type MicrotaskCheckpoint = () => void;

/**
 * The flag that enables it. The `sim` launcher and the sweep worker launcher set it; a user's own
 * `node` (or vitest) may not have it, and the engine then uses the tick scheme.
 */
export const NATIVES_SYNTAX_FLAG = '--allow-natives-syntax';

/**
 * Compiles `%PerformMicrotaskCheckpoint()`, or returns undefined when natives syntax is off (the
 * `%` is then a syntax error). Compiled per call, not at module load: a launcher may enable the
 * flag after this module was imported.
 */
export function compileMicrotaskCheckpoint(): MicrotaskCheckpoint | undefined {
  if (compiled !== undefined) return compiled;
  try {
    compiled = new Function('%PerformMicrotaskCheckpoint()') as MicrotaskCheckpoint;
  } catch {
    // Natives syntax is off: the caller uses the tick scheme.
  }
  return compiled;
}

/** Kept once compiled: the flag cannot be turned off again for code already compiled. */
let compiled: MicrotaskCheckpoint | undefined;

/**
 * True when `checkpoint` really drains here. V8 skips a checkpoint requested while microtasks are
 * already running (the loop itself called from a microtask), and then the scheme would break the
 * guarantee; the loop checks once per run and falls back to the tick scheme.
 */
export function checkpointDrains(checkpoint: MicrotaskCheckpoint): boolean {
  let ran = false;
  queueMicrotask(() => {
    ran = true;
  });
  checkpoint();
  return ran;
}
