// The asynchronous part of a traced architecture, from OpenTelemetry's messaging spans: which
// operations publish to which topic (a producer span inside them) and which services consume it
// (a consumer span, which runs as an operation of its service).
import type { TraceSpan } from './otlp-read.ts';
import { operationOf, serviceOfNode } from './trace-names.ts';

export const SPAN_KIND_PRODUCER = 4;
export const SPAN_KIND_CONSUMER = 5;

/** One topic an operation publishes to, and in how many of its spans. */
export interface InferredPublish {
  topic: string;
  probability: number;
  seen: number;
  of: number;
}

/** Publishes per operation (`service.operation`), and per service the operation each topic runs. */
export interface Messaging {
  publishes: Map<string, InferredPublish[]>;
  subscriptions: Map<string, Map<string, string>>;
}

/**
 * Reads publishes and subscriptions from producer and consumer spans. `operationSpanOf` finds the
 * operation span a producer span is part of; `spansOf` counts an operation's spans.
 */
export function inferMessaging(
  spans: readonly TraceSpan[],
  byKey: ReadonlyMap<string, TraceSpan>,
  operationSpanOf: (span: TraceSpan) => TraceSpan | undefined,
  spansOf: (operation: string) => number,
): Messaging {
  // operation → topic → the operation spans that published to it (a span publishing twice counts once).
  const published = new Map<string, Map<string, Set<string>>>();
  const subscriptions: Messaging['subscriptions'] = new Map();
  for (const span of spans) {
    if (span.kind === SPAN_KIND_PRODUCER) {
      const holder = operationSpanOf(span);
      if (holder === undefined) continue;
      const topic = span.topic ?? span.name;
      const byTopic = published.get(operationOf(holder)) ?? new Map<string, Set<string>>();
      byTopic.set(topic, (byTopic.get(topic) ?? new Set()).add(holder.spanId));
      published.set(operationOf(holder), byTopic);
    } else if (span.kind === SPAN_KIND_CONSUMER) {
      const producer = span.parentSpanId !== undefined ? byKey.get(`${span.traceId}/${span.parentSpanId}`) : undefined;
      const topic = span.topic ?? producer?.topic ?? producer?.name ?? span.name;
      const service = serviceOfNode(span.node);
      const topics = subscriptions.get(service) ?? new Map<string, string>();
      // A topic runs one operation per service: the first seen.
      if (!topics.has(topic)) topics.set(topic, span.name);
      subscriptions.set(service, topics);
    }
  }
  const publishes: Messaging['publishes'] = new Map();
  for (const [operation, byTopic] of published) {
    const of = spansOf(operation);
    publishes.set(
      operation,
      [...byTopic].map(([topic, holders]) => ({ topic, seen: holders.size, of, probability: Math.min(1, holders.size / Math.max(1, of)) })),
    );
  }
  return { publishes, subscriptions };
}
