// The shape of a run's result: what `sim run --json` prints and what reports read (DESIGN §6).
// Fields may be added; the contract's fields may not be renamed.
import type { Failure } from './checks.ts';
import type { LatencySummary, EndpointSummary, TimeBucket } from './metrics.ts';
import type { ScheduledFault } from './faults.ts';

/** Request figures of one variant. */
export interface VariantMetrics {
  requests: { total: number; ok: number; failed: number };
  /** Client-observed latency of finished requests, ms. */
  latencyMs: Omit<LatencySummary, 'count'>;
  /** ok / total (1 when no request was sent). */
  availability: number;
  /** ok requests per virtual second of the run (without the quiesce phase). */
  throughputPerSec: number;
  /** Sum of node uptime, in instance-seconds. */
  costInstanceSeconds: number;
  /** Failed requests by error code. */
  errors: Record<string, number>;
  endpoints: EndpointSummary[];
  /** Figures the system reports about itself from outside (orders non-final, lag…). */
  consistency: Record<string, number>;
  /** Errors thrown by service code outside requests. */
  processErrors: number;
  /** CPU of the nodes that model `cores` (absent when none does). */
  cpu?: NodeCpuSummary[];
}

/** One node's CPU over the run: utilisation = busy core-ms / (cores × uptime ms). */
export interface NodeCpuSummary {
  node: string;
  cores: number;
  busyCoreMs: number;
  utilization: number;
}

/** Result of one variant on one seed. */
export interface VariantResult {
  name: string;
  ok: boolean;
  traceHash: string;
  /** Virtual ms simulated, quiesce phase included. */
  simulatedMs: number;
  events: number;
  failures: Failure[];
  metrics: VariantMetrics;
  /** The concrete fault schedule that ran (fixed plus drawn), as data for replay and shrink. */
  faultSchedule: ScheduledFault[];
  /** Human lines for the schedule. */
  faults: string[];
  /** Coverage: which `sometimes` checks were reached. */
  coverage: Record<string, boolean>;
  /** Swarm options used. */
  options: Record<string, number>;
  /** Throughput, errors and latency over time, for charts. */
  series: TimeBucket[];
  /** State-change timeline for charts (breaker states, compensations…), bounded. */
  timeline: TimelineEntry[];
  /** Workload requests that were limited (for shrinking), when set. */
  maxRequests?: number;
}

/** One point in a resilience timeline. */
export interface TimelineEntry {
  atMs: number;
  kind: string;
  node: string;
  detail: string;
}

/** Result of a scenario on one seed: every variant side by side. */
export interface ScenarioResult {
  scenario: string;
  description: string;
  seed: number;
  ok: boolean;
  /** Hash over the variants' trace hashes, in order. */
  traceHash: string;
  variants: VariantResult[];
}
