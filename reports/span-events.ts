// Places service events on spans for the OTLP export: an event on a node goes to the span of that
// node that was running at that moment and started last (the innermost, usually); an event during
// no span of its node is loose (background work) and is kept per node.
import type { Span, TraceEvent } from '../sim/engine/trace.ts';

/** Spans scanned back from an event's time before giving up on finding one that covers it. */
const MAX_SCAN = 64;

/** Events by the span they happened in, and the loose ones by node, each in time order. */
export function attachEvents(spansByNode: ReadonlyMap<string, readonly Span[]>, events: readonly TraceEvent[]): { bySpan: Map<Span, TraceEvent[]>; orphans: Map<string, TraceEvent[]> } {
  const sorted = new Map<string, Span[]>();
  for (const [node, spans] of spansByNode) sorted.set(node, [...spans].sort((a, b) => a.startMs - b.startMs));
  const bySpan = new Map<Span, TraceEvent[]>();
  const orphans = new Map<string, TraceEvent[]>();
  for (const event of events) {
    const span = coveringSpan(sorted.get(event.node) ?? [], event.atMs);
    if (span) {
      const list = bySpan.get(span);
      if (list) list.push(event);
      else bySpan.set(span, [event]);
    } else {
      const list = orphans.get(event.node);
      if (list) list.push(event);
      else orphans.set(event.node, [event]);
    }
  }
  return { bySpan, orphans };
}

/** The latest-started span with start <= atMs <= end, from spans sorted by start. */
function coveringSpan(spans: readonly Span[], atMs: number): Span | undefined {
  // First index whose start is after atMs.
  let low = 0;
  let high = spans.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (spans[middle]!.startMs <= atMs) low = middle + 1;
    else high = middle;
  }
  for (let index = low - 1, scanned = 0; index >= 0 && scanned < MAX_SCAN; index--, scanned++) {
    if (spans[index]!.endMs >= atMs) return spans[index];
  }
  return undefined;
}
