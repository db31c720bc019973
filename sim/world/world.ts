// A simulated world: the clock, the network and the nodes on it, the client ingress that workloads
// use, and the fault operations as methods (the same operations `faults.ts` describes as values).
import { Simulation } from '../engine/simulation.ts';
import type { TraceIdKey } from '../engine/trace.ts';
import { Network, type LinkOptions, type Envelope } from './network.ts';
import { SimNode, Request, type NodeFactory, type NodeHost, type NodeOptions, type ResolvedNodeOptions } from './node.ts';
import { NodeContext, type ContextHost } from './context.ts';
import { ConfigError, EngineInvariantError, RpcError, errorMessage } from '../engine/errors.ts';
import { ServiceErrorLog, suggestion } from './service-errors.ts';
import type { CallOutcome, MessageBody, RpcCall } from './rpc.ts';
import { IngressCall, outcomeError, type IngressCallback } from './rpc.ts';
import { COMPACT_MIN_ANSWERED, DeadlineLines, type DeadlineLine } from './deadline-line.ts';
export type { IngressCallback } from './rpc.ts';
import { ClientContext, type ClientObserver, type ClientScript } from './client.ts';
import { CallInjections } from './call-injection.ts';

/** The name workload traffic comes from. No node may take it. */
export const CLIENT = 'client';

/** World-wide settings. */
export interface WorldOptions {
  /** Default link for every pair of nodes. */
  network?: LinkOptions;
  /** Defaults for nodes that do not set their own. */
  nodeDefaults?: NodeOptions;
}

/** Options of one workload request entering the system. */
export interface IngressOptions {
  /** The client gives up after this many ms (the request then counts as failed). Default 1000. */
  timeoutMs?: number;
  /** Trace id; a new one is made when absent. */
  traceId?: string;
}


/**
 * Owns one run's simulation, network and nodes. Scenarios build a world per variant; faults are
 * applied to it either by calling these methods or by scheduling fault values.
 */
export class World implements ContextHost {
  readonly sim: Simulation;
  readonly network: Network;
  private readonly nodes = new Map<string, SimNode>();
  private readonly nodeDefaults: ResolvedNodeOptions;
  private nextCall = 1;
  private nextTrace = 1;
  private nextSpan = 1;
  /** Errors thrown by node code outside requests (hooks, timers, background processes). */
  processErrors = 0;
  /** The first such error, for failure messages. */
  firstProcessError: string | undefined;
  /** Errors thrown by service code, grouped by message; programmer errors fail the run. */
  readonly serviceErrors = new ServiceErrorLog();
  /** Errors already recorded (one rethrown or seen by several catch sites counts once). */
  private readonly recordedErrors = new WeakSet<object>();
  /** Per-call faults in effect (on nodes' methods and on links). */
  readonly callInjections: CallInjections;

  constructor(seed: number, options: WorldOptions = {}) {
    this.sim = new Simulation(seed);
    this.network = new Network(this.sim, (envelope) => this.deliver(envelope), options.network ?? {});
    this.nodeDefaults = resolveNodeOptions(options.nodeDefaults ?? {}, DEFAULT_NODE_OPTIONS, 'node defaults');
    this.callInjections = new CallInjections(this.sim, this.sim.rng.fork('call-faults'));
    this.network.interceptor = (envelope) => this.callInjections.onLinkSend(envelope);
    this.nodeHost = {
      callInjections: this.callInjections,
      sim: this.sim,
      makeContext: (node: SimNode) => new NodeContext(node, this),
      nextSpanId: () => this.nextSpan++,
      reportProcessError: (node: SimNode, error: unknown, where: string) => this.reportProcessError(node, error, where),
      reportHandlerBug: (node: SimNode, method: string, error: unknown) => this.recordServiceError(node.name, method, error),
    };
  }

  /** The host interface nodes see. */
  private readonly nodeHost: NodeHost;

