// Names in traces as a model spells them: instance nodes to services, spans to `service.operation`.
import type { TraceSpan } from './otlp-read.ts';

/** Names a compiled model gives its own nodes: a traced service of that name is renamed. */
const RESERVED = new Set(['registry', 'gateway', 'broker']);

/** `orders-2` → `orders`; names made safe for a model's service keys (a traced `gateway` becomes `gateway-service`). */
export function serviceOfNode(node: string): string {
  const cleaned = node.replace(/[^a-z0-9_-]/gi, '-').replace(/^[^a-z]+/i, '') || 'service';
  const service = cleaned.replace(/-\d+$/, '') || cleaned;
  return RESERVED.has(service) ? `${service}-service` : service;
}

/** `service.operation` of a span. */
export const operationOf = (span: TraceSpan): string => `${serviceOfNode(span.node)}.${span.name}`;
