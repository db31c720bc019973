// Trace kinds that fail a run when they occur: a component that gave up on a bounded loop (a retry
// that ran out) says so with an event, and the run reports it as a failure of the kind registered,
// with the event's node and detail as the message. Services register their kinds at module load.
import type { FailureKind } from './checks.ts';
import type { TraceKind } from '../engine/trace-kinds.ts';

const kinds = new Map<string, FailureKind>();

/** Makes every later run report events of these kinds as failures of `kind`. Registering twice is harmless. */
export function registerFailureEvents(kind: FailureKind, ...eventKinds: TraceKind[]): void {
  for (const eventKind of eventKinds) kinds.set(eventKind, kind);
}

/** The registered event kinds and the failure each one is. */
export function failureEvents(): ReadonlyMap<string, FailureKind> {
  return kinds;
}
