// The wire format of RPC and one-way messages, and the server-side view of one request.
import { RpcError, type RpcErrorCode } from '../engine/errors.ts';

/** Options of one remote call. */
export interface CallOptions {
  /** Give up after this many virtual ms (default: the node's `defaultTimeoutMs`). */
  timeoutMs?: number;
  /** Absolute true virtual time after which the answer is useless; tightens `timeoutMs`. */
  deadlineMs?: number;
  /** Trace to join; a new trace starts when absent. */
  traceId?: string;
  /** Parent span, for the callee's span. */
  parentSpanId?: string;
}

/** A request on the wire. */
export interface RequestBody {
  type: 'request';
  callId: number;
  method: string;
  payload: unknown;
  deadlineMs: number;
  traceId: string;
  parentSpanId: string | undefined;
}

/** A response on the wire: a value, or a typed error. */
export interface ResponseBody {
  type: 'response';
  callId: number;
  ok: boolean;
  value: unknown;
  errorCode: RpcErrorCode | undefined;
  errorMessage: string | undefined;
}

/** A one-way message on the wire. */
export interface MessageBody {
  type: 'message';
  payload: unknown;
  traceId: string | undefined;
}

/** Anything a node may receive. */
export type WireBody = RequestBody | ResponseBody | MessageBody;

/** What a caller learns at the end of a call: exactly one of these, exactly once. */
export type CallOutcome =
  | { ok: true; value: unknown }
  | { ok: false; code: RpcErrorCode; message: string; source: string | undefined };

/** The typed error a failed call's outcome becomes at the caller's `await`. */
export function outcomeError(outcome: Extract<CallOutcome, { ok: false }>): RpcError {
  return new RpcError(outcome.code as RpcErrorCode, outcome.message, outcome.source);
}
