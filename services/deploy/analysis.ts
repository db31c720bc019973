// Rollout analysis (as in Argo Rollouts): the error rate of the new version's pods, measured from
// their request counters while the rollout runs and shortly after; too high means roll back.
import { ConfigError } from '../../sim/engine/errors.ts';

/** Analysis settings, as given. */
export interface AnalysisOptions {
  /** The new version fails when more than this share of its requests fail. Default 0.05. */
  maxErrorRate?: number;
  /** No verdict before the new version has answered this many requests. Default 50. */
  minRequests?: number;
  /** Keep analysing this long after the rollout completes (slow-burning bad versions). Default 10000 ms. */
  afterRolloutMs?: number;
}

/** Analysis settings with defaults filled. */
export interface ResolvedAnalysis {
  maxErrorRate: number;
  minRequests: number;
  afterRolloutMs: number;
}

/** Fills analysis defaults and validates them; throws ConfigError naming the field. */
export function resolveAnalysis(options: AnalysisOptions, where = 'analysis'): ResolvedAnalysis {
  const resolved: ResolvedAnalysis = {
    maxErrorRate: options.maxErrorRate ?? 0.05,
    minRequests: options.minRequests ?? 50,
    afterRolloutMs: options.afterRolloutMs ?? 10_000,
  };
  if (!(resolved.maxErrorRate >= 0 && resolved.maxErrorRate < 1)) {
    throw new ConfigError(`${where}: maxErrorRate is ${resolved.maxErrorRate}; use a share in [0, 1)`);
  }
  if (!Number.isInteger(resolved.minRequests) || resolved.minRequests < 1) {
    throw new ConfigError(`${where}: minRequests is ${resolved.minRequests}; use a whole number >= 1`);
  }
  if (!(resolved.afterRolloutMs >= 0)) throw new ConfigError(`${where}: afterRolloutMs is ${resolved.afterRolloutMs}; use ms >= 0`);
  return resolved;
}

/** Requests a pod's service answered, counted by its pod wrapper (probes excluded). */
export interface RequestCounts {
  ok: number;
  errors: number;
}

/** An analysis verdict: `failed` is true only once `minRequests` were seen and the rate is above the limit. */
export interface AnalysisVerdict {
  requests: number;
  errorRate: number;
  failed: boolean;
}

/** Judges a version from its pods' counters. */
export function analyse(counts: Iterable<RequestCounts>, options: ResolvedAnalysis): AnalysisVerdict {
  let ok = 0;
  let errors = 0;
  for (const count of counts) {
    ok += count.ok;
    errors += count.errors;
  }
  const requests = ok + errors;
  const errorRate = requests === 0 ? 0 : errors / requests;
  return { requests, errorRate, failed: requests >= options.minRequests && errorRate > options.maxErrorRate };
}