  /** Hands a delivered envelope to its (up) node; one function for every delivery. */
  private readonly arrive = (arg: unknown): void => {
    const envelope = arg as Envelope;
    this.handleArrivalNow(this.nodes.get(envelope.to)!, envelope);
  };

  /** Virtual time now, in ms. */
  get nowMs(): number {
    return this.sim.nowMs;
  }

  /** Adds a node and starts it. The factory runs again on every restart. */
  addNode(name: string, factory: NodeFactory, options: NodeOptions = {}): SimNode {
    if (!/^[A-Za-z0-9_.:-]+$/.test(name)) {
      throw new ConfigError(`node name '${name}' is invalid: use letters, digits and _ . : - only`);
    }
    if (name === CLIENT || this.nodes.has(name)) {
      throw new ConfigError(`node name '${name}' is already taken: give each node a unique name (and not '${CLIENT}')`);
    }
    const resolved = resolveNodeOptions(options, this.nodeDefaults, `node ${name}`);
    const node = new SimNode(name, this.nodeHost, factory, resolved);
    this.nodes.set(name, node);
    node.start();
    this.sim.trace.emit(this.sim.nowMs, 'node.start', name);
    return node;
  }

  /** The node called `name`; a ConfigError lists the known names if there is none. */
  node(name: string): SimNode {
    const node = this.nodes.get(name);
    if (!node) {
      const known = [...this.nodes.keys()].join(', ') || '(none)';
      throw new ConfigError(`unknown node '${name}': known nodes are ${known}`);
    }
    return node;
  }

  /** True if a node of that name exists. */
  hasNode(name: string): boolean {
    return this.nodes.has(name);
  }

  /** All nodes, in the order they were added. */
  allNodes(): SimNode[] {
    return [...this.nodes.values()];
  }

  /**
   * Removes a node for good (scale-in, a replaced pod): it stops admitting at once, drains what it
   * admitted (up to `gracePeriodMs`), then goes down and is never restarted by healing.
   */
  removeNode(name: string, gracePeriodMs = 5_000): void {
    const node = this.node(name);
    node.removed = true;
    this.sim.trace.emit(this.sim.nowMs, 'node.removed', name);
    node.stopGracefully(gracePeriodMs);
  }

  /** Stops a node gracefully (it may be restarted later): drain, `onStop`, then down. */
  stop(name: string, gracePeriodMs = 5_000): void {
    this.sim.trace.emit(this.sim.nowMs, 'node.stop', name);
    this.node(name).stopGracefully(gracePeriodMs);
  }

  // ---- faults as methods -------------------------------------------------------------------

  /** Crashes a node: in-flight work lost, callers time out, volatile state gone. */
  crash(name: string, options: { wipeDurable?: boolean } = {}): void {
    const node = this.node(name);
    if (node.status === 'down') return;
    node.crash(options.wipeDurable ?? false);
    this.sim.trace.emit(this.sim.nowMs, 'node.crash', name, undefined, undefined, options.wipeDurable ? 'wipe' : undefined);
  }

  /** Restarts a crashed node from its factory and durable state (a running node is crashed first). */
  restart(name: string): void {
    const node = this.node(name);
    if (node.status === 'up') node.crash(false);
    node.stats.restarts++;
    node.start();
    this.sim.trace.emit(this.sim.nowMs, 'node.restart', name);
  }

  /**
   * Crash-loop: the node crashes now and each of its next `starts` starts ends in a crash
   * `startupMs` later (a bad config or a poison message read at startup). Something else must
   * restart it (self-healing); `starts` 0 clears the loop.
   */
  crashLoop(name: string, starts: number, startupMs = 100): void {
    if (!(Number.isInteger(starts) && starts >= 0)) throw new ConfigError(`crash-loop starts for ${name} is ${starts}: use a whole number >= 0`);
    if (!(startupMs >= 0)) throw new ConfigError(`crash-loop startupMs for ${name} is ${startupMs}: use a number of ms >= 0`);
    const node = this.node(name);
    node.crashOnStarts = starts;
    node.crashOnStartAfterMs = startupMs;
    this.sim.trace.emit(this.sim.nowMs, 'node.crash-loop', name, undefined, starts);
    if (starts > 0) this.crash(name);
  }

