// A simulated node: a service instance built from a factory, with worker slots, a bounded request
// queue, simulated CPU time, and the node faults (crash, restart, pause, slow, clock skew).
import type { Simulation } from '../engine/simulation.ts';
import { spanIdText, traceIdText, type TraceIdKey } from '../engine/trace.ts';
import type { Distribution } from '../engine/rng.ts';
import { Rng } from '../engine/rng.ts';
import { ConfigError, EngineInvariantError, RpcError, errorMessage, isDeliberateError, type RpcErrorCode } from '../engine/errors.ts';
import { earliestDeadline, type CallSettler, type InFlightCount, type IngressCall, type RpcCall } from './rpc.ts';
import type { NodeContext } from './context.ts';
import { NODE_LOAD_BUCKET_MS, NODE_LOAD_MAX_BUCKETS, NodeLoadMeter } from './node-load.ts';
import { ProcessorSharingCpu } from './cpu.ts';
import { WIRE_SIZE, estimateSizeBytes } from './payload-size.ts';
import { replyHoldMs, type CallInjections } from './call-injection.ts';
import type { DeadlineLine } from './deadline-line.ts';
import { Fifo } from './fifo.ts';

/**
 * Handles one request; may be async. What it returns is the response. A deliberate failure
 * (`throw new ServiceError(code, message)`, or an RpcError) fails the request; anything else it
 * throws (a TypeError, a plain Error…) is a bug: the request fails and so does the run.
 */
export type Handler = (payload: any, request: Request) => unknown;

/** A handler with a fixed CPU cost drawn before it runs (cheaper than `await request.cpu(ms)`). */
export interface HandlerSpec {
  /** CPU time per request, scaled by the node's slow factor. */
  serviceTimeMs: Distribution | number;
  handle: Handler;
}

/** What a node factory returns: the service's handlers and hooks. */
export interface ServiceDefinition {
  /** RPC handlers by method name. */
  handlers?: Record<string, Handler | HandlerSpec>;
  /** One-way messages (not RPC). Runs outside the worker slots, like an event-loop callback. */
  onMessage?(payload: unknown, from: string): void | Promise<void>;
  /** Runs after each start and restart, before traffic is admitted. */
  onStart?(): void | Promise<void>;
  /** Runs on a graceful stop (not on a crash). */
  onStop?(): void | Promise<void>;
}

/** Builds a node's service from its context. Called again on every restart: volatile state is whatever it closes over. */
export type NodeFactory = (ctx: NodeContext) => ServiceDefinition;

/** Node capacity and clock, as configured. */
export interface NodeOptions {
  /** Requests processed at once (threads/event-loop slots). Default 4. Same as `threads`. */
  workers?: number;
  /**
   * Thread-per-request: a request holds one of `threads` threads until it answers, waits on calls
   * included (a thread pool; this is what `workers` has always meant). Not with `eventLoop`.
   */
  threads?: number;
  /**
   * Event loop: a request holds nothing while it awaits; only CPU bursts use the (shared) cores.
   * `maxInFlight` (default 1000) bounds requests admitted and not yet answered; beyond it they queue
   * (`queueCapacity`) and then are shed. Implies `cores: 1` unless `cores` is given. Not with `threads`.
   */
  eventLoop?: boolean | { maxInFlight?: number };
  /**
   * CPU cores shared by processor sharing among every CPU burst on the node (requests' `cpu(ms)`,
   * handler service times, background processes). Unset: CPU is not a shared resource, each burst
   * is a plain delay (as if every burst had its own core), which is how dsim always modelled it.
   */
  cores?: number;
  /** Requests that may wait for a worker; more are shed with `overloaded`. Default 64. */
  queueCapacity?: number;
  /** Timeout of outgoing calls when the caller gives none. Default 1000 ms. */
  defaultTimeoutMs?: number;
  /** Free-form labels (service name, version), kept for the services and for reports. */
  labels?: Record<string, string>;
}

/** Node options with every default filled. */
export interface ResolvedNodeOptions {
  /** Threads, or the event loop's in-flight limit. */
  workers: number;
  concurrency: 'threads' | 'event-loop';
  /** Cores when CPU is modelled as shared; undefined for a per-burst delay. */
  cores: number | undefined;
  queueCapacity: number;
  defaultTimeoutMs: number;
  labels: Record<string, string>;
}

/** Node state as the world sees it. */
export type NodeStatus = 'up' | 'down';

/** Where a finished request's answer goes, once its outcome fields are written. */
export type ReplyFn = (request: Request) => void;

