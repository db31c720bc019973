// Reads an OTLP JSON trace export (an ExportTraceServiceRequest: what `sim run --otlp` writes, and
// what Jaeger and Tempo export) into flat spans. Anything else is one ConfigError line.
import { ConfigError } from '../sim/index.ts';

/** One span as the model derivation needs it: times in ms from the earliest span. */
export interface TraceSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  /** The emitting node (`service.name` of the resource): an instance such as `orders-2`. */
  node: string;
  /** The operation: `http.route` when the span carries it, else the span name. */
  name: string;
  startMs: number;
  endMs: number;
  error: boolean;
  /**
   * The OTLP span kind: 2 server (and 0 unspecified) is work a service does for a caller; 3 client,
   * 4 producer and 1 internal are steps inside it; 5 consumer is work triggered by a message.
   */
  kind: number;
  /** The messaging destination of a producer or consumer span, when it names one. */
  topic?: string;
}

/** Most spans read (a limit on input: the derivation holds them all in memory). */
export const MAX_SPANS = 2_000_000;

interface OtlpAttribute {
  key?: unknown;
  value?: { stringValue?: unknown };
}

const attributeOf = (attributes: unknown, key: string): string | undefined => {
  if (!Array.isArray(attributes)) return undefined;
  const found = (attributes as OtlpAttribute[]).find((attribute) => attribute?.key === key);
  const value = found?.value?.stringValue;
  return typeof value === 'string' ? value : undefined;
};

/** Span kinds as some exporters spell them in JSON. */
const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

/** Parses OTLP JSON text; `file` names it in errors. */
export function readOtlp(text: string, file: string): TraceSpan[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not OTLP JSON: it does not parse as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const resourceSpans = (data as { resourceSpans?: unknown } | null)?.resourceSpans;
  if (data === null || typeof data !== 'object' || !Array.isArray(resourceSpans)) {
    throw new ConfigError(`${file} is not OTLP JSON: expected an object with "resourceSpans" (an OTLP trace export, e.g. from sim run --otlp or Jaeger)`);
  }
  const raw: { span: Record<string, unknown>; node: string }[] = [];
  resourceSpans.forEach((resource: { resource?: { attributes?: unknown }; scopeSpans?: unknown; instrumentationLibrarySpans?: unknown }, index: number) => {
    const node = attributeOf(resource?.resource?.attributes, 'service.name');
    const scopes = resource?.scopeSpans ?? resource?.instrumentationLibrarySpans;
    if (!Array.isArray(scopes)) throw new ConfigError(`${file} is not OTLP JSON: resourceSpans[${index}] has no "scopeSpans" list`);
    for (const scope of scopes as { spans?: unknown }[]) {
      if (!Array.isArray(scope?.spans)) continue;
      for (const span of scope.spans as Record<string, unknown>[]) {
        if (raw.length >= MAX_SPANS) throw new ConfigError(`${file} has more than ${MAX_SPANS} spans: export a shorter window`);
        raw.push({ span, node: node ?? 'unknown' });
      }
    }
  });
  if (raw.length === 0) throw new ConfigError(`${file} is OTLP but holds no spans: export traces from a run with traffic (sim run --otlp FILE)`);
  let originNs: bigint | undefined;
  const parsed = raw.map(({ span, node }, index) => {
    const traceId = span.traceId;
    const spanId = span.spanId;
    if (typeof traceId !== 'string' || typeof spanId !== 'string' || typeof span.name !== 'string') {
      throw new ConfigError(`${file}: span #${index + 1} lacks traceId, spanId or name: not an OTLP span`);
    }
    const start = nanos(span.startTimeUnixNano, file, index);
    const end = nanos(span.endTimeUnixNano, file, index);
    if (originNs === undefined || start < originNs) originNs = start;
    const status = span.status as { code?: unknown } | undefined;
    const error = status?.code === 2 || status?.code === 'STATUS_CODE_ERROR';
    const parent = typeof span.parentSpanId === 'string' && span.parentSpanId !== '' ? span.parentSpanId : undefined;
    const name = attributeOf(span.attributes, 'http.route') ?? span.name;
    const kind = typeof span.kind === 'number' ? span.kind : SPAN_KINDS[String(span.kind)] ?? 0;
    const topic = attributeOf(span.attributes, 'messaging.destination.name') ?? attributeOf(span.attributes, 'messaging.destination');
    return { traceId, spanId, parentSpanId: parent, node, name, start, end, error, kind, ...(topic !== undefined ? { topic } : {}) };
  });
  const origin = originNs!;
  return parsed.map(({ start, end, ...rest }) => ({ ...rest, startMs: Number(start - origin) / 1e6, endMs: Number(end - origin) / 1e6 }));
}

function nanos(value: unknown, file: string, index: number): bigint {
  if ((typeof value === 'string' && /^\d+$/.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value))) return BigInt(value);
  throw new ConfigError(`${file}: span #${index + 1} has no valid startTimeUnixNano/endTimeUnixNano (a decimal string of nanoseconds)`);
}