  /** Stop-the-world pause (a long GC, a VM migration); `resume` ends it. */
  pause(name: string): void {
    this.node(name).pause();
    this.sim.trace.emit(this.sim.nowMs, 'node.pause', name);
  }

  /** Ends a pause. */
  resume(name: string): void {
    this.node(name).resume();
    this.sim.trace.emit(this.sim.nowMs, 'node.resume', name);
  }

  /** Multiplies a node's service time by `factor` (1 restores it): a gray failure. */
  slow(name: string, factor: number): void {
    if (!(factor > 0 && Number.isFinite(factor))) throw new ConfigError(`slow factor for ${name} is ${factor}: use a finite number > 0`);
    this.node(name).slowFactor = factor;
    this.sim.trace.emit(this.sim.nowMs, 'node.slow', name, undefined, undefined, String(factor));
  }

  /** Sets a node's clock skew (ms) and drift (ppm); `now()` on that node moves accordingly. */
  skewClock(name: string, skewMs: number, driftPpm = 0): void {
    if (!Number.isFinite(skewMs) || !(driftPpm > -1e6 && driftPpm < 1e6)) {
      throw new ConfigError(`clock skew for ${name} is ${skewMs} ms / ${driftPpm} ppm: use finite values with |drift| < 1e6 ppm`);
    }
    const node = this.node(name);
    node.clockSkewMs = skewMs;
    node.clockDriftPpm = driftPpm;
    node.driftSinceMs = this.sim.nowMs;
    this.sim.trace.emit(this.sim.nowMs, 'node.skew', name, undefined, undefined, `${skewMs}ms ${driftPpm}ppm`);
  }

  /** Cuts traffic between two groups (both ways unless `oneWay`); returns an id for `heal`. */
  partition(from: readonly string[], to: readonly string[], options: { oneWay?: boolean } = {}): number {
    for (const name of [...from, ...to]) if (name !== CLIENT) this.node(name);
    const id = this.network.partition(from, to, options.oneWay ?? false);
    this.sim.trace.emit(this.sim.nowMs, 'net.partition', from.join(','), to.join(','), id, options.oneWay ? 'one-way' : 'both');
    return id;
  }

  /** Cuts one node off from every other node and the clients. */
  isolate(name: string): number {
    const others = [CLIENT, ...[...this.nodes.keys()].filter((other) => other !== name)];
    return this.partition([name], others);
  }

  /** Heals one partition, or all. */
  heal(id?: number): void {
    this.network.heal(id);
    this.sim.trace.emit(this.sim.nowMs, 'net.heal', id === undefined ? '*' : String(id));
  }

  /** Holds messages from → to (`*` for any) in flight until `release`. */
  hold(from: string, to: string): void {
    this.network.hold(from, to);
    this.sim.trace.emit(this.sim.nowMs, 'net.hold', from, to);
  }

  /** Releases held messages. */
  release(from = '*', to = '*'): void {
    this.network.release(from, to);
    this.sim.trace.emit(this.sim.nowMs, 'net.release', from, to);
  }

  /** Configures one direction of a link. */
  setLink(from: string, to: string, options: LinkOptions): void {
    this.network.setLink(from, to, options);
  }

  // ---- workload ingress --------------------------------------------------------------------

