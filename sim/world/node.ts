// A simulated node: a service instance built from a factory, with worker slots, a bounded request
// queue, simulated CPU time, and the node faults (crash, restart, pause, slow, clock skew).
import type { Simulation } from '../engine/simulation.ts';
import type { Distribution } from '../engine/rng.ts';
import { Rng } from '../engine/rng.ts';
import { ConfigError, RpcError, errorMessage, type RpcErrorCode } from '../engine/errors.ts';
import type { CallOutcome } from './rpc.ts';
import type { NodeContext } from './context.ts';
import { ProcessorSharingCpu } from './cpu.ts';
import { replyHoldMs, type CallInjections } from './call-injection.ts';

/** Handles one request; may be async. What it returns is the response; what it throws fails the request. */
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
  /** Free-form labels (service name, version), kept for discovery and reports. */
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

/** Where a finished request's answer goes. */
export type ReplyFn = (outcome: CallOutcome) => void;

/** A node-scoped event: dropped if the node restarted since, deferred while it is paused. */
interface NodeEvent {
  node: SimNode;
  generation: number;
  callback: (arg: unknown) => void;
  arg: unknown;
  /** The callback resolves a promise or runs service code: drain microtasks after it. */
  wakes: boolean;
}

/** The host-level services a node needs from its world. */
export interface NodeHost {
  readonly sim: Simulation;
  /** Builds the context handed to the node's factory. */
  makeContext(node: SimNode): NodeContext;
  /** Records a span that ended. */
  nextSpanId(): string;
  /** Records an error thrown by node code outside a request. */
  reportProcessError(node: SimNode, error: unknown): void;
  /** Per-call faults in effect (sim/world/call-injection.ts). */
  readonly callInjections?: CallInjections;
}

/** One request being served: the handler's view of it (`request.call`, `request.cpu`…). */
export class Request {
  readonly spanId: string;
  /** True virtual time the request was admitted. */
  readonly startMs: number;
  /** Set when the answer has been sent; later answers are ignored. */
  finished = false;
  /** A per-call fault holds the answer this long (slow first byte) before sending it. */
  replyDelayMs = 0;
  /** A per-call fault writes the answer at this many bytes per second (0: no limit). */
  replyBytesPerSec = 0;

  constructor(
    readonly node: SimNode,
    readonly method: string,
    readonly payload: unknown,
    /** The calling node, or `client` for workload traffic. */
    readonly from: string,
    /** Absolute true virtual time after which the caller no longer waits. */
    readonly deadlineMs: number,
    readonly traceId: string,
    readonly parentSpanId: string | undefined,
    readonly generation: number,
    readonly reply: ReplyFn,
  ) {
    this.spanId = node.host.nextSpanId();
    this.startMs = node.host.sim.nowMs;
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
      deadlineMs: options.deadlineMs === undefined ? this.deadlineMs : Math.min(options.deadlineMs, this.deadlineMs),
      traceId: this.traceId,
      parentSpanId: this.spanId,
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
  readonly waiting: Request[] = [];
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
  /** The shared CPU when the node models `cores`; kept across restarts for its busy-time total. */
  readonly cpu: ProcessorSharingCpu | undefined;

  constructor(
    readonly name: string,
    readonly host: NodeHost,
    private readonly factory: NodeFactory,
    options: ResolvedNodeOptions,
  ) {
    this.options = options;
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
    } catch (error) {
      // A configuration error (e.g. opening another service's database) stops the run with exit 2.
      if (error instanceof ConfigError) throw error;
      this.host.reportProcessError(this, error);
      this.service = {};
    }
    for (const [method, handler] of Object.entries(this.service.handlers ?? {})) this.handlers.set(method, handler);
    if (this.service.onStart) this.runHook(this.service.onStart);
  }