/**
 * A node-scoped event: dropped if the node restarted since, deferred while it is paused.
 *
 * A class, not an object literal: V8 pretenures a literal's allocation site once most of what it
 * made survived, which happens while a large world is built (every node's first timers stay
 * pending). From then on each request's event would be allocated in the old generation, die at
 * once and keep the young objects it points to alive until the next full GC; at 10,000 nodes that
 * made every scavenge copy megabytes. Instances of a class carry no allocation-site feedback.
 */
class NodeEvent {
  constructor(
    readonly node: SimNode,
    readonly generation: number,
    readonly callback: (arg: unknown) => void,
    readonly arg: unknown,
    /** The callback resolves a promise or runs service code: drain microtasks after it. */
    readonly wakes: boolean,
  ) {}
}

/** The host-level services a node needs from its world. */
export interface NodeHost {
  readonly sim: Simulation;
  /** Builds the context handed to the node's factory. */
  makeContext(node: SimNode): NodeContext;
  /** A new span number (its text, `s…`, is made only when read). */
  nextSpanId(): number;
  /**
   * Records an error thrown by node code outside a request; `where` says what threw it (`factory`,
   * `onStart`, `onStop`, `onMessage`, `timer`, `spawn`).
   */
  reportProcessError(node: SimNode, error: unknown, where: string): void;
  /** Records a programmer error (not a deliberate one) thrown by a handler. */
  reportHandlerBug(node: SimNode, method: string, error: unknown): void;
  /** Per-call faults in effect (sim/world/call-injection.ts). */
  readonly callInjections?: CallInjections;
}

/**
 * One request: the callee's view of a call (`request.call`, `request.cpu`…) and, for RPC, the
 * call's one envelope end to end (`RpcCall`): the caller fills the call, the callee the outcome,
 * and the same record travels back as the response.
 */
export class Request implements RpcCall {
  // Every field is declared (no initializer) and set in the constructor: class fields would be
  // defined by a separate initializer function, which V8 calls (not inlines) at the ingress, one
  // request at a time.
  /** Correlates the answer with the call (0 for workload traffic). */
  declare readonly callId: number;
  /** The calling node, or `client` for workload traffic. */
  declare readonly from: string;
  declare readonly to: string;
  declare readonly method: string;
  declare readonly payload: unknown;
  /** Absolute true virtual time after which the caller no longer waits. */
  declare readonly deadlineMs: number;
  /** The trace: a number when the engine started it, text when it came from outside. */
  declare readonly traceKey: TraceIdKey;
  /** The caller's span: a number when the engine made it, text when it came from outside. */
  declare readonly parentSpanKey: TraceIdKey | undefined;
  /** Where the answer goes once the outcome is written. */
  declare readonly reply: ReplyFn;
  declare readonly original: RpcCall | undefined;

  /** The node serving it; set when the callee takes it. */
  declare node: SimNode;
  /** This request's span, as the engine numbers it (see `spanId` for its text). */
  declare spanKey: TraceIdKey;
  /** True virtual time the request was admitted. */
  declare startMs: number;
  /** The serving node's generation when it took the request. */
  declare generation: number;
  /** Taken by a callee (or refused for one): a second delivery of the same call gets its own copy. */
  declare claimed: boolean;
  /** Set when the answer has been sent; later answers are ignored. */
  declare finished: boolean;
  /** Neighbours in the node's list of running requests (no allocation per request to keep it). */
  declare olderRunning: Request | undefined;
  declare newerRunning: Request | undefined;

  declare ok: boolean;
  declare value: unknown;
  declare code: RpcErrorCode | undefined;
  declare message: string | undefined;
  declare source: string | undefined;

  declare caller: CallSettler | undefined;
  declare resolve: ((value: unknown) => void) | undefined;
  declare reject: ((error: RpcError) => void) | undefined;
  declare timerHandle: number;
  declare line: DeadlineLine<RpcCall> | undefined;
  declare settled: boolean;
  /** The instance's in-flight count the call lowers as it settles (the service client's), if any. */
  declare inFlightCount: InFlightCount | undefined;
  /** The client's side when the request came in from outside (workload or scripted client). */
  declare ingress: IngressCall | undefined;
  /** The handler to run once a HandlerSpec's service time has passed (looked up when it began). */
  declare handle: Handler | undefined;
  /** A per-call fault holds the answer this long (slow first byte) before sending it. */
  declare replyDelayMs: number;
  /** A per-call fault writes the answer at this many bytes per second (0: no limit). */
  declare replyBytesPerSec: number;

