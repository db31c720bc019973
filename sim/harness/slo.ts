// SLO checks: targets on the workload's own figures (latency percentiles, availability), for one
// endpoint or all, over the whole run or one phase of it; judged once, when the run ends. A miss is
// a correctness failure naming the figure, the measured value and the target.
import { ConfigError } from '../engine/errors.ts';
import type { Check, Failure } from './checks.ts';
import type { ScheduledFault } from './faults.ts';
import { LatencyHistogram } from './metrics.ts';
import type { WorkloadMetrics } from './workload.ts';
import type { SloPhase, SloSpec } from './slo-spec.ts';

export type { SloPhase, SloSpec } from './slo-spec.ts';

const PHASES: readonly SloPhase[] = ['all', 'during-faults', 'after-recovery'];
const LATENCY_TARGETS = [
  { key: 'p50Ms', label: 'p50', percentile: 50 },
  { key: 'p99Ms', label: 'p99', percentile: 99 },
  { key: 'p999Ms', label: 'p99.9', percentile: 99.9 },
] as const;

/**
 * A service-level objective, checked at the end of the run from the workload's request figures:
 * `slo({ endpoint: 'POST /orders', p99Ms: 200, availability: 0.99, phase: 'after-recovery' })`.
 * @throws ConfigError without a target, or with a target out of range.
 */
export function slo(spec: SloSpec): Check<any> {
  const where = `slo${spec?.endpoint !== undefined ? ` for '${spec.endpoint}'` : ''}`;
  if (!spec || typeof spec !== 'object') throw new ConfigError('slo() needs an object with at least one target: p50Ms, p99Ms, p999Ms or availability');
  const targets = LATENCY_TARGETS.filter((target) => spec[target.key] !== undefined);
  if (targets.length === 0 && spec.availability === undefined) {
    throw new ConfigError(`${where} has no target: give p50Ms, p99Ms, p999Ms or availability (example: slo({ endpoint: 'POST /orders', p99Ms: 200 }))`);
  }
  for (const target of targets) {
    const value = spec[target.key]!;
    if (!(value > 0 && Number.isFinite(value))) throw new ConfigError(`${where}: ${target.key} is ${value}; use a finite number of ms > 0`);
  }
  if (spec.availability !== undefined && !(spec.availability > 0 && spec.availability <= 1)) {
    throw new ConfigError(`${where}: availability is ${spec.availability}; use a fraction in (0, 1], e.g. 0.999`);
  }
  const phase = spec.phase ?? 'all';
  if (!PHASES.includes(phase)) throw new ConfigError(`${where}: phase is '${String(phase)}'; use one of ${PHASES.join(', ')}`);
  if (spec.endpoint !== undefined && (typeof spec.endpoint !== 'string' || spec.endpoint === '')) throw new ConfigError(`${where}: endpoint must be a non-empty string`);
  const resolved: SloSpec = { ...spec, phase };
  return { name: spec.name ?? defaultName(resolved), kind: 'slo', predicate: () => true, slo: resolved };
}

function defaultName(spec: SloSpec): string {
  const parts = ['slo', spec.endpoint ?? 'all requests'];
  for (const target of LATENCY_TARGETS) if (spec[target.key] !== undefined) parts.push(`${target.label}<=${spec[target.key]}ms`);
  if (spec.availability !== undefined) parts.push(`availability>=${spec.availability}`);
  if (spec.phase !== 'all') parts.push(spec.phase!);
  return parts.join(' ');
}

/** The requests one SLO judges, as they finish. */
interface SloTally {
  check: Check<any>;
  spec: SloSpec;
  latency: LatencyHistogram;
  ok: number;
  total: number;
}

/** Fault windows [startMs, endMs) of a schedule; a fault without a duration lasts to the end of the run. */
function faultWindows(faults: readonly ScheduledFault[], durationMs: number): { startMs: number; endMs: number }[] {
  return faults.map((fault) => ({ startMs: fault.atMs, endMs: fault.durationMs !== undefined ? fault.atMs + fault.durationMs : durationMs }));
}

