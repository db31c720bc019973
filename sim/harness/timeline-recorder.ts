// A run's timeline of state changes (faults, crashes, and whatever kinds the services registered)
// for charts and the JSON result. Bounded per kind, so a chatty kind cannot crowd out a rare one
// that a chart needs.
import type { TraceEvent } from '../engine/trace.ts';
import type { TimelineEntry } from './result.ts';

/** Most entries kept of one kind. */
export const MAX_TIMELINE_ENTRIES_PER_KIND = 1000;
/** Most entries kept in all. */
export const MAX_TIMELINE_ENTRIES = 10_000;

/** Collects timeline entries from a filtered trace sink, in trace order. */
export class TimelineRecorder {
  readonly entries: TimelineEntry[] = [];
  private readonly perKind = new Map<string, number>();

  /** The trace sink (`trace.addFilteredSink(TIMELINE_KINDS, recorder.sink)`). */
  readonly sink = (event: TraceEvent): void => {
    const count = this.perKind.get(event.kind) ?? 0;
    if (count >= MAX_TIMELINE_ENTRIES_PER_KIND || this.entries.length >= MAX_TIMELINE_ENTRIES) return;
    this.perKind.set(event.kind, count + 1);
    this.entries.push({ atMs: event.atMs, kind: event.kind, node: event.node, detail: event.detail ?? event.peer ?? '' });
  };
}