  /**
   * Sends a request from outside (the workload) straight into node `to`'s admission queue and
   * calls `onDone` exactly once: with the answer, an error, or a client-side timeout. The client
   * sits next to the entry node: no network hop either way (add a proxy node to model
   * one), but a partition that cuts the entry node off from `client` still blocks it.
   */
  request(to: string, method: string, payload: unknown, options: IngressOptions, onDone: IngressCallback, tag?: unknown): void {
    const sim = this.sim;
    const timeoutMs = options.timeoutMs ?? 1000;
    // Nodes are never removed, so the last target found stays valid; traffic mostly has one entry.
    const node = to === this.lastIngressTo ? this.lastIngressNode : this.nodes.get(to);
    if (node !== undefined) {
      this.lastIngressTo = to;
      this.lastIngressNode = node;
    }
    if (!node || (node.status === 'up' && node.serviceBuilt && !node.hasMethod(method))) this.unknownIngressTarget(to, method);
    // `partitioned` first: the call to `blocked` is not inlined here (this function is too big).
    if (!node || node.status === 'down' || (this.network.partitioned && this.network.blocked(CLIENT, to))) {
      const code = node && node.status === 'down' ? 'refused' : 'unavailable';
      onDone({ ok: false, code, message: node ? `${to} is ${node.status === 'down' ? 'down' : 'unreachable'}` : `no node ${to}`, source: to }, tag);
      return;
    }
    const request = new Request(0, CLIENT, to, method, payload, sim.nowMs + timeoutMs, options.traceId ?? this.newTraceKey(), undefined, this.answerIngress);
    // The client's side rides on the request itself: no closure or state object per request.
    const ingress = new IngressCall(onDone, tag);
    request.ingress = ingress;
    const line = this.deadlineLine(timeoutMs);
    if (line !== undefined) {
      // Its timeout waits in the line of requests with the same timeout, where its own timer would have been.
      ingress.line = line;
      line.add(ingress, sim.nowMs + timeoutMs, sim.reserveSeq());
    } else {
      ingress.timerHandle = sim.schedule(timeoutMs, ingressTimeout, ingress);
    }
    request.claim(node);
    if (node.paused) node.runOrDefer(admitDeferred, request);
    else node.admit(request);
  }

  /** The node the last ingress request went to (see `request`). */
  private lastIngressTo: string | undefined = undefined;
  private lastIngressNode: SimNode | undefined = undefined;

  /** Hands an ingress request's answer to its client, unless the client gave up or a partition eats it. */
  private readonly answerIngress = (answered: Request): void => {
    const ingress = answered.ingress!;
    if (ingress.settled) return;
    if (this.network.partitioned && this.network.blocked(answered.to, CLIENT)) {
      // The answer would cross a partition (isolate cuts the clients off too): the client times out.
      this.sim.trace.emit(this.sim.nowMs, 'msg.dropped', answered.to, CLIENT, undefined, 'partition');
      return;
    }
    ingress.settled = true;
    if (ingress.line !== undefined) ingress.line.answered();
    else this.sim.cancel(ingress.timerHandle);
    ingress.onDone(outcomeOf(answered), ingress.tag);
  };

  /** @internal Timeouts wait in lines (true); false gives each call its own timer, which tests compare with. */
  deadlineLines = true;
  /** @internal Settled entries a line tolerates before it compacts (tests make it small). */
  lineCompactMin = COMPACT_MIN_ANSWERED;
  /** Lines of ingress timeouts by timeout (see deadline-line.ts), made at the first request. */
  private ingressLines: DeadlineLines<IngressCall> | undefined = undefined;

  /** The line for requests with this timeout; undefined for a timeout that gets its own timer. */
  private deadlineLine(timeoutMs: number): DeadlineLine<IngressCall> | undefined {
    if (!this.deadlineLines) return undefined;
    this.ingressLines ??= new DeadlineLines(this.sim, timeOutIngress, MAX_INGRESS_LINES, this.lineCompactMin);
    return this.ingressLines.lineFor(timeoutMs);
  }

  /** Workload traffic to an unknown node or method: the scenario's bug, recorded as one. */
  private unknownIngressTarget(to: string, method: string): void {
    const problem = this.callTargetProblem(CLIENT, to, method)!;
    this.recordServiceError(CLIENT, 'workload', new ReferenceError(problem.replace(/^client calls/, 'the workload calls')));
  }

