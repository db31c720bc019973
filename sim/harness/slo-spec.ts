// The shape of an SLO check's targets (slo.ts builds and judges them; checks.ts carries them).

/** Which requests an SLO judges, by the virtual time they were sent. */
export type SloPhase = 'all' | 'during-faults' | 'after-recovery';

/** An SLO as a scenario declares it: at least one target. */
export interface SloSpec {
  /** The endpoint (as the workload names it, e.g. `POST /orders`); default: every request. */
  endpoint?: string;
  /** Most the median latency may be, ms (latency of every finished request, failed ones included). */
  p50Ms?: number;
  /** Most the 99th percentile latency may be, ms. */
  p99Ms?: number;
  /** Most the 99.9th percentile latency may be, ms. */
  p999Ms?: number;
  /** Least fraction of requests that must succeed, in (0, 1]. */
  availability?: number;
  /**
   * `all` (default); `during-faults`: requests sent while a scheduled fault was active;
   * `after-recovery`: requests sent after the last scheduled fault healed.
   */
  phase?: SloPhase;
  /** Check name; default: built from the targets, e.g. `slo POST /orders p99<=200ms after-recovery`. */
  name?: string;
}