  constructor(
    callId: number,
    from: string,
    to: string,
    method: string,
    payload: unknown,
    deadlineMs: number,
    traceKey: TraceIdKey,
    parentSpanKey: TraceIdKey | undefined,
    reply: ReplyFn,
    original: RpcCall | undefined = undefined,
  ) {
    this.callId = callId;
    this.from = from;
    this.to = to;
    this.method = method;
    this.payload = payload;
    this.deadlineMs = deadlineMs;
    this.traceKey = traceKey;
    this.parentSpanKey = parentSpanKey;
    this.reply = reply;
    this.original = original;
    this.node = undefined as unknown as SimNode;
    this.spanKey = 0;
    this.startMs = 0;
    this.generation = 0;
    this.claimed = false;
    this.finished = false;
    this.olderRunning = undefined;
    this.newerRunning = undefined;
    this.ok = false;
    this.value = undefined;
    this.code = undefined;
    this.message = undefined;
    this.source = undefined;
    this.caller = undefined;
    this.resolve = undefined;
    this.reject = undefined;
    this.timerHandle = -1;
    this.line = undefined;
    this.settled = false;
    this.inFlightCount = undefined;
    this.ingress = undefined;
    this.handle = undefined;
    this.replyDelayMs = 0;
    this.replyBytesPerSec = 0;
  }

  /**
   * Bytes on the wire, for link bandwidth: the request's method and payload on the way out, the
   * answer (value or error message) with its status fields on the way back.
   */
  [WIRE_SIZE](): number {
    const wireFieldsBytes = 80;
    return wireFieldsBytes + (this.finished ? estimateSizeBytes(this.ok ? this.value : this.message) : this.method.length + estimateSizeBytes(this.payload));
  }

  /** Sends this call's answer (its outcome fields written) back to the caller. */
  answer(): void {
    this.reply(this);
  }

  /** @internal The callee `node` takes the request: its span starts now. */
  claim(node: SimNode): void {
    this.claimed = true;
    this.node = node;
    this.generation = node.generation;
    this.spanKey = node.host.nextSpanId();
    this.startMs = node.host.sim.nowMs;
  }

  /** @internal A second delivery of a call already taken (the network duplicated it): its own record. */
  duplicate(): Request {
    const copy = new Request(this.callId, this.from, this.to, this.method, this.payload, this.deadlineMs, this.traceKey, this.parentSpanKey, this.reply, this.original ?? this);
    copy.caller = this.caller;
    return copy;
  }

  /** The trace id as text (`t…` for a trace the engine started). */
  get traceId(): string {
    return traceIdText(this.traceKey);
  }

  /** The caller's span id as text, when the request has a caller span. */
  get parentSpanId(): string | undefined {
    return this.parentSpanKey === undefined ? undefined : spanIdText(this.parentSpanKey);
  }

  /** This request's span id as text (`s…`). */
  get spanId(): string {
    return spanIdText(this.spanKey);
  }

  /** The node's context (clock, rng, durable store…). */
  get ctx(): NodeContext {
    return this.node.ctx;
  }

  /** Virtual ms left before the caller's deadline. */
  get remainingMs(): number {
    return this.deadlineMs - this.node.host.sim.nowMs;
  }

  /**
   * Calls another node within this request: the trace and the deadline propagate. A `deadlineMs`
   * (from `ctx.deadlineIn`) can only tighten the request's own.
   */
  call<T = unknown>(to: string, method: string, payload?: unknown, options: { timeoutMs?: number; deadlineMs?: number } = {}): Promise<T> {
    return this.node.ctx.call<T>(to, method, payload, {
      timeoutMs: options.timeoutMs,
      deadlineMs: earliestDeadline(this.deadlineMs, options.deadlineMs),
      traceKey: this.traceKey,
      parentSpanKey: this.spanKey,
    });
  }

  /** Spends simulated CPU time in this request's worker slot (scaled by the node's slow factor). */
  cpu(durationMs: number): Promise<void> {
    return this.node.ctx.cpu(durationMs);
  }

  /** Waits without using CPU (I/O, a lock…). */
  sleep(durationMs: number): Promise<void> {
    return this.node.ctx.sleep(durationMs);
  }
}

/**
 * A node: runs its service's handlers in worker slots, queues what it cannot start, sheds what it
 * cannot queue. A crash loses in-flight work and volatile state; `durable` survives unless wiped.
 */
