// Exports a run's spans in the Chrome trace event format, which Perfetto (ui.perfetto.dev) and
// chrome://tracing open: one process per service node, spans as complete ('X') events on lanes so
// overlapping spans never share a thread, RPC hops as flow arrows, faults and service events
// (breaker changes, retries, saga steps, redeliveries, deploys…) as instant ('i') events. Collects while the run streams; memory grows with spans, not with events.
import type { Span, TraceEvent } from '../sim/engine/trace.ts';
import type { TraceExportCollector } from './trace-collector.ts';
import { timelineKinds } from '../sim/harness/timeline.ts';

/** Node-scoped trace kinds shown as instant events on their node's process: node faults and every service event. */
const NODE_FAULT_KINDS = ['node.crash', 'node.restart', 'node.pause', 'node.resume', 'node.slow', 'node.skew'];
/** World-scoped kinds (the event's `node` field holds the fault's description), shown globally. */
const GLOBAL_INSTANT_KINDS = ['fault', 'fault.end'];

/** The trace kinds this collector reads, for `Trace.addFilteredSink`. */
/**
 * Node-scoped instant kinds: node faults and every kind the services registered for timelines
 * (read when a collector is made, after the scenario's modules loaded and registered theirs).
 */
function nodeInstantKinds(): string[] {
  return [...new Set([...NODE_FAULT_KINDS, ...timelineKinds().filter((kind) => !GLOBAL_INSTANT_KINDS.includes(kind))])];
}

/** One Chrome trace event (the fields this exporter writes). */
export interface ChromeTraceEvent {
  name: string;
  ph: 'X' | 'i' | 'M' | 's' | 'f';
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  s?: 'g' | 'p' | 't';
  id?: number;
  bp?: 'e';
  args?: Record<string, unknown>;
}

/** Options of `createChromeTraceCollector`. */
export interface ChromeTraceOptions {
  /** Shown as the trace's title in `otherData` (e.g. `payment-outage seed=42 variant=sync`). */
  label?: string;
}

/** Process id of the world (global fault events); nodes get 1, 2… in order of first appearance. */
const WORLD_PID = 0;

/** Virtual ms → trace µs, kept to the nanosecond. */
function micros(ms: number): number {
  return Math.round(ms * 1_000_000) / 1000;
}

/**
 * Assigns each span of one process a lane (thread id, from 1) so that spans on a lane never
 * overlap: greedy interval partitioning by start time, which uses as few lanes as the busiest
 * moment needs (its worker concurrency, usually).
 */
function assignLanes(spans: readonly Span[]): Map<Span, number> {
  const order = spans
    .map((span, index) => ({ span, index }))
    .sort((a, b) => a.span.startMs - b.span.startMs || b.span.endMs - a.span.endMs || a.index - b.index);
  const laneEndsMs: number[] = [];
  const lanes = new Map<Span, number>();
  for (const { span } of order) {
    let lane = laneEndsMs.findIndex((endMs) => endMs <= span.startMs);
    if (lane === -1) {
      lane = laneEndsMs.length;
      laneEndsMs.push(span.endMs);
    } else {
      laneEndsMs[lane] = span.endMs;
    }
    lanes.set(span, lane + 1);
  }
  return lanes;
}

