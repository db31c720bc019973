// The horizontal pod autoscaler: per-pod metric windows (CPU utilization or queue depth, sampled
// by the control plane) and the decision desired = ceil(Σ pod metric / target), clamped to
// [min, max], with a scale-down stabilization window so a dip does not drop capacity at once.
import { ConfigError } from '../../sim/engine/errors.ts';

/** What the autoscaler tracks per pod. */
export type HpaMetric =
  /**
   * Busy workers / workers (pods with `cores`: CPU busy time / (cores × time)), averaged over the
   * metric window; the target is a share such as 0.6.
   */
  | { kind: 'cpu'; targetUtilization: number }
  /** Requests waiting for a worker, averaged over the window; the target is per pod. */
  | { kind: 'queue'; targetPerPod: number };

/** Autoscaler settings, as given. */
export interface HpaOptions {
  minReplicas: number;
  maxReplicas: number;
  metric: HpaMetric;
  /** Time between decisions (control-plane clock). Default 1000 ms (Kubernetes: 15 s). */
  syncPeriodMs?: number;
  /** Pod metrics are averaged over this much recent time. Default 2000 ms. */
  metricWindowMs?: number;
  /** Scale down only to the highest recommendation of this recent window. Default 15000 ms (Kubernetes: 300 s). */
  scaleDownStabilizationMs?: number;
  /** No change while |average / target − 1| is within this. Default 0.1, as in Kubernetes. */
  tolerance?: number;
}

/** Autoscaler settings with defaults filled. */
export interface ResolvedHpa {
  minReplicas: number;
  maxReplicas: number;
  metric: HpaMetric;
  syncPeriodMs: number;
  metricWindowMs: number;
  scaleDownStabilizationMs: number;
  tolerance: number;
}

/** Fills autoscaler defaults and validates them; throws ConfigError naming the field. */
export function resolveHpa(options: HpaOptions, where = 'autoscaler'): ResolvedHpa {
  const resolved: ResolvedHpa = {
    minReplicas: options.minReplicas,
    maxReplicas: options.maxReplicas,
    metric: options.metric,
    syncPeriodMs: options.syncPeriodMs ?? 1000,
    metricWindowMs: options.metricWindowMs ?? 2000,
    scaleDownStabilizationMs: options.scaleDownStabilizationMs ?? 15_000,
    tolerance: options.tolerance ?? 0.1,
  };
  if (!Number.isInteger(resolved.minReplicas) || resolved.minReplicas < 1) throw new ConfigError(`${where}: minReplicas is ${resolved.minReplicas}; use a whole number >= 1`);
  if (!Number.isInteger(resolved.maxReplicas) || resolved.maxReplicas < resolved.minReplicas) {
    throw new ConfigError(`${where}: maxReplicas is ${resolved.maxReplicas}; use a whole number >= minReplicas (${resolved.minReplicas})`);
  }
  const metric = resolved.metric;
  if (metric?.kind === 'cpu') {
    if (!(metric.targetUtilization > 0 && metric.targetUtilization <= 1)) {
      throw new ConfigError(`${where}: targetUtilization is ${metric.targetUtilization}; use a share in (0, 1]`);
    }
  } else if (metric?.kind === 'queue') {
    if (!(metric.targetPerPod > 0 && Number.isFinite(metric.targetPerPod))) throw new ConfigError(`${where}: targetPerPod is ${metric.targetPerPod}; use a finite number > 0`);
  } else {
    throw new ConfigError(`${where}: metric must be { kind: 'cpu', targetUtilization } or { kind: 'queue', targetPerPod }`);
  }
  for (const field of ['syncPeriodMs', 'metricWindowMs'] as const) {
    if (!(resolved[field] > 0 && Number.isFinite(resolved[field]))) throw new ConfigError(`${where}: ${field} is ${resolved[field]}; use a finite number of ms > 0`);
  }
  if (!(resolved.scaleDownStabilizationMs >= 0)) throw new ConfigError(`${where}: scaleDownStabilizationMs is ${resolved.scaleDownStabilizationMs}; use ms >= 0`);
  if (!(resolved.tolerance >= 0 && resolved.tolerance < 1)) throw new ConfigError(`${where}: tolerance is ${resolved.tolerance}; use a share in [0, 1)`);
  return resolved;
}

