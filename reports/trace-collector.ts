// The shape every trace export shares: a streaming collector fed by a run's trace sink.
import type { TraceSink } from '../sim/engine/trace.ts';

/** A trace export being collected during one run. */
export interface TraceExportCollector {
  /** Add to the run's trace (`trace.addSink(sink)`, or `trace.addFilteredSink(kinds, sink)`, which is cheaper). */
  sink: TraceSink;
  /** The only event kinds the sink reads. */
  kinds: readonly string[];
  /** Spans collected so far. */
  readonly spanCount: number;
  /** The export as JSON text; call after the run. May be called more than once. */
  finish(): string;
}