  /** Crash: in-flight and queued work is lost without answers, volatile state is gone. */
  crash(wipeDurable = false): void {
    if (this.status === 'down') return;
    this.stopAccounting();
    this.status = 'down';
    this.draining = false;
    this.onStopped = undefined;
    this.generation++;
    this.busyWorkers = 0;
    this.waiting.length = 0;
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
            this.host.reportProcessError(this, error);
            done();
          });
        } else {
          this.stopHookDone = true;
        }
      } catch (error) {
        this.host.reportProcessError(this, error);
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
    const event: NodeEvent = { node: this, generation: this.generation, callback, arg, wakes };
    return daemon ? this.host.sim.daemon(delayMs, fireNodeEvent, event) : this.host.sim.schedule(delayMs, fireNodeEvent, event);
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
    fireNodeEvent({ node: this, generation: this.generation, callback, arg, wakes: true });
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

  /** True if the method exists on the running service. */
  hasMethod(method: string): boolean {
    return this.handlers.has(method);
  }

  /** Methods of the running service, in declaration order. */
  methodNames(): string[] {
    return [...this.handlers.keys()];
  }

  /** The running service's handler for a method. */
  handlerFor(method: string): HandlerSpec | Handler | undefined {
    return this.handlers.get(method);
  }

  /**
   * Admits a request: start it in a free worker, queue it, or shed it with `overloaded`.
   * The caller has checked that the node is up and not paused.
   */
  admit(request: Request): void {
    if (this.draining) {
      request.finished = true;
      request.reply({ ok: false, code: 'refused', message: `${this.name} is shutting down`, source: this.name });
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
      this.stats.shed++;
      this.host.sim.trace.emit(this.host.sim.nowMs, 'request.shed', this.name, request.from, undefined, request.method);
      request.finished = true;
      request.reply({ ok: false, code: 'overloaded', message: `${this.name} queue full (${this.options.queueCapacity})`, source: this.name });
    }
  }

  /** Ends a request with a value or an error; frees its worker and starts the next one. */
  finish(request: Request, outcome: CallOutcome): void {
    if (request.finished || request.generation !== this.generation) return;
    if (request.replyDelayMs > 0 || request.replyBytesPerSec > 0) {
      // The answer is ready but leaves late; the request keeps its slot meanwhile.
      const holdMs = replyHoldMs(request, outcome);
      request.replyDelayMs = 0;
      request.replyBytesPerSec = 0;
      if (holdMs > 0) {
        this.schedule(holdMs, () => this.finish(request, outcome));
        return;
      }
    }
    request.finished = true;
    const sim = this.host.sim;
    if (outcome.ok) this.stats.completed++;
    else this.stats.failed++;
    sim.trace.recordSpan(
      request.traceId,
      request.spanId,
      request.parentSpanId,
      this.name,
      request.method,
      request.startMs,
      sim.nowMs,
      outcome.ok ? 'ok' : 'error',
      outcome.ok ? undefined : outcome.code,
    );
    request.reply(outcome);
    this.busyWorkers--;
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
    const handler = this.handlers.get(request.method);
    if (handler === undefined) {
      this.finish(request, { ok: false, code: 'not-found', message: `${this.name} has no method ${request.method}`, source: this.name });
      return;
    }
    if (typeof handler === 'function') {
      this.invoke(request, handler);
      return;
    }
    const serviceTimeMs = typeof handler.serviceTimeMs === 'number' ? handler.serviceTimeMs : this.rng.sample(handler.serviceTimeMs);
    const workMs = Math.max(0, serviceTimeMs) * this.cpuTimeFactor;
    if (this.cpu) this.cpu.run(workMs, () => invokeAfterServiceTime(request));
    else this.schedule(workMs, invokeAfterServiceTime, request);
  }

  /** Runs a handler and routes its result or error to `finish`. */
  invoke(request: Request, handler: Handler): void {
    let result: unknown;
    try {
      result = handler(request.payload, request);
    } catch (error) {
      this.finish(request, failureOutcome(error, this.name));
      return;
    }
    if (isPromiseLike(result)) {
      this.host.sim.wake();
      result.then(
        (value) => this.finish(request, { ok: true, value }),
        (error: unknown) => this.finish(request, failureOutcome(error, this.name)),
      );
    } else {
      this.finish(request, { ok: true, value: result });
    }
  }

  /** Runs a lifecycle hook or message handler; errors are reported, never thrown into the engine. */
  runHook(hook: () => void | Promise<void>): void {
    // Service code may start async work without returning it: always drain after it.
    this.host.sim.wake();
    try {
      const result = hook.call(this.service);
      if (isPromiseLike(result)) {
        result.then(undefined, (error: unknown) => this.host.reportProcessError(this, error));
      }
    } catch (error) {
      this.host.reportProcessError(this, error);
    }
  }

  /** Delivers a one-way message to the service. */
  deliverMessage(payload: unknown, from: string): void {
    const onMessage = this.service.onMessage;
    if (!onMessage) return;
    this.runHook(() => onMessage.call(this.service, payload, from));
  }

  private stopAccounting(): void {
    this.upMs += this.host.sim.nowMs - this.upSinceMs;
  }

  /** @internal used by fireNodeEvent */
  deferEvent(event: NodeEvent): void {
    this.deferred.push(event);
  }
}

function invokeAfterServiceTime(arg: unknown): void {
  const request = arg as Request;
  const handler = request.node.handlerFor(request.method) as HandlerSpec;
  request.node.invoke(request, handler.handle);
}

function callDone(done: unknown): void {
  (done as () => void)();
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

/** Turns anything a handler threw into a typed outcome; RpcErrors keep their code. */
export function failureOutcome(error: unknown, source: string): CallOutcome {
  if (error instanceof RpcError) return { ok: false, code: error.code, message: error.message, source: error.source ?? source };
  return { ok: false, code: 'application', message: errorMessage(error), source };
}

/** Builds the RpcError a caller sees from a failed outcome. */
function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
