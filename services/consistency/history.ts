// Client-side histories of operations on a keyed store: when each operation was invoked and when
// (if ever) it completed, with what outcome and value. Checkers read them from outside the services.
import { RpcError, type RpcErrorCode } from '../../sim/engine/errors.ts';
import type { CallOptions } from '../../sim/world/rpc.ts';
import type { WitnessOperation } from '../../sim/harness/checks.ts';

/** What a client asked of the store. */
export type OperationKind = 'read' | 'write' | 'cas' | 'append';

/**
 * How an operation ended. `ok`: it took effect (a read returned `output`). `fail`: it certainly did
 * not take effect. `unknown`: no answer (timeout, crash) — it may have taken effect at any time
 * after its invocation, or never.
 */
export type Outcome = 'ok' | 'fail' | 'unknown';

/** One operation of a history. Times are true virtual ms (not a node's skewed clock). */
export interface Operation {
  /** Position in the history: operations are numbered in order of invocation. */
  readonly id: number;
  /** The client session that issued it (a Jepsen "process"). */
  readonly process: string;
  readonly kind: OperationKind;
  readonly key: string;
  /** write and append: the value written; cas: the new value. */
  readonly value?: unknown;
  /** cas: the value it expects to replace. */
  readonly expected?: unknown;
  readonly invokeMs: number;
  /** Set at completion; stays undefined for `unknown` and while pending. */
  completeMs?: number;
  /** Undefined while the operation is pending. */
  outcome?: Outcome;
  /** read: the value it returned. */
  output?: unknown;
  /**
   * The version the store reported: the version a write created, the version a read saw. Session
   * guarantees and bounded staleness compare versions; operations without one are not judged.
   */
  version?: number;
}

/** What a client is about to do: an operation without its timing and answer. */
export interface OperationRequest {
  kind: OperationKind;
  key: string;
  value?: unknown;
  expected?: unknown;
}

/** What a store answers to a recorded call. `applied: false` marks a cas that did not match (a `fail`). */
export interface StoreReply {
  value?: unknown;
  version?: number;
  applied?: boolean;
}

/** Options of a recorder. */
export interface HistoryOptions {
  /**
   * Most operations kept (default 100,000). Past the cap the recorder keeps no more and the
   * history checks fail with a message saying so: a silently truncated history would be checked
   * wrongly, so there is no spill.
   */
  maxOperations?: number;
  /** Called with each operation as it completes (or is recorded unknown): stream it to a file or a live checker. */
  onComplete?: (operation: Operation) => void;
}

/** Error codes after which the call certainly did not take effect; every other error is indeterminate. */
const DEFINITE_FAILURES: ReadonlySet<RpcErrorCode> = new Set<RpcErrorCode>(['refused', 'overloaded', 'not-found', 'bad-request', 'unauthorized', 'rate-limited', 'unavailable']);

/** True when an error proves the operation never took effect (see `HistoryRecorder.track`). */
export function isDefiniteFailure(error: unknown, calledNode?: string): boolean {
  if (!(error instanceof RpcError) || !DEFINITE_FAILURES.has(error.code)) return false;
  return calledNode === undefined || error.source === undefined || error.source === calledNode;
}

/** Anything that can make a call: a node context or a request being served. */
export interface Caller {
  call<T = unknown>(to: string, method: string, payload?: unknown, options?: CallOptions): Promise<T>;
}

/**
 * Records a history from the client side. One recorder per run of a variant; give it the world (or
 * anything with the true virtual time). Memory is bounded by `maxOperations`.
 */
export class HistoryRecorder {
  readonly maxOperations: number;
  private readonly list: Operation[] = [];
  private readonly changesByKey = new Map<string, number>();
  private readonly onComplete: ((operation: Operation) => void) | undefined;
  /** Operations refused because the cap was reached. */
  dropped = 0;
  /** Bumped on every invocation and completion: checkers skip work when it has not moved. */
  changes = 0;

  constructor(
    private readonly clock: { readonly nowMs: number },
    options: HistoryOptions = {},
  ) {
    this.maxOperations = options.maxOperations ?? 100_000;
    if (!(Number.isInteger(this.maxOperations) && this.maxOperations > 0)) throw new RangeError(`maxOperations must be a whole number > 0, got ${this.maxOperations}`);
    this.onComplete = options.onComplete;
  }

  /** Records an invocation now; undefined (and counted in `dropped`) once the cap is reached. */
  invoke(process: string, request: OperationRequest): Operation | undefined {
    if (this.list.length >= this.maxOperations) {
      this.dropped++;
      return undefined;
    }
    const operation: Operation = {
      id: this.list.length,
      process,
      kind: request.kind,
      key: request.key,
      ...('value' in request ? { value: request.value } : {}),
      ...('expected' in request ? { expected: request.expected } : {}),
      invokeMs: this.clock.nowMs,
    };
    this.list.push(operation);
    this.touch(operation.key);
    return operation;
  }

