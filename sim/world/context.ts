// The node context: everything service code may use. Clock, timers, randomness, disk and network all
// come from here, never from the host, so a service behaves the same on every run of a seed.
import type { Rng } from '../engine/rng.ts';
import type { TraceKind } from '../engine/trace-kinds.ts';
import type { TraceIdKey } from '../engine/trace.ts';
import type { Simulation } from '../engine/simulation.ts';
import type { CallOptions, RpcCall } from './rpc.ts';
import { callError, timeoutWithinDeadline } from './rpc.ts';
import { EngineInvariantError, RpcError, errorMessage, isDeliberateError } from '../engine/errors.ts';
import { DeadlineLines, type DeadlineLine } from './deadline-line.ts';

/**
 * What a context needs from its node. `SimNode` implements it; the context depends on this
 * interface, not on the node module, so the two don't import each other.
 */
export interface ContextNode {
  readonly name: string;
  readonly host: { readonly sim: Simulation };
  readonly rng: Rng;
  readonly durable: Map<string, unknown>;
  readonly options: { readonly defaultTimeoutMs: number; readonly labels: Record<string, string> };
  readonly status: 'up' | 'down';
  readonly generation: number;
  readonly paused: boolean;
  readonly clockDriftPpm: number;
  readonly cpuTimeFactor: number;
  /** Spends `workMs` of (scaled) CPU work, on the node's shared cores when it models them, then calls `done`. */
  runCpu(workMs: number, done: () => void): void;
  /** The context of the node's current start (a restart builds a new one). */
  readonly ctx: NodeContext;
  localNowMs(): number;
  hasMethod(method: string): boolean;
  schedule(delayMs: number, callback: (arg: unknown) => void, arg?: unknown, wakes?: boolean, daemon?: boolean): number;
  /** Runs `callback(arg)` as an event of start `generation`: dropped after a restart, deferred while paused. */
  runEvent(generation: number, callback: (arg: unknown) => void, arg: unknown): void;
  runHook(hook: () => void | Promise<void>, where: string): void;
}

/** What a context needs from the world around its node. */
export interface ContextHost {
  nextCallId(): number;
  /** A new trace, numbered (text only when read). */
  newTraceKey(): number;
  /** Makes the record of a call (its one envelope, which the callee answers in). */
  newCall(from: string, callId: number, to: string, method: string, payload: unknown, deadlineMs: number, traceKey: TraceIdKey, parentSpanKey: TraceIdKey | undefined): RpcCall;
  /** Puts a call on the network. */
  sendCall(call: RpcCall): void;
  sendMessage(from: string, to: string, payload: unknown, label: string, traceId?: string): void;
  reportProcessError(node: ContextNode, error: unknown, where: string): void;
  /** Why service code may not call `to` (`method`), or undefined: an unknown node or method is a bug. */
  callTargetProblem(from: string, to: string, method: string | undefined): string | undefined;
  /** Records a programmer error found by the world (an unknown node or method). */
  recordServiceError(node: string, method: string, error: unknown): void;
  /** Call timeouts wait in lines (deadline-line.ts); false gives each call its own timer (tests compare the two). */
  readonly deadlineLines: boolean;
  /** Settled calls a line tolerates before it compacts. */
  readonly lineCompactMin: number;
}

/** One timer's record (a class, not an object literal, so V8 never pretenures it: see NodeEvent in node.ts). */
class TimerArg {
  handle = -1;
  /** Set by clearTimer: a timer deferred by a pause fires under a new handle, which cancel cannot reach. */
  cleared = false;

  constructor(
    readonly node: ContextNode,
    readonly callback: () => void,
    /** The context's live timers, which this one leaves when it fires. */
    readonly timers: Map<number, TimerArg>,
  ) {}
}

/**
 * A node's view of the world. Built afresh on every start, so anything a service keeps here is
 * volatile; `durable` is the exception and survives crashes.
 */
