// Derives a model from traces: services (instances grouped by name), operations, the call graph
// with call probabilities and parallel groups, self time per operation fitted to a distribution,
// own error rates, and the observed arrival rate and mix of top-level requests. Each inferred
// figure keeps its sample count, so the summary can say how far to trust it.
import type { Distribution } from '../sim/index.ts';
import { fitDuration, type Fit } from './fit.ts';
import type { TraceSpan } from './otlp-read.ts';
import type { RatePoint } from './rate-profile.ts';
import { inferRateProfile } from './arrivals.ts';
import { CallStats, type InferredCall } from './call-stats.ts';
import { operationOf, serviceOfNode } from './trace-names.ts';
import { inferMessaging, SPAN_KIND_CONSUMER, SPAN_KIND_PRODUCER, type Messaging } from './messaging-graph.ts';

export { serviceOfNode };
export type { InferredCall } from './call-stats.ts';

/**
 * The simulator's own infrastructure, not the architecture: the registry node (discovery), health
 * checks, and the bus (its broker's methods and deliveries).
 */
const isInfrastructure = (span: TraceSpan): boolean =>
  span.node === 'registry' || span.node === 'broker' || span.name === 'health' || span.name.startsWith('bus.');

/** What was inferred about one operation. */
export interface InferredOperation {
  service: string;
  name: string;
  selfTime: Fit;
  errors: number;
  /** Groups in order: one call is a sequential step, several run in parallel. */
  groups: InferredCall[][];
}

/** What was inferred from a trace export. */
export interface Inference {
  spans: number;
  traces: number;
  /** Instances per service. */
  services: Map<string, { instances: string[]; maxConcurrent: number }>;
  operations: Map<string, InferredOperation>;
  /** Top-level requests per operation key (`service.operation`). */
  entries: Map<string, number>;
  windowMs: number;
  ratePerSec: number;
  /** The rate over time when arrivals were not steady. */
  rateProfile: RatePoint[] | undefined;
  /** Start of the last top-level request, in ms from the first span. */
  lastArrivalMs: number;
  /** Topics published and consumed (from producer and consumer spans). */
  messaging: Messaging;
  maxRootMs: number;
}

const keyOf = (span: TraceSpan): string => `${span.traceId}/${span.spanId}`;

/** Client, producer and internal spans are steps inside an operation, not operations. */
const isStep = (span: TraceSpan): boolean => span.kind === SPAN_KIND_INTERNAL || span.kind === SPAN_KIND_CLIENT || span.kind === SPAN_KIND_PRODUCER;
const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_CLIENT = 3;
/** Most steps walked up from a span to the operation holding it (a limit against malformed parent chains). */
const MAX_STEP_DEPTH = 64;

/**
 * The key of the operation span a span was called from: its parent, skipping client and internal
 * steps (their time is the caller's own: network, serialization). Undefined for a top-level span.
 */
function callerKey(span: TraceSpan, byKey: ReadonlyMap<string, TraceSpan>): string | undefined {
  let parentId = span.parentSpanId;
  for (let depth = 0; parentId !== undefined && depth < MAX_STEP_DEPTH; depth++) {
    const key = `${span.traceId}/${parentId}`;
    const parent = byKey.get(key);
    if (parent === undefined) return undefined;
    if (!isStep(parent)) return key;
    parentId = parent.parentSpanId;
  }
  return undefined;
}