export class SimNode {
  status: NodeStatus = 'down';
  /** Bumped by every crash and restart; events of an older generation are dropped. */
  generation = 0;
  /** Service time multiplier (a gray failure when > 1). */
  slowFactor = 1;
  /**
   * The CPU share the node's resource request grants (1 = a full core per worker; 0.5 doubles
   * service time). Kept apart from `slowFactor`, which faults set and healing resets to 1.
   */
  cpuShare = 1;
  /** Clock offset of the node's own `now()`, in ms. */
  clockSkewMs = 0;
  /** Clock drift in parts per million, counted from `driftSinceMs`. */
  clockDriftPpm = 0;
  driftSinceMs = 0;
  paused = false;
  /** Removed for good (scale-in); never restarted by healing. */
  removed = false;
  /** Crash-loop fault: this many coming starts die during startup, `crashOnStartAfterMs` in (a bad config). */
  crashOnStarts = 0;
  crashOnStartAfterMs = 100;
  /** Survives crashes and restarts (unless wiped); the service's disk. */
  readonly durable = new Map<string, unknown>();
  /** Random stream of this node, stable across restarts and independent of other nodes. */
  readonly rng: Rng;

  busyWorkers = 0;
  /** Admitted requests waiting for a worker, oldest first. */
  readonly waiting = new Fifo<Request>();
  /** The newest running request; the list links through `Request.olderRunning`. */
  private newestRunning: Request | undefined = undefined;
  /** False while the service could not be built (crash-on-start, a factory that threw): it has no handlers. */
  serviceBuilt = false;
  ctx!: NodeContext;
  service: ServiceDefinition = {};
  /** Instance-seconds accounting: virtual ms this node was up. */
  upMs = 0;
  private upSinceMs = 0;
  private deferred: NodeEvent[] = [];
  /** Deferred events being replayed after a resume; node events that come meanwhile queue behind them. */
  private backlog: NodeEvent[] = [];
  private readonly handlers = new Map<string, HandlerSpec | Handler>();
  readonly options: ResolvedNodeOptions;
  /** Counters for reports. */
  readonly stats = { admitted: 0, shed: 0, completed: 0, failed: 0, crashes: 0, restarts: 0 };
  /** Busy workers and queue length integrated over time (advanced before every change of either). */
  readonly loadMeter: NodeLoadMeter;
  /** The shared CPU when the node models `cores`; kept across restarts for its busy-time total. */
  readonly cpu: ProcessorSharingCpu | undefined;

  constructor(
    readonly name: string,
    readonly host: NodeHost,
    private readonly factory: NodeFactory,
    options: ResolvedNodeOptions,
  ) {
    this.options = options;
    this.loadMeter = new NodeLoadMeter(NODE_LOAD_BUCKET_MS, NODE_LOAD_MAX_BUCKETS, host.sim);
    this.rng = host.sim.rng.fork(`node:${name}`);
    if (options.cores !== undefined) {
      const sim = host.sim;
      this.cpu = new ProcessorSharingCpu(options.cores, {
        nowMs: () => sim.nowMs,
        schedule: (delayMs, callback, arg) => this.schedule(delayMs, callback, arg, true),
        cancel: (handle) => void sim.cancel(handle),
      });
    }
  }

  /** Spends `workMs` of CPU work (already scaled) and then calls `done`: on the shared cores, or as a delay. */
  runCpu(workMs: number, done: () => void): void {
    if (this.cpu) this.cpu.run(workMs, done);
    else this.schedule(workMs, callDone, done, true);
  }

  /** CPU busy time / (cores × uptime); undefined when cores are not modelled. */
  cpuUtilization(): number | undefined {
    if (!this.cpu) return undefined;
    const uptimeMs = this.uptimeMs();
    return uptimeMs > 0 ? this.cpu.busyCoreMs() / (this.cpu.cores * uptimeMs) : 0;
  }


  /** This node's local clock: true time plus skew and drift. */
  localNowMs(): number {
    const now = this.host.sim.nowMs;
    return now + this.clockSkewMs + (this.clockDriftPpm * (now - this.driftSinceMs)) / 1e6;
  }