  /** Records how an operation ended, now. An `unknown` outcome keeps no completion time. */
  complete(operation: Operation | undefined, outcome: Outcome, answer: { output?: unknown; version?: number } = {}): void {
    if (operation === undefined) return;
    if (operation.outcome !== undefined) throw new Error(`operation ${operation.id} completed twice`);
    operation.outcome = outcome;
    if (outcome !== 'unknown') operation.completeMs = this.clock.nowMs;
    if ('output' in answer) operation.output = answer.output;
    if (answer.version !== undefined) operation.version = answer.version;
    this.touch(operation.key);
    this.onComplete?.(operation);
  }

  /**
   * Runs one client operation and records it: invocation now, completion when `run` settles. A
   * reply with `applied: false` is a `fail`; an RpcError is a `fail` when its code proves the call
   * never took effect (refused, overloaded…) and it came from `calledNode` itself (when given: the
   * same code relayed from a node further down may follow a write that did take effect), otherwise
   * `unknown`. Errors are rethrown.
   */
  async track(process: string, request: OperationRequest, run: () => Promise<StoreReply>, calledNode?: string): Promise<StoreReply> {
    const operation = this.invoke(process, request);
    let reply: StoreReply;
    try {
      reply = await run();
    } catch (error) {
      this.complete(operation, isDefiniteFailure(error, calledNode) ? 'fail' : 'unknown');
      throw error;
    }
    const answer: { output?: unknown; version?: number } = {};
    if (request.kind === 'read') answer.output = reply.value;
    if (reply.version !== undefined) answer.version = reply.version;
    this.complete(operation, reply.applied === false ? 'fail' : 'ok', answer);
    return reply;
  }

  /** Calls `method` on node `to` through `caller` and records it (see `track`). */
  call(caller: Caller, process: string, request: OperationRequest, to: string, method: string, options: CallOptions = {}): Promise<StoreReply> {
    return this.track(process, request, () => caller.call<StoreReply>(to, method, request, options), to);
  }

  /** Every recorded operation, in order of invocation. */
  get operations(): readonly Operation[] {
    return this.list;
  }

  /** True once an operation was refused for the cap: the history is incomplete. */
  get overflowed(): boolean {
    return this.dropped > 0;
  }

  /** How often the operations of `key` changed: unchanged means an earlier verdict still stands. */
  changesOf(key: string): number {
    return this.changesByKey.get(key) ?? 0;
  }

  /** The history for a result or a report (`HistoryWitness.operations` shape), on demand. */
  toWitness(operations: readonly Operation[] = this.list): WitnessOperation[] {
    return operations.map(witnessOperation);
  }

  private touch(key: string): void {
    this.changes++;
    this.changesByKey.set(key, (this.changesByKey.get(key) ?? 0) + 1);
  }
}

/** The message a history check gives when the recorder's cap cut the history short. */
export function overflowMessage(recorder: HistoryRecorder): string {
  return `the history reached its cap of ${recorder.maxOperations} operations (${recorder.dropped} more not recorded): raise maxOperations or send fewer requests`;
}

/** Groups operations by key, keeping the order of invocation within each key. */
export function byKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const groups = new Map<string, Operation[]>();
  for (const operation of operations) {
    let group = groups.get(operation.key);
    if (group === undefined) groups.set(operation.key, (group = []));
    group.push(operation);
  }
  return groups;
}

/** A short text for an operation and its answer: `write 3`, `read → 2`, `cas 1→4`, `append 7`. */
export function describeOperation(operation: Operation): string {
  const text = (value: unknown): string => (value === undefined || value === null ? 'nil' : JSON.stringify(value));
  const version = operation.version !== undefined ? ` @v${operation.version}` : '';
  switch (operation.kind) {
    case 'read':
      return operation.outcome === 'ok' ? `read → ${text(operation.output)}${version}` : 'read';
    case 'write':
      return `write ${text(operation.value)}${version}`;
    case 'cas':
      return `cas ${text(operation.expected)}→${text(operation.value)}${version}`;
    case 'append':
      return `append ${text(operation.value)}${version}`;
  }
}

function witnessOperation(operation: Operation): WitnessOperation {
  return {
    id: operation.id,
    process: operation.process,
    kind: operation.kind,
    key: operation.key,
    text: describeOperation(operation),
    invokeMs: operation.invokeMs,
    ...(operation.completeMs !== undefined ? { completeMs: operation.completeMs } : {}),
    outcome: operation.outcome ?? 'unknown',
  };
}

/** Makes an operation by hand, for fixtures and tests: `op(0, 'p1', 'write', 'x', { value: 1 }, 0, 10)`. */
export function op(
  id: number,
  process: string,
  kind: OperationKind,
  key: string,
  fields: { value?: unknown; expected?: unknown; output?: unknown; version?: number; outcome?: Outcome },
  invokeMs: number,
  completeMs?: number,
): Operation {
  const outcome = fields.outcome ?? (completeMs === undefined ? 'unknown' : 'ok');
  return {
    id,
    process,
    kind,
    key,
    ...('value' in fields ? { value: fields.value } : {}),
    ...('expected' in fields ? { expected: fields.expected } : {}),
    ...('output' in fields ? { output: fields.output } : {}),
    ...(fields.version !== undefined ? { version: fields.version } : {}),
    invokeMs,
    ...(completeMs !== undefined && outcome !== 'unknown' ? { completeMs } : {}),
    outcome,
  };
}
