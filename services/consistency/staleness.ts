// Bounded staleness, e.g. of a CQRS read model: every read reflects every write acknowledged more
// than `boundMs` before the read was invoked. Judged per key on the versions the store reported.
import { always, type Check, type CheckVerdict } from '../../sim/harness/checks.ts';
import { overflowMessage, describeOperation, type HistoryRecorder, type Operation } from './history.ts';
import { violationMessage } from './timeline.ts';

/** A read that missed a write older than the bound. */
export interface StalenessViolation {
  write: Operation;
  read: Operation;
  /** How long before the read's invocation the write was acknowledged, ms. */
  ageMs: number;
  message: string;
}

/**
 * Finds the first read (by invocation) that returned a version older than a write acknowledged
 * more than `boundMs` before the read began. Only ok operations with versions are judged.
 */
export function findStaleRead(operations: readonly Operation[], boundMs: number): StalenessViolation | undefined {
  if (!(boundMs >= 0)) throw new RangeError(`boundMs must be >= 0, got ${boundMs}`);
  const effective = operations.filter((operation) => operation.outcome === 'ok' && operation.version !== undefined);
  const writes = effective.filter((operation) => operation.kind !== 'read').sort((a, b) => a.completeMs! - b.completeMs! || a.id - b.id);
  const reads = effective.filter((operation) => operation.kind === 'read').sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id);
  /** Per key: the highest-version write acknowledged before the current read's horizon. */
  const newest = new Map<string, Operation>();
  let next = 0;
  for (const read of reads) {
    const horizonMs = read.invokeMs - boundMs;
    for (; next < writes.length && writes[next]!.completeMs! < horizonMs; next++) {
      const write = writes[next]!;
      const current = newest.get(write.key);
      if (current === undefined || write.version! > current.version!) newest.set(write.key, write);
    }
    const write = newest.get(read.key);
    if (write !== undefined && read.version! < write.version!) {
      const ageMs = read.invokeMs - write.completeMs!;
      const message = `bounded staleness (${boundMs} ms): key ${JSON.stringify(read.key)}: #${read.id} ${describeOperation(read)} missed #${write.id} ${describeOperation(write)}, acknowledged ${Math.round(ageMs)} ms before the read`;
      return { write, read, ageMs, message };
    }
  }
  return undefined;
}

/** A check that every read reflects every write acknowledged more than `boundMs` before it. */
export function boundedStaleness<S>(history: (system: S) => HistoryRecorder | undefined, options: { boundMs: number; name?: string }): Check<S> {
  const checkedAt = new WeakMap<HistoryRecorder, number>();
  return always<S>(options.name ?? `reads at most ${options.boundMs} ms stale`, ({ system }): CheckVerdict => {
    const recorder = history(system);
    if (recorder === undefined || checkedAt.get(recorder) === recorder.changes) return true;
    if (recorder.overflowed) return overflowMessage(recorder);
    const violation = findStaleRead(recorder.operations, options.boundMs);
    if (violation === undefined) {
      checkedAt.set(recorder, recorder.changes);
      return true;
    }
    const witness = { model: `bounded staleness (${options.boundMs} ms)`, operations: recorder.toWitness([violation.write, violation.read]) };
    return { message: violationMessage(violation.message, witness), witness };
  });
}