  /** Starts (or restarts) the node: a fresh context and a fresh service from the factory. */
  start(): void {
    if (this.status === 'up') return;
    this.generation++;
    this.status = 'up';
    this.paused = false;
    this.deferred = [];
    this.backlog = [];
    this.upSinceMs = this.host.sim.nowMs;
    this.ctx = this.host.makeContext(this);
    this.handlers.clear();
    this.forgetLastHandler();
    this.serviceBuilt = false;
    if (this.crashOnStarts > 0) {
      // A crash-looping start dies while starting up: its service is never built (it does not
      // register anywhere, it answers nothing), and the process exits `crashOnStartAfterMs` later.
      this.crashOnStarts--;
      this.service = {};
      this.host.sim.trace.emit(this.host.sim.nowMs, 'node.crash-on-start', this.name, undefined, undefined, `exits after ${this.crashOnStartAfterMs}ms`);
      this.schedule(this.crashOnStartAfterMs, () => {
        this.crash(false);
        this.host.sim.trace.emit(this.host.sim.nowMs, 'node.crash', this.name, undefined, undefined, 'on start');
      });
      return;
    }
    try {
      this.service = this.factory(this.ctx);
      this.serviceBuilt = true;
    } catch (error) {
      // A configuration error (e.g. opening another service's database) stops the run with exit 2.
      if (error instanceof ConfigError || error instanceof EngineInvariantError) throw error;
      this.host.reportProcessError(this, error, 'factory');
      this.service = {};
    }
    for (const [method, handler] of Object.entries(this.service.handlers ?? {})) this.handlers.set(method, handler);
    this.forgetLastHandler();
    if (this.service.onStart) this.runHook(this.service.onStart, 'onStart');
  }

  /** Crash: in-flight and queued work is lost without answers, volatile state is gone. */
  crash(wipeDurable = false): void {
    if (this.status === 'down') return;
    this.loadMeter.advanceToNow(this.busyWorkers, this.waiting.length);
    this.stopAccounting();
    this.status = 'down';
    this.draining = false;
    this.onStopped = undefined;
    this.generation++;
    this.busyWorkers = 0;
    this.newestRunning = undefined;
    this.waiting.clear();
    this.cpu?.reset();
    this.deferred = [];
    this.backlog = [];
    this.paused = false;
    this.stats.crashes++;
    if (wipeDurable) this.durable.clear();
  }

  /**
   * Graceful stop (SIGTERM): new requests are refused at once, `onStop` runs (it may be async, e.g.
   * to deregister), requests already admitted finish; then the node goes down with its durable
   * state kept. After `gracePeriodMs` it goes down regardless, like a SIGKILL after the grace period.
   */
  stopGracefully(gracePeriodMs = 5_000, onStopped?: () => void): void {
    if (this.status === 'down' || this.draining) return;
    this.draining = true;
    this.onStopped = onStopped;
    const generation = this.generation;
    const stopHook = this.service.onStop;
    this.stopHookDone = stopHook === undefined;
    if (stopHook) {
      try {
        const result = stopHook.call(this.service);
        if (isPromiseLike(result)) {
          this.host.sim.wake();
          const done = (): void => {
            if (this.generation !== generation) return;
            this.stopHookDone = true;
            this.finishDrainIfIdle();
          };
          result.then(done, (error: unknown) => {
            this.host.reportProcessError(this, error, 'onStop');
            done();
          });
        } else {
          this.stopHookDone = true;
        }
      } catch (error) {
        this.host.reportProcessError(this, error, 'onStop');
        this.stopHookDone = true;
      }
    }
    this.schedule(gracePeriodMs, () => this.completeStop());
    this.finishDrainIfIdle();
  }

  /** Set while a graceful stop drains; new requests are refused. */
  draining = false;
  private stopHookDone = false;
  private onStopped: (() => void) | undefined;

  private finishDrainIfIdle(): void {
    if (this.draining && this.stopHookDone && this.busyWorkers === 0 && this.waiting.length === 0) this.completeStop();
  }

  private completeStop(): void {
    if (this.status === 'down') return;
    const onStopped = this.onStopped;
    this.crash(false);
    this.stats.crashes--;
    this.host.sim.trace.emit(this.host.sim.nowMs, 'node.stopped', this.name);
    onStopped?.();
  }

  /** Stop-the-world: node events (timers, deliveries, CPU completions) wait until `resume`. */
  pause(): void {
    if (this.status !== 'up') return;
    this.paused = true;
    this.cpu?.freeze();
    // Events still waiting to be replayed from an earlier pause come before anything deferred now.
    this.deferred.push(...this.backlog);
    this.backlog = [];
  }