/** Infers the architecture from spans. */
export function inferFromSpans(allSpans: readonly TraceSpan[]): Inference {
  const byKey = new Map<string, TraceSpan>();
  for (const span of allSpans) byKey.set(keyOf(span), span);
  const spans = allSpans.filter((span) => !isStep(span));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const span of spans) {
    // A message's consumer is neither a call of the producer (it runs later) nor a client's request.
    if (span.kind === SPAN_KIND_CONSUMER) continue;
    const parentKey = callerKey(span, byKey);
    if (parentKey !== undefined) {
      const list = children.get(parentKey);
      if (list) list.push(span);
      else children.set(parentKey, [span]);
    } else if (!isInfrastructure(span)) roots.push(span);
  }

  const samples = new Map<string, { selfTimes: number[]; errors: number; calls: CallStats }>();
  for (const span of spans) {
    if (isInfrastructure(span)) continue;
    const key = operationOf(span);
    let entry = samples.get(key);
    if (!entry) samples.set(key, (entry = { selfTimes: [], errors: 0, calls: new CallStats() }));
    const kids = children.get(keyOf(span)) ?? [];
    entry.selfTimes.push(selfTime(span, kids));
    if (span.error && !kids.some((kid) => kid.error)) entry.errors++;
    entry.calls.add(span, kids.filter((kid) => !isInfrastructure(kid)));
  }

  const messaging = inferMessaging(
    allSpans,
    byKey,
    (span) => {
      const key = callerKey(span, byKey);
      return key === undefined ? undefined : byKey.get(key);
    },
    (operation) => samples.get(operation)?.selfTimes.length ?? 0,
  );

  const operations = new Map<string, InferredOperation>();
  for (const [key, entry] of samples) {
    const dot = key.indexOf('.');
    operations.set(key, { service: key.slice(0, dot), name: key.slice(dot + 1), selfTime: fitDuration(entry.selfTimes), errors: entry.errors, groups: entry.calls.groups() });
  }

  const entries = new Map<string, number>();
  let firstMs = Infinity;
  let lastMs = -Infinity;
  let maxRootMs = 0;
  for (const root of roots) {
    entries.set(operationOf(root), (entries.get(operationOf(root)) ?? 0) + 1);
    firstMs = Math.min(firstMs, root.startMs);
    lastMs = Math.max(lastMs, root.startMs);
    maxRootMs = Math.max(maxRootMs, root.endMs - root.startMs);
  }
  // n arrivals span n - 1 gaps: the rate estimate that is unbiased for a Poisson stream.
  const windowMs = roots.length > 1 ? lastMs - firstMs : 0;
  return {
    spans: allSpans.length,
    traces: new Set(spans.map((span) => span.traceId)).size,
    services: instancesOf(spans),
    operations,
    entries,
    windowMs,
    ratePerSec: windowMs > 0 ? ((roots.length - 1) * 1000) / windowMs : roots.length,
    rateProfile: inferRateProfile(roots.map((root) => root.startMs), lastMs),
    lastArrivalMs: Math.max(0, lastMs),
    messaging,
    maxRootMs,
  };
}

/** The span's own time: its duration less the union of its children's intervals within it. */
function selfTime(span: TraceSpan, kids: readonly TraceSpan[]): number {
  const intervals = kids
    .map((kid) => [Math.max(span.startMs, kid.startMs), Math.min(span.endMs, kid.endMs)] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let reach = span.startMs;
  for (const [start, end] of intervals) {
    if (end <= reach) continue;
    covered += end - Math.max(start, reach);
    reach = end;
  }
  return Math.max(0, span.endMs - span.startMs - covered);
}

/** Instances per service, and the most requests one instance held at once. */
function instancesOf(spans: readonly TraceSpan[]): Inference['services'] {
  const byNode = new Map<string, [number, number][]>();
  for (const span of spans) {
    if (isInfrastructure(span)) continue;
    const list = byNode.get(span.node);
    if (list) list.push([span.startMs, 1], [span.endMs, -1]);
    else byNode.set(span.node, [[span.startMs, 1], [span.endMs, -1]]);
  }
  const services: Inference['services'] = new Map();
  for (const [node, events] of [...byNode].sort((a, b) => a[0].localeCompare(b[0]))) {
    // Ends before starts at the same instant: a request that ends as another begins is not concurrent with it.
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let current = 0;
    let peak = 0;
    for (const [, delta] of events) {
      current += delta;
      peak = Math.max(peak, current);
    }
    const service = serviceOfNode(node);
    const entry = services.get(service);
    if (entry) {
      entry.instances.push(node);
      entry.maxConcurrent = Math.max(entry.maxConcurrent, peak);
    } else services.set(service, { instances: [node], maxConcurrent: peak });
  }
  return services;
}

/** A distribution in the model's notation: a constant as a plain number. */
export function modelDistribution(distribution: Distribution): number | Distribution {
  return distribution.kind === 'constant' ? distribution.value : distribution;
}