/**
 * Keeps the figures of a run's SLO checks: attached to the workload's metrics before the run, it
 * sorts each finished request into the SLOs it concerns; `evaluate` judges them at the end.
 */
export class SloMonitor {
  private readonly tallies: SloTally[];
  private readonly windows: { startMs: number; endMs: number }[];
  private readonly recoveredAtMs: number;

  constructor(checks: readonly Check<any>[], faults: readonly ScheduledFault[], durationMs: number) {
    this.tallies = checks
      .filter((check) => check.kind === 'slo' && check.slo !== undefined)
      .map((check) => ({ check, spec: check.slo!, latency: new LatencyHistogram(), ok: 0, total: 0 }));
    this.windows = faultWindows(faults, durationMs);
    this.recoveredAtMs = this.windows.reduce((latest, window) => Math.max(latest, window.endMs), 0);
  }

  /** Starts listening to the workload's finished requests (nothing is kept when there is no SLO). */
  attach(metrics: WorkloadMetrics): void {
    if (this.tallies.length === 0) return;
    metrics.listeners.push((endpoint, startMs, endMs, ok) => this.record(endpoint, startMs, endMs, ok));
  }

  private record(endpoint: string, startMs: number, endMs: number, ok: boolean): void {
    for (const tally of this.tallies) {
      if (tally.spec.endpoint !== undefined && tally.spec.endpoint !== endpoint) continue;
      if (!this.inPhase(tally.spec.phase ?? 'all', startMs)) continue;
      tally.latency.record(endMs - startMs);
      tally.total++;
      if (ok) tally.ok++;
    }
  }

  private inPhase(phase: SloPhase, startMs: number): boolean {
    if (phase === 'all') return true;
    if (phase === 'after-recovery') return startMs >= this.recoveredAtMs;
    return this.windows.some((window) => startMs >= window.startMs && startMs < window.endMs);
  }

  /**
   * Judges every SLO: one correctness failure per missed SLO, listing each missed figure.
   * @param sentEndpoints - every endpoint the workload sent in this run.
   * @param fullWorkload - false when the workload was cut short (shrinking): an endpoint never sent is then no error.
   * @throws ConfigError for an SLO naming an endpoint the full workload never sent.
   */
  evaluate(atMs: number, sentEndpoints: readonly string[], fullWorkload: boolean): Failure[] {
    const failures: Failure[] = [];
    for (const tally of this.tallies) {
      const { spec } = tally;
      if (spec.endpoint !== undefined && fullWorkload && !sentEndpoints.includes(spec.endpoint)) {
        throw new ConfigError(`${tally.check.name}: the workload never sends endpoint '${spec.endpoint}' (it sends ${sentEndpoints.map((name) => `'${name}'`).join(', ') || 'nothing'})`);
      }
      // No request in the phase (no fault, or none sent then): nothing to judge.
      if (tally.total === 0) continue;
      const misses = missedTargets(tally);
      if (misses.length > 0) failures.push({ kind: 'correctness', check: tally.check.name, atMs, message: `${misses.join('; ')} (${tally.total} requests${phaseWords(spec.phase)})` });
    }
    return failures;
  }
}

function phaseWords(phase: SloPhase | undefined): string {
  if (phase === 'during-faults') return ' sent during faults';
  if (phase === 'after-recovery') return ' sent after recovery';
  return '';
}

function missedTargets(tally: SloTally): string[] {
  const misses: string[] = [];
  const scope = tally.spec.endpoint ?? 'all requests';
  for (const target of LATENCY_TARGETS) {
    const limitMs = tally.spec[target.key];
    if (limitMs === undefined) continue;
    const measuredMs = tally.latency.percentile(target.percentile);
    if (measuredMs > limitMs) misses.push(`${target.label} latency of ${scope} is ${measuredMs} ms, target <= ${limitMs} ms`);
  }
  const availability = tally.ok / tally.total;
  if (tally.spec.availability !== undefined && availability < tally.spec.availability) {
    misses.push(`availability of ${scope} is ${(availability * 100).toFixed(2)}%, target >= ${(tally.spec.availability * 100).toFixed(2)}%`);
  }
  return misses;
}