/** The target of a metric, in the metric's own unit. */
export function metricTarget(metric: HpaMetric): number {
  return metric.kind === 'cpu' ? metric.targetUtilization : metric.targetPerPod;
}

/** Recent samples of one pod metric; memory is bounded by the window over the sample interval. */
export class MetricWindow {
  private readonly times: number[] = [];
  private readonly values: number[] = [];

  constructor(
    /** Samples older than this (ms before the newest) are dropped. */
    public windowMs: number,
  ) {}

  /** Adds a sample taken at `atMs` and forgets those older than the window. */
  add(atMs: number, value: number): void {
    this.times.push(atMs);
    this.values.push(value);
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! <= atMs - this.windowMs) drop++;
    if (drop > 0) {
      this.times.splice(0, drop);
      this.values.splice(0, drop);
    }
  }

  /** Mean of the samples in the window, or undefined when there are none. */
  average(): number | undefined {
    if (this.values.length === 0) return undefined;
    let sum = 0;
    for (const value of this.values) sum += value;
    return sum / this.values.length;
  }

  /** Forgets every sample (the pod restarted: its old load says nothing about the new process). */
  clear(): void {
    this.times.length = 0;
    this.values.length = 0;
  }
}

/** One autoscaler decision, for traces and tests. */
export interface HpaDecision {
  /** Average metric over the pods that reported. */
  average: number;
  /** Pods whose metric counted (ready ones). */
  pods: number;
  /** ceil(Σ / target) clamped, before stabilization. */
  recommended: number;
  /** The replica count to set. */
  desired: number;
}

/**
 * Decides replica counts for one deployment. Pods not ready (cold starting) report no metric and
 * count as idle, as Kubernetes does for scale-up, so a burst of new pods does not overshoot.
 */
export class Autoscaler {
  private readonly history: { atMs: number; replicas: number }[] = [];
  private nextSyncAtMs: number;

  constructor(
    readonly options: ResolvedHpa,
    startMs: number,
  ) {
    this.nextSyncAtMs = startMs + options.syncPeriodMs;
  }

  /** True when a decision is due; moves the next one a sync period on. */
  due(nowMs: number): boolean {
    if (nowMs < this.nextSyncAtMs) return false;
    this.nextSyncAtMs = nowMs + this.options.syncPeriodMs;
    return true;
  }

  /** Decides from the ready pods' metric averages; undefined when no pod reported (no data, no change). */
  decide(nowMs: number, podAverages: readonly number[], currentReplicas: number): HpaDecision | undefined {
    if (podAverages.length === 0) return undefined;
    const { minReplicas, maxReplicas, tolerance, scaleDownStabilizationMs } = this.options;
    const target = metricTarget(this.options.metric);
    let sum = 0;
    for (const value of podAverages) sum += value;
    const average = sum / podAverages.length;
    // A hair below each integer counts as that integer: 1.2 / 0.6 must give 2, not 3.
    const raw = Math.abs(average / target - 1) <= tolerance ? currentReplicas : Math.ceil(sum / target - 1e-9);
    const recommended = Math.min(maxReplicas, Math.max(minReplicas, raw));
    this.history.push({ atMs: nowMs, replicas: recommended });
    while (this.history.length > 0 && this.history[0]!.atMs < nowMs - scaleDownStabilizationMs) this.history.shift();
    let desired = recommended;
    if (recommended < currentReplicas) {
      let highest = recommended;
      for (const entry of this.history) highest = Math.max(highest, entry.replicas);
      desired = Math.min(currentReplicas, highest);
    }
    return { average, pods: podAverages.length, recommended, desired };
  }
}