  /**
   * Ends a pause; deferred events run now, each as its own event, in their original order, and
   * before any node event that comes due meanwhile (a message arriving at the resume instant must
   * not overtake the ones that arrived during the pause).
   */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.cpu?.thaw();
    const deferred = this.deferred;
    this.deferred = [];
    for (const event of deferred) this.replayLater(event);
  }

  /** @internal Queues an event at the end of the replay backlog, to run now in its turn. */
  replayLater(event: NodeEvent): void {
    this.backlog.push(event);
    this.host.sim.schedule(0, replayNodeEvent, { node: this, generation: this.generation });
  }

  /** @internal The next event of the replay backlog, if any. */
  nextReplay(): NodeEvent | undefined {
    return this.backlog.shift();
  }

  /** @internal True while events deferred by a pause are still being replayed. */
  get replaying(): boolean {
    return this.backlog.length > 0;
  }

  /**
   * Schedules a node-scoped event: dropped after a crash or restart, deferred while paused. Pass
   * `wakes` when the callback resolves a promise or runs service code.
   */
  schedule(delayMs: number, callback: (arg: unknown) => void, arg?: unknown, wakes = false, daemon = false): number {
    const event = new NodeEvent(this, this.generation, callback, arg, wakes);
    return daemon ? this.host.sim.daemon(delayMs, fireNodeEvent, event) : this.host.sim.schedule(delayMs, fireNodeEvent, event);
  }

  /**
   * Runs `callback(arg)` now as an event of start `generation` would run: not at all if the node
   * restarted or went down since, deferred while it is paused or replaying. For timers whose record
   * already knows its start (a request, a call): a node-event record is made only to defer.
   */
  runEvent(generation: number, callback: (arg: unknown) => void, arg: unknown): void {
    if (generation !== this.generation || this.status !== 'up') return;
    if (this.paused || this.replaying) dispatchNodeEvent(new NodeEvent(this, generation, callback, arg, false), false);
    else callback(arg);
  }

  /** Runs a node-scoped callback now if the node can (used for deliveries); defers it while paused. */
  runOrDefer(callback: (arg: unknown) => void, arg: unknown): void {
    if (this.status !== 'up') return;
    if (!this.paused && this.backlog.length === 0) {
      // The common case, without a deferrable event record: what dispatchNodeEvent would do now.
      this.host.sim.wake();
      callback(arg);
      return;
    }
    fireNodeEvent(new NodeEvent(this, this.generation, callback, arg, true));
  }

  /** What simulated CPU time is multiplied by: the slow factor over the CPU share. */
  get cpuTimeFactor(): number {
    return this.slowFactor / this.cpuShare;
  }

  /** Instance-ms up to now, for cost in instance-seconds. */
  uptimeMs(): number {
    return this.upMs + (this.status === 'up' ? this.host.sim.nowMs - this.upSinceMs : 0);
  }

  /** Requests waiting plus those in service. */
  get load(): number {
    return this.busyWorkers + this.waiting.length;
  }

  /** The running service's method names. */
  methods(): IterableIterator<string> {
    return this.handlers.keys();
  }

  /** Requests in a worker slot right now, newest first. */
  *runningRequests(): IterableIterator<Request> {
    for (let request = this.newestRunning; request !== undefined; request = request.olderRunning) yield request;
  }

  /** True if the method exists on the running service. */
  hasMethod(method: string): boolean {
    return this.handlerOf(method) !== undefined;
  }

  /** The method looked up last and its handler: a node mostly serves one method after another. */
  private lastMethod: string | undefined = undefined;
  private lastHandler: HandlerSpec | Handler | undefined = undefined;

  /** The running service's handler for `method`, if it has one. */
  private handlerOf(method: string): HandlerSpec | Handler | undefined {
    if (method === this.lastMethod) return this.lastHandler;
    const handler = this.handlers.get(method);
    this.lastMethod = method;
    this.lastHandler = handler;
    return handler;
  }

  /** The handlers changed (a start): the remembered lookup no longer holds. */
  private forgetLastHandler(): void {
    this.lastMethod = undefined;
    this.lastHandler = undefined;
  }

  /** Methods of the running service, in declaration order. */
  methodNames(): string[] {
    return [...this.handlers.keys()];
  }

  /**
   * Admits a request: start it in a free worker, queue it, or shed it with `overloaded`.
   * The caller has checked that the node is up and not paused.
   */
  admit(request: Request): void {
    // The rare outcomes are calls, so that admit stays small enough for V8 to inline it into the
    // ingress together with `new Request` (its inlining budget is counted in bytecode).
    if (this.status !== 'up') this.admittedWhileDown(request);
    this.loadMeter.advanceToNow(this.busyWorkers, this.waiting.length);
    if (this.draining) {
      this.refuseWhileDraining(request);
      return;
    }
    // A per-call fault may answer, swallow or delay the request before it takes a slot.
    const injections = this.host.callInjections;
    if (injections !== undefined && injections.count > 0 && injections.atAdmission(this, request)) return;
    if (this.busyWorkers < this.options.workers) {
      this.stats.admitted++;
      this.begin(request);
    } else if (this.waiting.length < this.options.queueCapacity) {
      this.stats.admitted++;
      this.waiting.push(request);
    } else {
      this.shed(request);
    }
  }

  private admittedWhileDown(request: Request): never {
    this.invariantBroken(`${this.name} admitted ${request.method} while down`);
  }

  private refuseWhileDraining(request: Request): void {
    this.answerAtOnce(request, 'refused', `${this.name} is shutting down`);
  }

  /** The queue is full: the request is answered `overloaded` at once. */
  private shed(request: Request): void {
    this.stats.shed++;
    this.host.sim.trace.emit(this.host.sim.nowMs, 'request.shed', this.name, request.from, undefined, request.method);
    this.answerAtOnce(request, 'overloaded', `${this.name} queue full (${this.options.queueCapacity})`);
  }

  /** Answers a request that never reached a worker (refused while draining, shed): no span. */
  private answerAtOnce(request: Request, code: RpcErrorCode, message: string): void {
    request.finished = true;
    request.ok = false;
    request.code = code;
    request.message = message;
    request.source = this.name;
    request.reply(request);
  }

  /** Ends a request with its handler's value; frees its worker and starts the next one. */
  succeed(request: Request, value: unknown): void {
    if (request.finished || request.generation !== this.generation) return;
    request.ok = true;
    request.value = value;
    this.complete(request);
  }

  /** Ends a request with a typed error; frees its worker and starts the next one. */
  failWith(request: Request, code: RpcErrorCode, message: string, source: string): void {
    if (request.finished || request.generation !== this.generation) return;
    request.ok = false;
    request.code = code;
    request.message = message;
    request.source = source;
    this.complete(request);
  }

  /** @internal Completes a request whose answer a per-call fault held back. */
  completeNow(request: Request): void {
    this.complete(request);
  }

  private complete(request: Request): void {
    if (request.replyDelayMs > 0 || request.replyBytesPerSec > 0) {
      // The answer is ready but leaves late (a per-call fault); the request keeps its slot meanwhile.
      const holdMs = replyHoldMs(request);
      request.replyDelayMs = 0;
      request.replyBytesPerSec = 0;
      if (holdMs > 0) {
        request.finished = true;
        this.schedule(holdMs, completeHeld, request);
        return;
      }
    }
    request.finished = true;
    this.unlinkRunning(request);
    const sim = this.host.sim;
    this.loadMeter.advanceToNow(this.busyWorkers, this.waiting.length);
    const ok = request.ok;
    if (ok) this.stats.completed++;
    else this.stats.failed++;
    sim.trace.recordSpan(
      request.traceKey,
      request.spanKey,
      request.parentSpanKey,
      this.name,
      request.method,
      request.startMs,
      sim.nowMs,
      ok ? 'ok' : 'error',
      ok ? undefined : request.code,
      // What the request answered enters the trace hash (the answer to a client crosses no network).
      ok ? request.value : request.message,
    );
    request.reply(request);
    this.busyWorkers--;
    if (this.busyWorkers < 0) this.invariantBroken(`${this.name} has ${this.busyWorkers} busy workers after ${request.method}`);
    this.startNext();
    if (this.draining) this.finishDrainIfIdle();
  }

  private startNext(): void {
    while (this.busyWorkers < this.options.workers && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      if (next.deadlineMs <= this.host.sim.nowMs) {
        // The caller has given up: serving it would waste a worker (load shedding by deadline).
        next.finished = true;
        this.stats.shed++;
        this.host.sim.trace.emit(this.host.sim.nowMs, 'request.expired', this.name, next.from, undefined, next.method);
        continue;
      }
      this.begin(next);
    }
  }

  private begin(request: Request): void {
    this.busyWorkers++;
    const newest = this.newestRunning;
    if (newest !== undefined) newest.newerRunning = request;
    request.olderRunning = newest;
    this.newestRunning = request;
    const handler = this.handlerOf(request.method);
    if (handler === undefined) {
      this.failWith(request, 'not-found', `${this.name} has no method ${request.method}`, this.name);
      return;
    }
    if (typeof handler === 'function') {
      this.invoke(request, handler);
      return;
    }
    request.handle = handler.handle;
    const serviceTimeMs = typeof handler.serviceTimeMs === 'number' ? handler.serviceTimeMs : this.rng.sample(handler.serviceTimeMs);
    const workMs = Math.max(0, serviceTimeMs) * this.cpuTimeFactor;
    if (this.cpu) this.cpu.run(workMs, () => invokeAfterServiceTime(request));
    // The request already carries its node and generation: no node-event record unless one is needed.
    else this.host.sim.schedule(workMs, serviceTimeDone, request);
  }

  /** Runs a handler and routes its result or error to `finish`. */
  invoke(request: Request, handler: Handler): void {
    let result: unknown;
    try {
      result = handler(request.payload, request);
    } catch (error) {
      this.fail(request, error);
      return;
    }
    if (isPromiseLike(result)) {
      this.host.sim.wake();
      result.then(
        (value) => this.succeed(request, value),
        (error: unknown) => this.fail(request, error),
      );
    } else {
      this.succeed(request, result);
    }
  }

  /**
   * A handler threw: the request fails either way; a programmer error is also reported (it fails
   * the run), and a broken engine invariant stops the run at once.
   */
  private fail(request: Request, error: unknown): void {
    if (error instanceof EngineInvariantError) {
      this.host.sim.fail(error);
      return;
    }
    if (!isDeliberateError(error)) this.host.reportHandlerBug(this, request.method, error);
    if (error instanceof RpcError) this.failWith(request, error.code, error.message, error.source ?? this.name);
    else this.failWith(request, 'application', errorMessage(error), this.name);
  }

  /**
   * Runs a lifecycle hook, timer or message handler (`where` names which, for error reports);
   * errors are reported, never thrown into the engine, except a broken engine invariant.
   */
  runHook(hook: () => void | Promise<void>, where: string): void {
    // Service code may start async work without returning it: always drain after it.
    this.host.sim.wake();
    try {
      const result = hook.call(this.service);
      if (isPromiseLike(result)) {
        result.then(undefined, (error: unknown) => this.hookFailed(error, where));
      }
    } catch (error) {
      this.hookFailed(error, where);
    }
  }

  private hookFailed(error: unknown, where: string): void {
    if (error instanceof EngineInvariantError) this.host.sim.fail(error);
    else this.host.reportProcessError(this, error, where);
  }

  /** Delivers a one-way message to the service. */
  deliverMessage(payload: unknown, from: string): void {
    const onMessage = this.service.onMessage;
    if (!onMessage) return;
    this.runHook(() => onMessage.call(this.service, payload, from), 'onMessage');
  }

  /** Stops the run: an engine invariant does not hold (a bug in dsim, reported with seed and time). */
  invariantBroken(message: string): never {
    const sim = this.host.sim;
    throw new EngineInvariantError(message, sim.seed, sim.nowMs);
  }

  private unlinkRunning(request: Request): void {
    const older = request.olderRunning;
    const newer = request.newerRunning;
    if (older !== undefined) older.newerRunning = newer;
    if (newer !== undefined) newer.olderRunning = older;
    else if (this.newestRunning === request) this.newestRunning = older;
    request.olderRunning = undefined;
    request.newerRunning = undefined;
  }

  private stopAccounting(): void {
    this.upMs += this.host.sim.nowMs - this.upSinceMs;
  }

  /** @internal used by fireNodeEvent */
  deferEvent(event: NodeEvent): void {
    this.deferred.push(event);
  }
}

