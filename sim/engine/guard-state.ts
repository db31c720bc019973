// The nondeterminism guard's shared state: which run (or scenario load) holds it, where it takes
// time and randomness from, and how a refusal is reported. Read by every part of the guard.

/** Where the guard takes time and randomness from while it is installed. */
export interface GuardSources {
  /** Seeded uniform draw in [0, 1), from the run's `Math.random` stream. */
  random(): number;
  /** True virtual time in ms. */
  nowMs(): number;
  /** Wall-clock epoch that virtual time 0 maps to, so `Date.now()` looks like a date. */
  epochMs: number;
  /**
   * Told of every refusal before it is thrown, so the run fails even when simulated code catches
   * the error (a `try { await fetch(…) } catch {}` must not hide it). The runner stops the run.
   */
  onRefusal?(error: Error): void;
  /** What holds the guard, for messages: a run (default) or the loading of a scenario file. */
  phase?: 'run' | 'load';
}

/** The guard currently installed in this thread, if any. */
export const guardState: { active: GuardSources | undefined } = { active: undefined };
