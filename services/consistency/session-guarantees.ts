// Session guarantees (Terry et al., "Session Guarantees for Weakly Consistent Replicated Data",
// 1994), judged per session and key on the versions the store reported. Within a session, `a`
// precedes `b` when `a` completed before `b` was invoked; overlapping operations are not ordered.
import { always, type Check, type CheckVerdict } from '../../sim/harness/checks.ts';
import { overflowMessage, describeOperation, type HistoryRecorder, type Operation } from './history.ts';
import { violationMessage } from './timeline.ts';

/** The four guarantees. */
export type SessionGuarantee = 'read-your-writes' | 'monotonic-reads' | 'monotonic-writes' | 'writes-follow-reads';

/** A broken guarantee: the earlier operation and the later one that contradicts it. */
export interface SessionViolation {
  guarantee: SessionGuarantee;
  earlier: Operation;
  later: Operation;
  message: string;
}

/** Which earlier operations bind which later ones, and how their versions must compare. */
const RULES: Record<SessionGuarantee, { earlier: 'read' | 'write'; later: 'read' | 'write'; strict: boolean; rule: string }> = {
  'read-your-writes': { earlier: 'write', later: 'read', strict: false, rule: 'a read must see the session\'s earlier writes' },
  'monotonic-reads': { earlier: 'read', later: 'read', strict: false, rule: 'a read must not see an older version than an earlier read' },
  'monotonic-writes': { earlier: 'write', later: 'write', strict: true, rule: 'a write must be ordered after the session\'s earlier writes' },
  'writes-follow-reads': { earlier: 'read', later: 'write', strict: true, rule: 'a write must be ordered after the versions the session read' },
};

/** Effective operations with a version: ok reads, ok writes, applied cas and appends. */
function role(operation: Operation): 'read' | 'write' | undefined {
  if (operation.outcome !== 'ok' || operation.version === undefined) return undefined;
  return operation.kind === 'read' ? 'read' : 'write';
}

/**
 * Finds the first violation of `guarantee` in a history (in order of the later operation's
 * completion), or undefined. Operations without a version, failed or unanswered, are not judged.
 * Per session and key: versions are per key, so guarantees across keys are not checked.
 */
export function findSessionViolation(operations: readonly Operation[], guarantee: SessionGuarantee): SessionViolation | undefined {
  const rule = RULES[guarantee];
  // Sweep events in time order; at a tie an invocation comes first (tied operations are concurrent).
  type Event = { atMs: number; invoke: boolean; operation: Operation };
  const events: Event[] = [];
  for (const operation of operations) {
    const kind = role(operation);
    if (kind === undefined) continue;
    if (kind === rule.later) events.push({ atMs: operation.invokeMs, invoke: true, operation });
    if (kind === rule.earlier || kind === rule.later) events.push({ atMs: operation.completeMs!, invoke: false, operation });
  }
  events.sort((a, b) => a.atMs - b.atMs || Number(b.invoke) - Number(a.invoke) || a.operation.id - b.operation.id);
  /** Per session and key: the earlier operation with the highest version completed so far. */
  const highest = new Map<string, Operation>();
  /** What each later operation must reach, fixed when it was invoked. */
  const bound = new Map<Operation, Operation>();
  const slot = (operation: Operation): string => `${operation.process}\u0000${operation.key}`;
  for (const event of events) {
    const { operation } = event;
    if (event.invoke) {
      const earlier = highest.get(slot(operation));
      if (earlier !== undefined) bound.set(operation, earlier);
      continue;
    }
    const earlier = bound.get(operation);
    if (earlier !== undefined && role(operation) === rule.later) {
      const ok = rule.strict ? operation.version! > earlier.version! : operation.version! >= earlier.version!;
      if (!ok) {
        const message = `${guarantee}: session ${operation.process}, key ${JSON.stringify(operation.key)}: #${operation.id} ${describeOperation(operation)} after #${earlier.id} ${describeOperation(earlier)} (${rule.rule})`;
        return { guarantee, earlier, later: operation, message };
      }
    }
    if (role(operation) === rule.earlier) {
      const current = highest.get(slot(operation));
      if (current === undefined || operation.version! > current.version!) highest.set(slot(operation), operation);
    }
  }
  return undefined;
}

/** A check that one session guarantee holds over a recorder's history. */
export function sessionGuarantee<S>(guarantee: SessionGuarantee, history: (system: S) => HistoryRecorder | undefined, options: { name?: string } = {}): Check<S> {
  const checkedAt = new WeakMap<HistoryRecorder, number>();
  return always<S>(options.name ?? guarantee, ({ system }): CheckVerdict => {
    const recorder = history(system);
    if (recorder === undefined || checkedAt.get(recorder) === recorder.changes) return true;
    if (recorder.overflowed) return overflowMessage(recorder);
    const violation = findSessionViolation(recorder.operations, guarantee);
    if (violation === undefined) {
      checkedAt.set(recorder, recorder.changes);
      return true;
    }
    const witness = { model: guarantee, operations: recorder.toWitness([violation.earlier, violation.later]) };
    return { message: violationMessage(violation.message, witness), witness };
  });
}

/** Read-your-writes: a session's read sees every write the session completed before it. */
export const readYourWrites = <S>(history: (system: S) => HistoryRecorder | undefined, options: { name?: string } = {}): Check<S> =>
  sessionGuarantee('read-your-writes', history, options);

/** Monotonic reads: a session never reads an older version of a key than it read before. */
export const monotonicReads = <S>(history: (system: S) => HistoryRecorder | undefined, options: { name?: string } = {}): Check<S> =>
  sessionGuarantee('monotonic-reads', history, options);

/** Monotonic writes: a session's writes to a key take effect in the order the session made them. */
export const monotonicWrites = <S>(history: (system: S) => HistoryRecorder | undefined, options: { name?: string } = {}): Check<S> =>
  sessionGuarantee('monotonic-writes', history, options);

/** Writes-follow-reads: a session's write to a key is ordered after every version of it the session read. */
export const writesFollowReads = <S>(history: (system: S) => HistoryRecorder | undefined, options: { name?: string } = {}): Check<S> =>
  sessionGuarantee('writes-follow-reads', history, options);