  /** The promise form of `request`: resolves with the answer or rejects with an RpcError. */
  call<T = unknown>(to: string, method: string, payload?: unknown, options: IngressOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.request(to, method, payload, options, (outcome) => {
        this.sim.wake();
        if (outcome.ok) resolve(outcome.value as T);
        else reject(outcomeError(outcome));
      });
    });
  }

  /**
   * Starts a scripted client now: `world.client(async (ctx) => { await ctx.call('api', 'order', …) })`.
   * Its requests enter like the workload's and count in the run's metrics the same way.
   */
  client(script: ClientScript): void {
    const context = new ClientContext(this, () => this.clientObserver);
    this.sim.spawn(() => script(context));
  }

  /** Sets who is told of scripted clients' requests (the harness, to count them as traffic). */
  observeClients(observer: ClientObserver): void {
    this.clientObserver = observer;
  }

  private clientObserver: ClientObserver | undefined;

  // ---- ContextHost -------------------------------------------------------------------------

  nextCallId(): number {
    return this.nextCall++;
  }

  /** A new trace, numbered (its text, `t…`, is made only when read). */
  newTraceKey(): number {
    return this.nextTrace++;
  }

  newCall(from: string, callId: number, to: string, method: string, payload: unknown, deadlineMs: number, traceKey: TraceIdKey, parentSpanKey: TraceIdKey | undefined): RpcCall {
    return new Request(callId, from, to, method, payload, deadlineMs, traceKey, parentSpanKey, this.replyOverNetwork);
  }

  sendCall(call: RpcCall): void {
    this.network.send(call.from, call.to, call.method, call);
  }

  /** Sends an answered call back to its caller: the same record, now carrying its outcome. */
  private readonly replyOverNetwork = (request: Request): void => {
    this.network.send(request.to, request.from, request.ok ? 'reply' : 'reply-error', request, true);
  };

  sendMessage(from: string, to: string, payload: unknown, label: string, traceId?: string): void {
    this.network.send(from, to, label, { type: 'message', payload, traceId });
  }

  reportProcessError(node: SimNode, error: unknown, where: string): void {
    if (error instanceof EngineInvariantError) {
      this.sim.fail(error);
      return;
    }
    this.recordServiceError(node.name, where, error);
    this.processErrors++;
    const message = `${node.name}: ${errorMessage(error)}`;
    this.firstProcessError ??= message;
    this.sim.trace.emit(this.sim.nowMs, 'process.error', node.name, undefined, undefined, errorMessage(error));
  }


  /**
   * Why a call or message from service code to `to` (and `method`, for a call) cannot be right, or
   * undefined: no such node, or the node runs a service without that method. A node that is down
   * or could not build its service is not judged (its handlers are unknown).
   */
  callTargetProblem(from: string, to: string, method: string | undefined): string | undefined {
    const target = this.nodes.get(to);
    if (target === undefined) {
      if (to === CLIENT) return undefined;
      return `${from} calls unknown node '${to}'${suggestion(to, this.nodes.keys())}`;
    }
    if (method === undefined || target.status !== 'up' || !target.serviceBuilt || target.hasMethod(method)) return undefined;
    return `${from} calls ${to}.${method}, but ${to} has no method '${method}'${suggestion(method, target.methods())}`;
  }

  /** Records an error thrown by service code on `node` in `method` (once per error object). */
  recordServiceError(node: string, method: string, error: unknown): void {
    if (typeof error === 'object' && error !== null) {
      if (this.recordedErrors.has(error)) return;
      this.recordedErrors.add(error);
    }
    this.serviceErrors.record(node, method, error, this.sim.nowMs);
  }

  /**
   * Requests still running (a worker busy on them) at least `afterDeadlineMs` after their caller's
   * deadline, per node and method: a handler that never resolves shows up here.
   */
  hungRequests(afterDeadlineMs: number): HungRequests[] {
    const byKey = new Map<string, HungRequests>();
    for (const node of this.nodes.values()) {
      for (const request of node.runningRequests()) {
        if (this.sim.nowMs - request.deadlineMs < afterDeadlineMs) continue;
        const key = `${node.name}\u0000${request.method}`;
        const entry = byKey.get(key);
        if (entry) {
          entry.count++;
          entry.oldestStartMs = Math.min(entry.oldestStartMs, request.startMs);
        } else {
          byKey.set(key, { node: node.name, method: request.method, count: 1, oldestStartMs: request.startMs });
        }
      }
    }
    return [...byKey.values()];
  }

  // ---- delivery ----------------------------------------------------------------------------

  private deliver(envelope: Envelope): void {
    const sim = this.sim;
    const body = envelope.body;
    const node = this.nodes.get(envelope.to);
    if (envelope.failWith !== undefined && !envelope.response && body instanceof Request) {
      // A per-call error fault on the link: the request is answered with the code and never reaches the node.
      const failed = body.claimed ? body.duplicate() : body;
      failed.claimed = true;
      failed.ok = false;
      failed.code = envelope.failWith;
      failed.message = `injected ${envelope.failWith} on ${envelope.from}->${envelope.to}`;
      failed.source = envelope.to;
      this.network.send(envelope.to, envelope.from, 'reply-error', failed, true);
      return;
    }
    if (!node || node.status === 'down') {
      sim.trace.emit(sim.nowMs, 'msg.dropped', envelope.from, envelope.to, envelope.id, 'node-down');
      if (node && !envelope.response && body instanceof Request) {
        // The process is gone but its host answers: connection refused.
        const refused = body.claimed ? body.duplicate() : body;
        refused.claimed = true;
        refused.ok = false;
        refused.code = 'refused';
        refused.message = `${envelope.to} refused the connection (down)`;
        this.network.send(envelope.to, envelope.from, 'refused', refused, true);
      }
      return;
    }
    // The payload's digest enters the trace hash: a run that differs only in data is caught. An answer
    // was digested already when its request finished (the span), so responses skip it.
    if (envelope.response) sim.trace.emitMessage(sim.nowMs, 'msg.delivered', envelope.from, envelope.to, envelope.id, envelope.label);
    else sim.trace.emitMessage(sim.nowMs, 'msg.delivered', envelope.from, envelope.to, envelope.id, envelope.label, body instanceof Request ? body.payload : (body as MessageBody).payload);
    node.runOrDefer(this.arrive, envelope);
  }

  /** @internal */
  handleArrivalNow(node: SimNode, envelope: Envelope): void {
    const body = envelope.body;
    if (!(body instanceof Request)) {
      node.deliverMessage((body as MessageBody).payload, envelope.from);
    } else if (envelope.response) {
      // Only the context that made the call settles it; one from before a restart died with it.
      if (body.caller === node.ctx) node.ctx.receiveResponse(body);
    } else {
      // A call the network duplicated arrives twice: each delivery answers in its own record.
      const request = body.claimed ? body.duplicate() : body;
      request.claim(node);
      node.admit(request);
    }
  }
}