export class NodeContext {
  /**
   * Calls waiting for an answer. A call is pending from `call` until it is settled (its record's
   * `settled` flag), so a count is all the context keeps: a map by call id would reallocate its
   * table as it empties and fills, on every node, which at 10,000 nodes became the garbage
   * collector's largest cost (tables living longer than a young-generation cycle get promoted).
   */
  private pendingCount = 0;
  /** Timers not fired yet, by handle, so clearTimer can stop one that a pause deferred. */
  private readonly timers = new Map<number, TimerArg>();
  /** The call whose promise is being built; read by `callExecutor`, which runs synchronously. */
  private callInProgress: RpcCall | undefined = undefined;
  /** One executor for every call's promise, reading the call from a field: no closure per call. */
  private readonly callExecutor = (resolve: (value: unknown) => void, reject: (error: RpcError) => void): void => {
    const call = this.callInProgress!;
    call.resolve = resolve;
    call.reject = reject;
  };

  constructor(
    /** The node this context belongs to. */
    readonly node: ContextNode,
    private readonly host: ContextHost,
  ) {}

  /** The node's name. */
  get name(): string {
    return this.node.name;
  }

  /** The node's own clock in virtual ms: true time plus its skew and drift. */
  now(): number {
    return this.node.localNowMs();
  }

  /** The node's random stream: stable across restarts, independent of other nodes. */
  get rng(): Rng {
    return this.node.rng;
  }

  /**
   * A component's own random stream on this start of the node (`ctx.stream('retry')`, a fork of
   * `rng`): turning one component on never shifts another's draws, and a restarted node does not
   * replay the draws of its previous start.
   */
  stream(name: string): Rng {
    return this.node.rng.fork(`${name}#${this.node.generation}`);
  }

  /**
   * Storage that survives crashes and restarts (unless a crash wipes it). One key space per node,
   * shared by every component on it: prefix keys with the component (`db:orders`, `bus:…`).
   */
  get durable(): Map<string, unknown> {
    return this.node.durable;
  }

  /** Node labels (service name, version…). */
  get labels(): Readonly<Record<string, string>> {
    return this.node.options.labels;
  }

  /**
   * Waits `durationMs` of the node's own clock. Never resolves if the node crashes meanwhile.
   * A `daemon` sleep (heartbeat and poll loops) does not keep a run alive on its own.
   */
  sleep(durationMs: number, options: { daemon?: boolean } = {}): Promise<void> {
    const trueMs = this.localToTrueMs(durationMs);
    return new Promise<void>((resolve) => {
      this.node.schedule(trueMs, resumeWith, resolve, true, options.daemon ?? false);
    });
  }

  /**
   * Spends simulated CPU time: `durationMs` times the node's slow factor, over its CPU share. On a
   * node with `cores` the burst shares them with every other burst (processor sharing).
   */
  cpu(durationMs: number): Promise<void> {
    if (!(durationMs >= 0)) return Promise.reject(new RangeError(`cpu time must be >= 0 ms, got ${durationMs}`));
    return new Promise<void>((resolve) => {
      this.node.runCpu(durationMs * this.node.cpuTimeFactor, resolve);
    });
  }

  /**
   * Calls `callback` after `delayMs` of the node's clock; returns a handle for `clearTimer`. A
   * `daemon` timer (heartbeats, sweeps) does not keep a run alive on its own.
   */
  setTimer(delayMs: number, callback: () => void, options: { daemon?: boolean } = {}): number {
    // No closure per timer: one record carries everything runTimer needs.
    const timer = new TimerArg(this.node, callback, this.timers);
    timer.handle = this.node.schedule(this.localToTrueMs(delayMs), runTimer, timer, true, options.daemon ?? false);
    this.timers.set(timer.handle, timer);
    return timer.handle;
  }

  /** Cancels a timer set with `setTimer` (also one that is waiting out a pause). */
  clearTimer(handle: number): void {
    const timer = this.timers.get(handle);
    if (timer) {
      timer.cleared = true;
      this.timers.delete(handle);
    }
    this.node.host.sim.cancel(handle);
  }

