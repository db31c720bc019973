// The linearizability check a scenario declares: an `always` check over a recorder's history that
// re-searches only the keys whose operations changed since the last sample.
import { always, type Check, type CheckVerdict } from '../../sim/harness/checks.ts';
import { byKey, overflowMessage, type HistoryRecorder } from './history.ts';
import { checkKey, type LinearizabilityOptions } from './linearizability.ts';
import { violationMessage } from './timeline.ts';

/** Options of the `linearizable` check. */
export interface LinearizableCheckOptions extends LinearizabilityOptions {
  /** Check name (default `linearizable`). */
  name?: string;
}

/**
 * Fails when the history of some key has no linearizable order. The message names the smallest
 * set of operations found that cannot be ordered and draws them as a timeline; the failure carries
 * them as a witness for the HTML chart. When a key's search runs out of budget the check fails with
 * "unknown: search budget exhausted", rather than run forever or pass silently.
 *
 * Sampling is sound: a history whose pending operations count as unknown is linearizable whenever
 * the whole history is, so a violation found mid-run stays one.
 */
export function linearizable<S>(history: (system: S) => HistoryRecorder | undefined, options: LinearizableCheckOptions = {}): Check<S> {
  const checkedChanges = new WeakMap<HistoryRecorder, Map<string, number>>();
  return always<S>(options.name ?? 'linearizable', ({ system }): CheckVerdict => {
    const recorder = history(system);
    if (recorder === undefined) return true;
    if (recorder.overflowed) return overflowMessage(recorder);
    let checked = checkedChanges.get(recorder);
    if (checked === undefined) checkedChanges.set(recorder, (checked = new Map()));
    for (const [key, operations] of byKey(recorder.operations)) {
      const changes = recorder.changesOf(key);
      if (checked.get(key) === changes) continue;
      const verdict = checkKey(key, operations, options);
      if (verdict.result === 'unknown') return `unknown: ${verdict.reason} (raise maxSearchSteps)`;
      if (verdict.result === 'violation') {
        const witness = { model: `linearizable register, key ${JSON.stringify(key)}`, operations: recorder.toWitness(verdict.witness) };
        const ids = verdict.witness.map((operation) => `#${operation.id}`).join(', ');
        return { message: violationMessage(`key ${JSON.stringify(key)}: operations ${ids} cannot be put in any order that respects real time and a register's semantics`, witness), witness };
      }
      checked.set(key, changes);
    }
    return true;
  });
}
