// Crash-loop back-off: how long the control plane waits before restarting a pod that crashed or
// failed its liveness probe. The wait doubles with each crash in a row, up to a cap.
import { ConfigError } from '../../sim/engine/errors.ts';

/** Restart back-off settings, as given. */
export interface BackoffOptions {
  /** Wait before the first restart after a crash. Default 500 ms (Kubernetes: 10 s). */
  initialMs?: number;
  /** The wait never exceeds this. Default 8000 ms (Kubernetes: 300 s). */
  capMs?: number;
  /** A pod that ran this long before crashing starts again from `initialMs`. Default 30000 ms (Kubernetes: 10 min). */
  resetAfterMs?: number;
}

/** Restart back-off with every default filled. */
export interface ResolvedBackoff {
  initialMs: number;
  capMs: number;
  resetAfterMs: number;
}

/** Fills back-off defaults and validates them; throws ConfigError naming `where` and the field. */
export function resolveBackoff(options: BackoffOptions = {}, where = 'restart back-off'): ResolvedBackoff {
  const resolved: ResolvedBackoff = {
    initialMs: options.initialMs ?? 500,
    capMs: options.capMs ?? 8000,
    resetAfterMs: options.resetAfterMs ?? 30_000,
  };
  if (!(resolved.initialMs > 0 && Number.isFinite(resolved.initialMs))) {
    throw new ConfigError(`${where}: initialMs is ${resolved.initialMs}; use a finite number of ms > 0`);
  }
  if (!(resolved.capMs >= resolved.initialMs && Number.isFinite(resolved.capMs))) {
    throw new ConfigError(`${where}: capMs is ${resolved.capMs}; use a finite number of ms >= initialMs (${resolved.initialMs})`);
  }
  if (!(resolved.resetAfterMs > 0)) throw new ConfigError(`${where}: resetAfterMs is ${resolved.resetAfterMs}; use a number of ms > 0`);
  return resolved;
}

/**
 * The wait before restarting after the `consecutiveCrashes`-th crash in a row (1 for the first):
 * initialMs, 2·initialMs, 4·initialMs… capped at capMs.
 */
export function restartDelayMs(consecutiveCrashes: number, backoff: ResolvedBackoff): number {
  if (!(Number.isInteger(consecutiveCrashes) && consecutiveCrashes >= 1)) {
    throw new RangeError(`consecutiveCrashes must be a whole number >= 1, got ${consecutiveCrashes}`);
  }
  // Past ~50 doublings the power overflows to Infinity; the cap applies either way.
  return Math.min(backoff.initialMs * 2 ** (consecutiveCrashes - 1), backoff.capMs);
}