  /**
   * Calls `method` on node `to` and resolves with its answer, or rejects with an RpcError:
   * `timeout`, `refused`, `overloaded`, `not-found`, `application`… While this node stays up, every
   * call ends exactly once. If this node crashes first, the call never settles: the code awaiting
   * it died with the node (as with `sleep`).
   */
  call<T = unknown>(to: string, method: string, payload?: unknown, options: CallOptions = {}): Promise<T> {
    const sim = this.node.host.sim;
    const optionTimeoutMs = options.timeoutMs ?? this.node.options.defaultTimeoutMs;
    const timeoutMs = timeoutWithinDeadline(optionTimeoutMs, options.deadlineMs, sim.nowMs);
    if (!(timeoutMs > 0)) {
      return Promise.reject(new RpcError('timeout', `deadline passed before calling ${to}.${method}`, this.name));
    }
    const problem = this.host.callTargetProblem(this.name, to, method);
    if (problem !== undefined) return Promise.reject(this.targetError(problem));
    const callId = this.host.nextCallId();
    const traceKey = options.traceKey ?? options.traceId ?? this.host.newTraceKey();
    // The call's one record is also its pending entry and its timer's argument.
    const call = this.host.newCall(this.name, callId, to, method, payload, sim.nowMs + timeoutMs, traceKey, options.parentSpanKey ?? options.parentSpanId);
    call.caller = this;
    call.inFlightCount = options.inFlight;
    this.callInProgress = call;
    const answer = new Promise<T>(this.callExecutor as (resolve: (value: T) => void, reject: (error: RpcError) => void) => void);
    this.callInProgress = undefined;
    // A call with its option's timeout, made while others are in flight, waits in that timeout's line
    // where its own timer would have been. A lone call gets its own timer (a line for a node whose
    // calls never overlap only costs: 10,000 such nodes made the scale bench 12% slower), and so
    // does one a deadline cut short (its deadline is out of the line's order).
    const line = timeoutMs === optionTimeoutMs && this.pendingCount > 0 ? this.callLine(timeoutMs) : undefined;
    if (line !== undefined) {
      call.line = line;
      line.add(call, sim.nowMs + timeoutMs, sim.reserveSeq());
    } else {
      call.timerHandle = sim.schedule(timeoutMs, callTimerFired, call);
    }
    this.pendingCount++;
    this.host.sendCall(call);
    return answer;
  }

  /** Sends a one-way message; delivery is not confirmed. */
  send(to: string, payload: unknown, label = 'message'): void {
    const problem = this.host.callTargetProblem(this.name, to, undefined);
    if (problem !== undefined) throw this.targetError(problem);
    this.host.sendMessage(this.name, to, payload, label);
  }

  /**
   * Runs a background process on this node (a poller, a relay, a heartbeat loop). It dies with the
   * node; an error it throws is recorded in the trace and the run's process-error count.
   */
  spawn(body: () => Promise<void>): void {
    const sim = this.node.host.sim;
    sim.wake();
    body().catch((error: unknown) => this.host.reportProcessError(this.node, error, 'spawn'));
  }

  /**
   * For patterns that catch errors from code they run on a user's behalf (a consumer's handler, a
   * step of a long-running process, an operation it falls back from): a programmer error (a TypeError, a
   * plain Error…) is recorded as a bug in `where` and fails the run, though the pattern goes on
   * handling it (nack, compensate, fall back); a deliberate error (ServiceError, RpcError) is not.
   */
  reportCaught(error: unknown, where: string): void {
    if (!isDeliberateError(error)) this.host.recordServiceError(this.name, where, error);
  }

  /** Records a service event in the trace (`retry.attempt`, `pod.ready`…). */
  emit(kind: TraceKind | (string & {}), detail?: string, peer?: string, id?: number): void {
    this.node.host.sim.trace.emit(this.node.host.sim.nowMs, kind, this.name, peer, id, detail);
  }

  /** True if the running service on this node has a handler for `method`. */
  hasHandler(method: string): boolean {
    return this.node.hasMethod(method);
  }

  /**
   * The deadline `durationMs` from now. Deadlines are absolute true virtual time, the same on every
   * node, so they stay right when this node's clock is skewed; compute them only with this method.
   */
  deadlineIn(durationMs: number): number {
    return this.node.host.sim.nowMs + durationMs;
  }

  /** Ms left until `deadlineMs` (a value from `deadlineIn` or a request): skew does not affect it. */
  remainingMs(deadlineMs: number): number {
    return deadlineMs - this.node.host.sim.nowMs;
  }

  /** Calls in flight from this node. */
  get callsInFlight(): number {
    return this.pendingCount;
  }

