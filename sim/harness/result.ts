// The shape of a run's result: what `sim run --json` prints and what reports read (DESIGN §6).
// Fields may be added; the contract's fields may not be renamed.
import type { Failure, WitnessOperation } from './checks.ts';
import type { LatencySummary, EndpointSummary, TimeBucket } from './metrics.ts';
import type { ScheduledFault } from './faults.ts';
import type { NodeFigures } from './node-figures.ts';
import type { ServiceErrorGroup } from '../world/service-errors.ts';
import type { HungRequests } from '../world/world.ts';

/** Request figures of one variant. */
export interface VariantMetrics {
  requests: { total: number; ok: number; failed: number };
  /** Client-observed latency of every finished request (ok or failed), ms: instant rejections pull it down. */
  latencyMs: Omit<LatencySummary, 'count'>;
  /**
   * Client-observed latency of the successful requests only, ms: what a user who got an answer
   * waited. Absent in results saved before it existed (as is `nodes`).
   */
  successLatencyMs?: Omit<LatencySummary, 'count'>;
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
  /** What each node was doing, time-averaged over its uptime, in the order nodes were added. */
  nodes?: NodeFigures[];
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
  /** State-change timeline for charts (faults, crashes, and the state changes services register), bounded. */
  timeline: TimelineEntry[];
  /**
   * Errors thrown by service code, grouped by node, method, code and message, most frequent first:
   * `{ code, node, method, message, where, count, firstAtMs, bug }` (`bug`: a programmer error).
   */
  errors?: ServiceErrorGroup[];
  /** Requests still running long after their caller's deadline when the run ended, per node and method. */
  hungRequests?: HungRequests[];
  /** Workload requests that were limited (for shrinking), when set. */
  maxRequests?: number;
  /** The client-side history of operations, when the system records one (`SystemHandle.history`). */
  history?: WitnessOperation[];
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