/** Builds the `traceEvents` array from collected spans and instants. */
function buildEvents(spans: readonly Span[], instants: readonly TraceEvent[], pidOf: Map<string, number>): ChromeTraceEvent[] {
  const events: ChromeTraceEvent[] = [];
  events.push({ name: 'process_name', ph: 'M', pid: WORLD_PID, args: { name: 'world (faults)' } });
  events.push({ name: 'process_sort_index', ph: 'M', pid: WORLD_PID, args: { sort_index: 0 } });
  for (const [service, pid] of pidOf) {
    events.push({ name: 'process_name', ph: 'M', pid, args: { name: service } });
    events.push({ name: 'process_sort_index', ph: 'M', pid, args: { sort_index: pid } });
  }

  const spansByService = new Map<string, Span[]>();
  for (const span of spans) {
    const list = spansByService.get(span.service);
    if (list) list.push(span);
    else spansByService.set(span.service, [span]);
  }
  const laneOf = new Map<Span, number>();
  for (const [service, list] of spansByService) {
    const lanes = assignLanes(list);
    const pid = pidOf.get(service)!;
    const laneCount = Math.max(0, ...lanes.values());
    for (let lane = 1; lane <= laneCount; lane++) events.push({ name: 'thread_name', ph: 'M', pid, tid: lane, args: { name: `lane ${lane}` } });
    for (const [span, lane] of lanes) laneOf.set(span, lane);
  }

  const bySpanId = new Map<string, Span>();
  for (const span of spans) bySpanId.set(`${span.traceId}/${span.spanId}`, span);
  let flowId = 1;
  for (const span of spans) {
    const pid = pidOf.get(span.service)!;
    const tid = laneOf.get(span)!;
    const args: Record<string, unknown> = { traceId: span.traceId, spanId: span.spanId, status: span.status };
    if (span.parentSpanId !== undefined) args.parentSpanId = span.parentSpanId;
    if (span.error !== undefined) args.error = span.error;
    events.push({ name: span.name, cat: span.status === 'ok' ? 'span' : 'span,error', ph: 'X', ts: micros(span.startMs), dur: micros(span.endMs - span.startMs), pid, tid, args });
    const parent = span.parentSpanId !== undefined ? bySpanId.get(`${span.traceId}/${span.parentSpanId}`) : undefined;
    if (parent) {
      // The arrow leaves the parent while it waits (clamped into the parent, which may have given up) and lands on the child.
      const leaveMs = Math.min(Math.max(span.startMs, parent.startMs), parent.endMs);
      const id = flowId++;
      events.push({ name: 'rpc', cat: 'rpc', ph: 's', id, ts: micros(leaveMs), pid: pidOf.get(parent.service)!, tid: laneOf.get(parent)! });
      events.push({ name: 'rpc', cat: 'rpc', ph: 'f', bp: 'e', id, ts: micros(span.startMs), pid, tid });
    }
  }

  for (const event of instants) {
    const global = GLOBAL_INSTANT_KINDS.includes(event.kind);
    const name = global ? `${event.kind}: ${event.node}` : `${event.kind}${event.detail ? `: ${event.detail}` : ''}`;
    const args: Record<string, unknown> = {};
    if (event.detail !== undefined) args.detail = event.detail;
    if (event.peer !== undefined) args.peer = event.peer;
    events.push(global
      ? { name, cat: event.kind, ph: 'i', s: 'g', ts: micros(event.atMs), pid: WORLD_PID, tid: 0, args }
      : { name, cat: event.kind, ph: 'i', s: 'p', ts: micros(event.atMs), pid: pidOf.get(event.node)!, tid: 0, args });
  }
  return events;
}

/**
 * A collector for the Chrome trace format: add `sink` to a run's trace (or `addFilteredSink(kinds,
 * sink)`), run, then `finish()` returns the JSON text `{ traceEvents, displayTimeUnit, otherData }`.
 * Timestamps are virtual time in µs from the start of the run.
 */
export function createChromeTraceCollector(options: ChromeTraceOptions = {}): TraceExportCollector {
  const spans: Span[] = [];
  const instants: TraceEvent[] = [];
  // Process ids in order of first appearance: deterministic because the trace is.
  const pidOf = new Map<string, number>();
  const pid = (service: string): void => {
    if (!pidOf.has(service)) pidOf.set(service, pidOf.size + 1);
  };
  const nodeKinds = new Set(nodeInstantKinds());
  const globalKinds = new Set(GLOBAL_INSTANT_KINDS);
  const sink = (event: TraceEvent): void => {
    if (event.kind === 'span' && event.span) {
      pid(event.span.service);
      spans.push(event.span);
    } else if (nodeKinds.has(event.kind)) {
      pid(event.node);
      instants.push(event);
    } else if (globalKinds.has(event.kind)) {
      instants.push(event);
    }
  };
  return {
    sink,
    kinds: ['span', ...nodeKinds, ...GLOBAL_INSTANT_KINDS],
    get spanCount() {
      return spans.length;
    },
    finish(): string {
      const otherData: Record<string, string> = { exporter: 'dsim', clock: 'virtual time, µs from the start of the run' };
      if (options.label !== undefined) otherData.label = options.label;
      return JSON.stringify({ traceEvents: buildEvents(spans, instants, pidOf), displayTimeUnit: 'ms', otherData });
    },
  };
}