  /** @internal The answer to one of this context's calls arrived (the call's record, or a duplicate's). */
  receiveResponse(response: RpcCall): void {
    // Settlement is tracked on the original record; a duplicate delivery answers in its own copy.
    const call = response.original ?? response;
    // Late: it timed out, or a duplicate already answered it.
    if (call.settled) return;
    // An answer to a call this context never made is a bug.
    if (call.caller !== this) this.invariantBroken(`${this.name} got a reply to call ${response.callId} (${response.to}.${response.method}) it is not waiting for`);
    this.pendingCount--;
    call.settled = true;
    const sim = this.node.host.sim;
    if (call.line !== undefined) call.line.answered();
    else sim.cancel(call.timerHandle);
    sim.wake();
    // Lowered now, where a reaction registered first on the call's promise would have lowered it:
    // nothing runs between this event and the first microtask after it.
    if (call.inFlightCount !== undefined) call.inFlightCount.inFlight--;
    if (response.ok) call.resolve!(response.value);
    else call.reject!(callError(response));
  }

  /** Lines of this context's call timeouts by timeout (deadline-line.ts), made when first needed. */
  private callLines: DeadlineLines<RpcCall> | undefined = undefined;

  /** The line for calls with this timeout; undefined when this timeout gets a timer per call. */
  private callLine(timeoutMs: number): DeadlineLine<RpcCall> | undefined {
    if (!this.host.deadlineLines) return undefined;
    this.callLines ??= new DeadlineLines<RpcCall>(this.node.host.sim, lineTimerFired, MAX_CALL_LINES, this.host.lineCompactMin);
    return this.callLines.lineFor(timeoutMs);
  }

  /** @internal The call's timer fired before an answer. */
  timeOut(call: RpcCall): void {
    // Answered already: a timer deferred by a pause fires late, as cancel cannot reach it.
    if (call.settled) return;
    if (call.caller !== this) this.invariantBroken(`${this.name}: call ${call.callId} timed out but is not pending`);
    this.pendingCount--;
    call.settled = true;
    const sim = this.node.host.sim;
    sim.wake();
    sim.trace.emit(sim.nowMs, 'rpc.timeout', this.name, call.to, call.callId, call.method);
    if (call.inFlightCount !== undefined) call.inFlightCount.inFlight--;
    call.reject!(new RpcError('timeout', `${call.to}.${call.method} did not answer in time`, this.name));
  }

  private invariantBroken(message: string): never {
    const sim = this.node.host.sim;
    throw new EngineInvariantError(message, sim.seed, sim.nowMs);
  }

  /** A call to an unknown node or method: a programmer error, recorded here so a catch can't hide it. */
  private targetError(problem: string): ReferenceError {
    const error = new ReferenceError(problem);
    this.host.recordServiceError(this.name, 'call', error);
    // The caller's continuation must run now, at this virtual time.
    this.node.host.sim.wake();
    return error;
  }

  private localToTrueMs(localMs: number): number {
    if (!(localMs >= 0)) throw new RangeError(`delay must be >= 0 ms, got ${localMs}`);
    const drift = this.node.clockDriftPpm;
    return drift === 0 ? localMs : localMs / (1 + drift / 1e6);
  }
}

/** Distinct call timeouts that get a line on one node; calls with any other timeout get their own timer. */
const MAX_CALL_LINES = 16;

function resumeWith(resolve: unknown): void {
  (resolve as () => void)();
}

/**
 * A call's timer fired: time it out as a node event of the context's own start (a context belongs
 * to one start, so a restarted node has another). The call record stands in for the event record.
 */
function callTimerFired(arg: unknown): void {
  const call = arg as RpcCall;
  const context = call.caller as NodeContext;
  const node = context.node;
  if (node.ctx === context) node.runEvent(node.generation, onCallTimeout, call);
}

/** A line's timer came due for an unsettled call: from here on it is as if its own timer fired. */
function lineTimerFired(call: RpcCall): void {
  // The line is done with it: an answer arriving later (a pause deferred the timeout) settles it alone.
  call.line = undefined;
  callTimerFired(call);
}

function onCallTimeout(arg: unknown): void {
  const call = arg as RpcCall;
  (call.caller as NodeContext).timeOut(call);
}

function runTimer(arg: unknown): void {
  const timer = arg as TimerArg;
  if (timer.cleared) return;
  timer.timers.delete(timer.handle);
  timer.node.runHook(timer.callback, 'timer');
}

/** Message text of an error, re-exported for service code. */
export { errorMessage };
