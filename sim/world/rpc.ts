// The RPC path's one envelope: a call travels to its callee and back as the same record, which
// carries the call, the caller's side of it and its outcome; plus deadline tightening, in one place.
import { RpcError, type RpcErrorCode } from '../engine/errors.ts';
import type { TraceIdKey } from '../engine/trace.ts';
import type { DeadlineLine } from './deadline-line.ts';

/** Options of one remote call. */
export interface CallOptions {
  /** Give up after this many virtual ms (default: the node's `defaultTimeoutMs`). */
  timeoutMs?: number;
  /** Absolute true virtual time after which the answer is useless; tightens `timeoutMs`. */
  deadlineMs?: number;
  /** Trace to join; a new trace starts when absent. */
  traceId?: string;
  /** @internal The parent span as the engine numbers it (passed on without making its text). */
  parentSpanKey?: TraceIdKey;
  /** @internal The trace to join as the engine numbers it (a request's own, passed on without making its text). */
  traceKey?: TraceIdKey;
  /** Parent span, for the callee's span. */
  parentSpanId?: string;
  /**
   * @internal A count of calls in flight (a service client's, per instance) that the caller raised
   * for this call: the context lowers it as the call settles, before the call's promise reactions
   * run. A call refused at once (no call made: `callsInFlight` did not grow) leaves it to the caller.
   */
  inFlight?: InFlightCount;
}

/** Something that counts its calls in flight (a service instance, as a client sees it). */
export interface InFlightCount {
  inFlight: number;
}

/** The caller's end of a call: the context that made it and settles it. */
export interface CallSettler {
  /** The answer came back: settle the call with the outcome it carries. */
  receiveResponse(response: RpcCall): void;
}

/**
 * One call and its outcome, end to end: the caller fills the call, the callee (or the engine, for a
 * refusal) fills the outcome, and the same record travels back as the response. The caller keeps it
 * as its pending entry and timeout argument, so a call costs one record, not one per stage.
 * Implemented by `Request` (node.ts), which is also the callee's view of it.
 */
export interface RpcCall {
  readonly callId: number;
  /** The calling node, or `client` for workload traffic. */
  readonly from: string;
  readonly to: string;
  readonly method: string;
  readonly payload: unknown;
  /** Absolute true virtual time after which the caller no longer waits. */
  readonly deadlineMs: number;
  readonly traceId: string;
  readonly parentSpanId: string | undefined;

  // The outcome, written once by whoever answers.
  ok: boolean;
  value: unknown;
  code: RpcErrorCode | undefined;
  message: string | undefined;
  /** Where a failure came from (the node that threw, or the one that refused). */
  source: string | undefined;

  // The caller's side.
  caller: CallSettler | undefined;
  resolve: ((value: unknown) => void) | undefined;
  reject: ((error: RpcError) => void) | undefined;
  timerHandle: number;
  /** The line of calls whose timer stands in for this call's own, if any (deadline-line.ts). */
  line: DeadlineLine<RpcCall> | undefined;
  /** Set when the caller has settled it (answer or timeout); later answers are late. */
  settled: boolean;
  /** The count this call holds one of while pending (`CallOptions.inFlight`), if any. */
  inFlightCount: InFlightCount | undefined;
  /** The record a duplicate delivery was copied from (settlement is tracked on the original). */
  readonly original: RpcCall | undefined;
}

/** A one-way message on the wire. */
export interface MessageBody {
  type: 'message';
  payload: unknown;
  traceId: string | undefined;
}

/** What an ingress caller learns at the end of a request: exactly one of these, exactly once. */
export type CallOutcome =
  | { ok: true; value: unknown }
  | { ok: false; code: RpcErrorCode; message: string; source: string | undefined };

/** Called once when an ingress request ends, with the `tag` the request was sent with. */
export type IngressCallback = (outcome: CallOutcome, tag: unknown) => void;

/** The client's side of one ingress request: its callback, its timeout and whether it ended. */
export class IngressCall {
  /** Answered or timed out. */
  settled = false;
  /** The line of requests whose timer stands in for this one's, if any (deadline-line.ts). */
  line: DeadlineLine<IngressCall> | undefined = undefined;
  /** This request's own timeout timer, when it waits in no line. */
  timerHandle = -1;
  constructor(
    readonly onDone: IngressCallback,
    readonly tag: unknown,
  ) {}
}

/** The typed error a failed ingress outcome becomes at the caller's `await`. */
export function outcomeError(outcome: Extract<CallOutcome, { ok: false }>): RpcError {
  return new RpcError(outcome.code, outcome.message, outcome.source);
}

/** The typed error a failed call becomes at the caller's `await`; the callee is its source. */
export function callError(call: RpcCall): RpcError {
  return new RpcError(call.code ?? 'application', call.message ?? 'error', call.to);
}

/**
 * Deadline tightening, the one place it is done: the earlier of two absolute deadlines (true
 * virtual ms), either of which may be absent. A call's own timeout, its request's deadline, a
 * client's option and a timeout policy all combine through this.
 */
export function earliestDeadline(first: number | undefined, second: number | undefined): number | undefined {
  if (first === undefined) return second;
  if (second === undefined) return first;
  return second < first ? second : first;
}

/**
 * A call's timeout cut to its deadline (the same rule as `earliestDeadline`, in ms from now, so the
 * timer fires at exactly `nowMs + timeoutMs` with no rounding through an absolute time).
 */
export function timeoutWithinDeadline(timeoutMs: number, deadlineMs: number | undefined, nowMs: number): number {
  if (deadlineMs === undefined) return timeoutMs;
  const remainingMs = deadlineMs - nowMs;
  return remainingMs < timeoutMs ? remainingMs : timeoutMs;
}