/** Requests of one node and method that are still running long after their caller gave up. */
export interface HungRequests {
  node: string;
  method: string;
  count: number;
  /** When the oldest of them started, virtual ms. */
  oldestStartMs: number;
}

const DEFAULT_NODE_OPTIONS: ResolvedNodeOptions = { workers: 4, concurrency: 'threads', cores: undefined, queueCapacity: 64, defaultTimeoutMs: 1000, labels: {} };

/** In-flight limit of an event-loop node that gives none. */
export const DEFAULT_MAX_IN_FLIGHT = 1000;

/** Fills node defaults and validates them; throws ConfigError naming `where`. */
export function resolveNodeOptions(options: NodeOptions, base: ResolvedNodeOptions, where: string): ResolvedNodeOptions {
  const concurrency = resolveConcurrency(options, base, where);
  const resolved: ResolvedNodeOptions = {
    ...concurrency,
    queueCapacity: options.queueCapacity ?? base.queueCapacity,
    defaultTimeoutMs: options.defaultTimeoutMs ?? base.defaultTimeoutMs,
    labels: { ...base.labels, ...options.labels },
  };
  if (!Number.isInteger(resolved.workers) || resolved.workers < 1) {
    const field = resolved.concurrency === 'event-loop' ? 'eventLoop.maxInFlight' : options.threads !== undefined ? 'threads' : 'workers';
    throw new ConfigError(`${where}: ${field} is ${resolved.workers}; use a whole number >= 1`);
  }
  if (resolved.cores !== undefined && !(typeof resolved.cores === 'number' && resolved.cores > 0 && Number.isFinite(resolved.cores))) {
    throw new ConfigError(`${where}: cores is ${typeof resolved.cores === 'string' ? JSON.stringify(resolved.cores) : String(resolved.cores)}; use a finite number > 0 (or leave it out: CPU bursts are then plain delays)`);
  }
  if (!Number.isInteger(resolved.queueCapacity) || resolved.queueCapacity < 0) {
    throw new ConfigError(`${where}: queueCapacity is ${resolved.queueCapacity}; use a whole number >= 0`);
  }
  if (!(resolved.defaultTimeoutMs > 0)) {
    throw new ConfigError(`${where}: defaultTimeoutMs is ${resolved.defaultTimeoutMs}; use a number of ms > 0`);
  }
  return resolved;
}