function callDone(done: unknown): void {
  (done as () => void)();
}

/** Sends an answer a per-call fault held back (its node event is dropped if the node restarted). */
function completeHeld(arg: unknown): void {
  const request = arg as Request;
  request.finished = false;
  request.node.completeNow(request);
}

function invokeAfterServiceTime(arg: unknown): void {
  const request = arg as Request;
  request.node.invoke(request, request.handle!);
}

/** A request's service time has passed: run its handler, as a node event of the request's start. */
function serviceTimeDone(arg: unknown): void {
  const request = arg as Request;
  request.node.runEvent(request.generation, invokeAfterServiceTime, request);
}

function fireNodeEvent(arg: unknown): void {
  dispatchNodeEvent(arg as NodeEvent, false);
}

function replayNodeEvent(arg: unknown): void {
  const { node, generation } = arg as { node: SimNode; generation: number };
  if (generation !== node.generation) return;
  const event = node.nextReplay();
  if (event) dispatchNodeEvent(event, true);
}

function dispatchNodeEvent(event: NodeEvent, replay: boolean): void {
  const node = event.node;
  if (event.generation !== node.generation || node.status !== 'up') return;
  if (node.paused) {
    node.deferEvent(event);
    return;
  }
  if (!replay && node.replaying) {
    node.replayLater(event);
    return;
  }
  if (event.wakes) node.host.sim.wake();
  event.callback(event.arg);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
