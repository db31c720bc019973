// Derives a model from traces: services (instances grouped by name), operations, the call graph
// with call probabilities and parallel groups, self time per operation fitted to a distribution,
// own error rates, and the observed arrival rate and mix of top-level requests. Each inferred
// figure keeps its sample count, so the summary can say how far to trust it.
import type { Distribution } from '../sim/index.ts';
import { fitDuration, type Fit } from './fit.ts';
import type { TraceSpan } from './otlp-read.ts';
import type { RatePoint } from './rate-profile.ts';
import { inferRateProfile } from './arrivals.ts';

/**
 * The simulator's own infrastructure, not the architecture: the registry node (discovery), health
 * checks, and the bus (its broker's methods and deliveries).
 */
const isInfrastructure = (span: TraceSpan): boolean =>
  span.node === 'registry' || span.node === 'broker' || span.name === 'health' || span.name.startsWith('bus.');

/** Two calls overlapping in at least this share of the spans holding both run in parallel. */
const PARALLEL_SHARE = 0.5;
/** Error and call shares below this are noise, not part of the model. */
const MIN_SHARE = 1e-3;

/** What was inferred about one downstream call of an operation. */
export interface InferredCall {
  target: string;
  probability: number;
  /** Mean calls per parent span that made it (>= 1): repeated calls become repeated steps. */
  repeat: number;
  /** Parent spans that made the call, out of `of`. */
  seen: number;
  of: number;
  /** Longest call seen (the callee's span), ms. */
  maxMs: number;
}

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
  maxRootMs: number;
}

/** Names a compiled model gives its own nodes: a traced service of that name is renamed. */
const RESERVED = new Set(['registry', 'gateway', 'broker']);

/** `orders-2` → `orders`; names made safe for a model's service keys (a traced `gateway` becomes `gateway-service`). */
export function serviceOfNode(node: string): string {
  const cleaned = node.replace(/[^a-z0-9_-]/gi, '-').replace(/^[^a-z]+/i, '') || 'service';
  const service = cleaned.replace(/-\d+$/, '') || cleaned;
  return RESERVED.has(service) ? `${service}-service` : service;
}

const keyOf = (span: TraceSpan): string => `${span.traceId}/${span.spanId}`;
const operationOf = (span: TraceSpan): string => `${serviceOfNode(span.node)}.${span.name}`;

/** Client, producer and internal spans are steps inside an operation, not operations. */
const isStep = (span: TraceSpan): boolean => span.kind === SPAN_KIND_INTERNAL || span.kind === SPAN_KIND_CLIENT || span.kind === SPAN_KIND_PRODUCER;
const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_CLIENT = 3;
const SPAN_KIND_PRODUCER = 4;
const SPAN_KIND_CONSUMER = 5;
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

/** Per operation: which calls its spans make, how often, in which order, and which overlap. */
class CallStats {
  private parents = 0;
  private readonly targets = new Map<string, { seen: number; calls: number; offsetMs: number; maxMs: number }>();
  /** `a\u0000b` → [spans holding both, spans where their first calls overlapped]. */
  private readonly pairs = new Map<string, [number, number]>();

  add(parent: TraceSpan, kids: readonly TraceSpan[]): void {
    this.parents++;
    const first = new Map<string, TraceSpan>();
    for (const kid of [...kids].sort((a, b) => a.startMs - b.startMs)) {
      const target = operationOf(kid);
      const entry = this.targets.get(target) ?? { seen: 0, calls: 0, offsetMs: 0, maxMs: 0 };
      entry.calls++;
      entry.maxMs = Math.max(entry.maxMs, kid.endMs - kid.startMs);
      if (!first.has(target)) {
        first.set(target, kid);
        entry.seen++;
        entry.offsetMs += kid.startMs - parent.startMs;
      }
      this.targets.set(target, entry);
    }
    const present = [...first.keys()].sort();
    for (let i = 0; i < present.length; i++) {
      for (let j = i + 1; j < present.length; j++) {
        const a = first.get(present[i]!)!;
        const b = first.get(present[j]!)!;
        const pair = `${present[i]}\u0000${present[j]}`;
        const counts = this.pairs.get(pair) ?? [0, 0];
        counts[0]++;
        if (a.startMs < b.endMs && b.startMs < a.endMs) counts[1]++;
        this.pairs.set(pair, counts);
      }
    }
  }

  /** Calls in order of their mean start; calls that usually overlap share a parallel group. */
  groups(): InferredCall[][] {
    const calls = [...this.targets]
      .filter(([, entry]) => entry.seen / this.parents >= MIN_SHARE)
      .sort((a, b) => a[1].offsetMs / a[1].seen - b[1].offsetMs / b[1].seen || a[0].localeCompare(b[0]));
    const groups: InferredCall[][] = [];
    for (const [target, entry] of calls) {
      const call: InferredCall = {
        target,
        probability: Math.min(1, entry.seen / this.parents),
        repeat: Math.max(1, entry.calls / entry.seen),
        seen: entry.seen,
        of: this.parents,
        maxMs: entry.maxMs,
      };
      const current = groups[groups.length - 1];
      if (current && current.every((member) => this.parallel(member.target, target))) current.push(call);
      else groups.push([call]);
    }
    return groups;
  }

  private parallel(a: string, b: string): boolean {
    const counts = this.pairs.get(a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
    return counts !== undefined && counts[1] / counts[0] >= PARALLEL_SHARE;
  }
}

/** A distribution in the model's notation: a constant as a plain number. */
export function modelDistribution(distribution: Distribution): number | Distribution {
  return distribution.kind === 'constant' ? distribution.value : distribution;
}
