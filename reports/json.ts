// The machine-readable result (`sim run --json`, DESIGN §6): the contract's fields first, in the
// contract's order, then the extra fields of a variant result; numbers rounded as reports show them.
import type { ScenarioResult, VariantMetrics, VariantResult } from '../sim/harness/result.ts';
import type { EndpointSummary, LatencySummary, TimeBucket } from '../sim/harness/metrics.ts';
import type { WitnessOperation } from '../sim/harness/checks.ts';
import { roundMs, roundRatio, roundTo } from './format.ts';
import type { NodeFigures } from '../sim/harness/node-figures.ts';

/** Per-second rates and instance-seconds keep 3 decimals, like ms. */
const roundRate = (value: number): number => roundTo(value, 3);

/** Unit-less consistency figures keep 6 decimals (counts are integers and stay exact). */
function roundConsistency(consistency: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(consistency)) {
    // defineProperty, so a key like "__proto__" stays an own data property.
    Object.defineProperty(out, key, { value: key.endsWith('Ms') ? roundMs(value) : roundTo(value, 6), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The contract's latency figures, in contract order, rounded to the microsecond. */
function roundLatency(latency: Omit<LatencySummary, 'count'>): Omit<LatencySummary, 'count'> {
  return {
    p50: roundMs(latency.p50),
    p90: roundMs(latency.p90),
    p99: roundMs(latency.p99),
    p999: roundMs(latency.p999),
    max: roundMs(latency.max),
    mean: roundMs(latency.mean),
  };
}

function endpoint(summary: EndpointSummary): EndpointSummary {
  const latency = summary.latencyMs;
  return {
    endpoint: summary.endpoint,
    total: summary.total,
    ok: summary.ok,
    failed: summary.failed,
    availability: roundRatio(summary.availability),
    latencyMs: { ...roundLatency(latency), count: latency.count },
    ...(summary.successLatencyMs ? { successLatencyMs: { ...roundLatency(summary.successLatencyMs), count: summary.successLatencyMs.count } } : {}),
    errors: summary.errors,
  };
}

function bucket(slice: TimeBucket): TimeBucket {
  return {
    startMs: roundMs(slice.startMs),
    endMs: roundMs(slice.endMs),
    ok: slice.ok,
    failed: slice.failed,
    throughputPerSec: roundRate(slice.throughputPerSec),
    errorRate: roundRatio(slice.errorRate),
    p50Ms: roundMs(slice.p50Ms),
    p99Ms: roundMs(slice.p99Ms),
    maxMs: roundMs(slice.maxMs),
    meanMs: roundMs(slice.meanMs),
  };
}

function metrics(figures: VariantMetrics): VariantMetrics {
  const latency = figures.latencyMs;
  return {
    requests: { total: figures.requests.total, ok: figures.requests.ok, failed: figures.requests.failed },
    latencyMs: roundLatency(latency),
    ...(figures.successLatencyMs ? { successLatencyMs: roundLatency(figures.successLatencyMs) } : {}),
    availability: roundRatio(figures.availability),
    consistency: roundConsistency(figures.consistency),
    throughputPerSec: roundRate(figures.throughputPerSec),
    costInstanceSeconds: roundRate(figures.costInstanceSeconds),
    errors: figures.errors,
    endpoints: figures.endpoints.map(endpoint),
    processErrors: figures.processErrors,
    ...(figures.nodes ? { nodes: figures.nodes.map(nodeJson) } : {}),
  };
}

/** A node's figures with ratios to 6 decimals and means to 3. */
function nodeJson(node: NodeFigures): NodeFigures {
  return {
    ...node,
    upMs: roundMs(node.upMs),
    utilization: roundRatio(node.utilization),
    meanQueueLength: roundTo(node.meanQueueLength, 3),
    meanInFlight: roundTo(node.meanInFlight, 3),
    series: node.series.map((point) => ({ startMs: roundMs(point.startMs), endMs: roundMs(point.endMs), utilization: roundRatio(point.utilization), queueLength: roundTo(point.queueLength, 3) })),
  };
}

function variant(result: VariantResult): VariantResult {
  const out: VariantResult = {
    name: result.name,
    ok: result.ok,
    traceHash: result.traceHash,
    simulatedMs: roundMs(result.simulatedMs),
    events: result.events,
    failures: result.failures.map((failure) => ({
      kind: failure.kind,
      check: failure.check,
      atMs: roundMs(failure.atMs),
      message: failure.message,
      ...(failure.witness ? { witness: { model: failure.witness.model, operations: failure.witness.operations.map(historyOperation) } } : {}),
    })),
    metrics: metrics(result.metrics),
    faultSchedule: result.faultSchedule.map((scheduled) => ({
      atMs: roundMs(scheduled.atMs),
      ...(scheduled.durationMs !== undefined ? { durationMs: roundMs(scheduled.durationMs) } : {}),
      fault: scheduled.fault,
    })),
    faults: result.faults,
    coverage: result.coverage,
    options: result.options,
    series: result.series.map(bucket),
    timeline: result.timeline.map((entry) => ({ atMs: roundMs(entry.atMs), kind: entry.kind, node: entry.node, detail: entry.detail })),
  };
  if (result.errors !== undefined) {
    out.errors = result.errors.map((group) => ({
      code: group.code,
      node: group.node,
      method: group.method,
      message: group.message,
      where: group.where,
      count: group.count,
      firstAtMs: roundMs(group.firstAtMs),
      bug: group.bug,
    }));
  }
  if (result.hungRequests !== undefined) {
    out.hungRequests = result.hungRequests.map((hung) => ({ ...hung, oldestStartMs: roundMs(hung.oldestStartMs) }));
  }
  if (result.maxRequests !== undefined) out.maxRequests = result.maxRequests;
  if (result.history !== undefined) out.history = result.history.map(historyOperation);
  return out;
}

/** A history operation with its times rounded like every other ms figure. */
function historyOperation(operation: WitnessOperation): WitnessOperation {
  return {
    ...operation,
    invokeMs: roundMs(operation.invokeMs),
    ...(operation.completeMs !== undefined ? { completeMs: roundMs(operation.completeMs) } : {}),
  };
}

/**
 * The JSON contract object of a result (DESIGN §6): `{ scenario, seed, ok, traceHash, variants:
 * [{ name, ok, traceHash, simulatedMs, events, failures, metrics: { requests, latencyMs,
 * availability, consistency, … } }] }` plus every extra field of the result. ms figures are rounded
 * to 3 decimals (µs), ratios to 6. The object is itself a ScenarioResult, so `sim report` can
 * render HTML from a parsed JSON file.
 */
export function toJson(result: ScenarioResult): ScenarioResult {
  return {
    scenario: result.scenario,
    seed: result.seed,
    ok: result.ok,
    traceHash: result.traceHash,
    variants: result.variants.map(variant),
    description: result.description,
  };
}

/** `toJson` as text: one JSON object and a trailing newline, as `--json` prints it. */
export function toJsonText(result: ScenarioResult, indent = 2): string {
  return `${JSON.stringify(toJson(result), null, indent)}\n`;
}
