// Which trace kinds a result keeps in its timeline (the state changes reports draw). The engine
// and the harness register their own here; each service registers its kinds when its module loads,
// so the harness never needs to know which services exist.
import type { TraceKind } from '../engine/trace-kinds.ts';

/** The engine's and harness's own state changes: faults and node lifecycle. */
const kinds = new Set<string>(['fault', 'fault.end', 'node.crash', 'node.restart', 'node.pause', 'node.resume']);

/**
 * Adds trace kinds to every later run's timeline. Services call it at module load with the kinds
 * they emit for state changes a reader wants to see on a chart (a component changing state, a rollout).
 * Registering a kind twice is harmless.
 */
export function registerTimelineKinds(...added: TraceKind[]): void {
  for (const kind of added) kinds.add(kind);
}

/** The kinds registered so far, in registration order. */
export function timelineKinds(): readonly string[] {
  return [...kinds];
}