/**
 * Threads or event loop, and cores. `threads` (alias `workers`) and `eventLoop` exclude each other;
 * an event loop without `cores` gets one (a single loop thread); threads without `cores` keep CPU
 * as a per-burst delay, so existing scenarios keep their figures.
 */
function resolveConcurrency(options: NodeOptions, base: ResolvedNodeOptions, where: string): Pick<ResolvedNodeOptions, 'workers' | 'concurrency' | 'cores'> {
  const eventLoop = options.eventLoop;
  if (eventLoop !== undefined && typeof eventLoop !== 'boolean' && (typeof eventLoop !== 'object' || eventLoop === null)) {
    throw new ConfigError(`${where}: eventLoop is ${JSON.stringify(eventLoop)}; use true or { maxInFlight }`);
  }
  const threads = options.threads ?? options.workers;
  if (eventLoop && threads !== undefined) {
    throw new ConfigError(`${where}: both ${options.threads !== undefined ? 'threads' : 'workers'} and eventLoop are set; a node is thread-per-request or an event loop, choose one`);
  }
  if (options.threads !== undefined && options.workers !== undefined && options.threads !== options.workers) {
    throw new ConfigError(`${where}: threads (${options.threads}) and workers (${options.workers}) differ; they are the same setting, give one`);
  }
  if (eventLoop) {
    const maxInFlight = typeof eventLoop === 'object' ? (eventLoop.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT) : DEFAULT_MAX_IN_FLIGHT;
    return { workers: maxInFlight, concurrency: 'event-loop', cores: options.cores ?? 1 };
  }
  if (threads !== undefined) return { workers: threads, concurrency: 'threads', cores: options.cores ?? base.cores };
  return { workers: base.workers, concurrency: base.concurrency, cores: options.cores ?? base.cores };
}

function ingressTimeout(arg: unknown): void {
  const ingress = arg as IngressCall;
  if (ingress.settled) return;
  timeOutIngress(ingress);
}

/** The client gives up on an unanswered ingress request. */
function timeOutIngress(ingress: IngressCall): void {
  ingress.settled = true;
  ingress.onDone({ ok: false, code: 'timeout', message: 'client timed out', source: CLIENT }, ingress.tag);
}

/** Distinct ingress timeouts that get a line each; requests with any other timeout get their own timer. */
const MAX_INGRESS_LINES = 64;

/** The ingress answer as a value (one object per workload request, as the callback keeps it). */
function outcomeOf(request: Request): CallOutcome {
  if (request.ok) return { ok: true, value: request.value };
  return { ok: false, code: request.code ?? 'application', message: request.message ?? 'error', source: request.source };
}

function admitDeferred(arg: unknown): void {
  const request = arg as Request;
  request.node.admit(request);
}


export { RpcError };
