// Consistency you can check: record client-side histories of a keyed store, then check them for
// linearizability, session guarantees and bounded staleness, as checks a scenario declares.
export { HistoryRecorder, byKey, describeOperation, isDefiniteFailure, op, overflowMessage } from './history.ts';
export type { Caller, HistoryOptions, Operation as HistoryOperation, OperationKind, OperationRequest, Outcome, StoreReply } from './history.ts';
export { checkKey, checkLinearizable, searchKey, type LinearizabilityOptions, type LinearizabilityResult, type SearchResult } from './linearizability.ts';
export { linearizable, type LinearizableCheckOptions } from './linearizable-check.ts';
export {
  findSessionViolation, sessionGuarantee, readYourWrites, monotonicReads, monotonicWrites, writesFollowReads,
  type SessionGuarantee, type SessionViolation,
} from './session-guarantees.ts';
export { boundedStaleness, findStaleRead, type StalenessViolation } from './staleness.ts';
export { renderTimeline, violationMessage } from './timeline.ts';
export * from './replicated-kv.ts';
