// Exports a run's spans as OTLP JSON (an ExportTraceServiceRequest), which Jaeger imports and any
// OpenTelemetry collector accepts: one resource per service node (`service.name`), ids mapped to
// fixed-width hex, virtual time placed on a fixed wall-clock epoch; service events (breaker
// changes, retries, saga steps…) as span events. Memory grows with spans and service events.
import type { Span, TraceEvent } from '../sim/engine/trace.ts';
import type { TraceExportCollector } from './trace-collector.ts';
import { namespacedTraceId, toHexId } from './trace-ids.ts';
import { timelineKinds } from '../sim/harness/timeline.ts';
import { attachEvents } from './span-events.ts';

/** The epoch virtual time 0 is placed at: 2030-01-01T00:00:00Z, the same as the run's guarded `Date.now()`. */
export const DEFAULT_EPOCH_MS = Date.UTC(2030, 0, 1);

/** OTLP enum values (JSON encoding uses the integers). */
const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_SERVER = 2;
const STATUS_CODE_OK = 1;
const STATUS_CODE_ERROR = 2;

/** Options of `createOtlpCollector`. */
export interface OtlpOptions {
  /** Wall-clock ms that virtual time 0 maps to (default 2030-01-01, as inside runs). */
  epochMs?: number;
  /**
   * Names the run (e.g. `payment-outage/sync/42`): its hash fills the upper half of every trace id,
   * so traces of different runs imported into one Jaeger never merge. Without it the upper half is zero.
   */
  namespace?: string;
  /** Instrumentation scope name (default `dsim`). */
  scopeName?: string;
}

/** An OTLP key/value attribute. */
interface OtlpAttribute {
  key: string;
  value: { stringValue: string };
}

/** One OTLP span as written. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status: { code: number; message?: string };
  /** Service events (breaker changes, retries, saga steps…) that happened on the node during the span. */
  events?: OtlpSpanEvent[];
}

/** One OTLP span event. */
export interface OtlpSpanEvent {
  timeUnixNano: string;
  name: string;
  attributes: OtlpAttribute[];
}

const attribute = (key: string, value: string): OtlpAttribute => ({ key, value: { stringValue: value } });

/** Virtual ms → Unix ns as a decimal string (OTLP JSON writes 64-bit integers as strings). */
function unixNanos(epochMs: number, virtualMs: number): string {
  return (BigInt(Math.round(epochMs)) * 1_000_000n + BigInt(Math.round(virtualMs * 1_000_000))).toString();
}

/**
 * A collector for OTLP JSON: add `sink` to a run's trace, run, then `finish()` returns the JSON
 * text `{ resourceSpans: [{ resource, scopeSpans: [{ scope, spans }] }] }`. Trace ids are 32 hex
 * digits, span ids 16; the simulator's own ids stay on each span as `dsim.trace_id`/`dsim.span_id`.
 */
export function createOtlpCollector(options: OtlpOptions = {}): TraceExportCollector {
  const epochMs = options.epochMs ?? DEFAULT_EPOCH_MS;
  const scope = { name: options.scopeName ?? 'dsim' };
  const traceIdOf = (id: string): string => (options.namespace !== undefined ? namespacedTraceId(id, options.namespace) : toHexId(id, 32));
  // Spans grouped by service, services in order of first appearance.
  const byService = new Map<string, Span[]>();
  const serviceEvents: TraceEvent[] = [];
  // What the services did: every kind they registered for timelines (read when the collector is
  // made, after the scenario's modules loaded and registered theirs).
  const serviceEventKinds = timelineKinds().filter((kind) => !kind.startsWith('fault') && !kind.startsWith('node.'));
  const eventKinds = new Set(serviceEventKinds);
  let spanCount = 0;
  const sink = (event: TraceEvent): void => {
    if (eventKinds.has(event.kind)) {
      serviceEvents.push(event);
      if (!byService.has(event.node)) byService.set(event.node, []);
      return;
    }
    if (event.kind !== 'span' || !event.span) return;
    const span = event.span;
    const list = byService.get(span.service);
    if (list) list.push(span);
    else byService.set(span.service, [span]);
    spanCount++;
  };
  const toEvent = (event: TraceEvent): OtlpSpanEvent => ({
    timeUnixNano: unixNanos(epochMs, event.atMs),
    name: event.kind,
    attributes: [...(event.detail !== undefined ? [attribute('dsim.detail', event.detail)] : []), ...(event.peer !== undefined ? [attribute('dsim.peer', event.peer)] : [])],
  });
  const toOtlp = (span: Span): OtlpSpan => {
    const out: OtlpSpan = {
      traceId: traceIdOf(span.traceId),
      spanId: toHexId(span.spanId, 16),
      name: span.name,
      kind: SPAN_KIND_SERVER,
      startTimeUnixNano: unixNanos(epochMs, span.startMs),
      endTimeUnixNano: unixNanos(epochMs, span.endMs),
      attributes: [attribute('dsim.trace_id', span.traceId), attribute('dsim.span_id', span.spanId)],
      status: span.status === 'ok' ? { code: STATUS_CODE_OK } : { code: STATUS_CODE_ERROR, ...(span.error !== undefined ? { message: span.error } : {}) },
    };
    if (span.parentSpanId !== undefined) out.parentSpanId = toHexId(span.parentSpanId, 16);
    if (span.error !== undefined) out.attributes.push(attribute('error.type', span.error));
    return out;
  };
  return {
    sink,
    kinds: ['span', ...serviceEventKinds],
    get spanCount() {
      return spanCount;
    },
    finish(): string {
      const { bySpan, orphans } = attachEvents(byService, serviceEvents);
      const resourceSpans = [...byService].map(([service, spans]) => {
        const out = spans.map((span) => {
          const otlp = toOtlp(span);
          const events = bySpan.get(span);
          if (events) otlp.events = events.map(toEvent);
          return otlp;
        });
        // Events outside every span of the node (background work: heartbeats, breaker probes, a
        // broker's redeliveries) go on one internal span per node covering them.
        const loose = orphans.get(service);
        if (loose && loose.length > 0) {
          out.push({
            traceId: traceIdOf(`events:${service}`),
            spanId: toHexId(`events:${service}`, 16),
            name: `${service} events`,
            kind: SPAN_KIND_INTERNAL,
            startTimeUnixNano: unixNanos(epochMs, loose[0]!.atMs),
            endTimeUnixNano: unixNanos(epochMs, loose.at(-1)!.atMs),
            attributes: [attribute('dsim.node', service)],
            status: { code: STATUS_CODE_OK },
            events: loose.map(toEvent),
          });
        }
        return { resource: { attributes: [attribute('service.name', service), attribute('telemetry.sdk.name', 'dsim')] }, scopeSpans: [{ scope, spans: out }] };
      });
      return JSON.stringify({ resourceSpans });
    },
  };
}
