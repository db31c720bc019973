// Per-call faults in effect in a world: each hits a share (`rate`) of the calls to a node's method,
// or of the messages on a link, and adds latency, fails them with an error code, swallows them,
// limits their bandwidth or holds their first byte. The fault values live in sim/harness/call-faults.ts.
import type { Distribution, Rng } from '../engine/rng.ts';
import type { Simulation } from '../engine/simulation.ts';
import type { RpcErrorCode } from '../engine/errors.ts';
import type { Envelope, LinkInjection } from './network.ts';
import { estimateSizeBytes } from './payload-size.ts';

/** Calls to `node` (only `method` when given), from anyone; or every message on the link `from` → `to`. */
export type CallTarget = { node: string; method?: string } | { from: string; to: string };

/** What a per-call fault does to a call it hits. */
export type CallEffect =
  /** Extra delay before the request reaches the handler (method), or added to the message's latency (link). */
  | { kind: 'latency'; latencyMs: Distribution }
  /** The call fails with this code without reaching the handler (as a sidecar proxy's abort). */
  | { kind: 'error'; code: RpcErrorCode }
  /** No answer at all: the caller times out. */
  | { kind: 'blackhole' }
  /** Method: the answer is written at this rate, holding the request's slot; link: messages sent at it. */
  | { kind: 'bandwidth'; bytesPerSec: number }
  /** Method: the answer is held this long before it leaves, holding the slot; link: the link idles this long before sending. */
  | { kind: 'first-byte'; delayMs: Distribution };

/** One per-call fault in effect. */
export interface CallInjection {
  target: CallTarget;
  effect: CallEffect;
  /** Share of the calls (or messages) hit, in [0, 1]; each draws independently. */
  rate: number;
}

/** What the injections need from the node a request arrives at. */
export interface InjectionNode {
  readonly name: string;
  schedule(delayMs: number, callback: (arg: unknown) => void, arg?: unknown): number;
  admit(request: InjectionRequest): void;
  readonly stats: { failed: number };
}

/** What the injections need from a request: the call's one record, which carries its outcome back. */
export interface InjectionRequest {
  readonly method: string;
  readonly from: string;
  finished: boolean;
  replyDelayMs: number;
  replyBytesPerSec: number;
  ok: boolean;
  value: unknown;
  code: RpcErrorCode | undefined;
  message: string | undefined;
  source: string | undefined;
  /** Sends the answer (the outcome fields written) back to the caller. */
  answer(): void;
}

/** The per-call faults in effect in one world, with their own random stream (`call-faults`). */
export class CallInjections {
  private readonly active = new Map<number, CallInjection>();
  private nextId = 1;
  /** Requests that already went through admission faults (after an injected latency they are admitted again). */
  private readonly passed = new WeakSet<object>();

  constructor(
    private readonly sim: Simulation,
    private readonly rng: Rng,
  ) {}

  /** Faults in effect. */
  get count(): number {
    return this.active.size;
  }

  /** Puts a fault in effect; returns an id for `remove`. */
  add(injection: CallInjection): number {
    const id = this.nextId++;
    this.active.set(id, injection);
    return id;
  }

  /** Ends a fault. */
  remove(id: number): void {
    this.active.delete(id);
  }

  /** Ends every fault. */
  clear(): void {
    this.active.clear();
  }

  /**
   * Applies the method faults on `node` to a request arriving there. True when the request was
   * answered or swallowed here (the node does nothing more with it) or will be admitted later.
   */
  atAdmission(node: InjectionNode, request: InjectionRequest): boolean {
    if (this.passed.has(request)) return false;
    this.passed.add(request);
    let latencyMs = 0;
    for (const injection of this.active.values()) {
      const target = injection.target;
      if (!('node' in target) || target.node !== node.name || (target.method !== undefined && target.method !== request.method)) continue;
      if (!this.rng.chance(injection.rate)) continue;
      const effect = injection.effect;
      this.sim.trace.emit(this.sim.nowMs, 'call.fault', node.name, request.from, undefined, `${effect.kind} ${request.method}`);
      switch (effect.kind) {
        case 'error':
          request.finished = true;
          node.stats.failed++;
          request.ok = false;
          request.code = effect.code;
          request.message = `injected ${effect.code} on ${node.name}.${request.method}`;
          request.source = node.name;
          request.answer();
          return true;
        case 'blackhole':
          request.finished = true;
          return true;
        case 'latency':
          latencyMs += Math.max(0, this.rng.sample(effect.latencyMs));
          break;
        case 'first-byte':
          request.replyDelayMs += Math.max(0, this.rng.sample(effect.delayMs));
          break;
        case 'bandwidth':
          request.replyBytesPerSec = request.replyBytesPerSec > 0 ? Math.min(request.replyBytesPerSec, effect.bytesPerSec) : effect.bytesPerSec;
          break;
      }
    }
    if (latencyMs <= 0) return false;
    node.schedule(latencyMs, () => node.admit(request));
    return true;
  }

  /** Decides the link faults for one message about to be sent (the network's interceptor). */
  onLinkSend(envelope: Envelope): LinkInjection | undefined {
    if (this.active.size === 0) return undefined;
    let result: LinkInjection | undefined;
    for (const injection of this.active.values()) {
      const target = injection.target;
      if (!('from' in target) || !matches(target.from, envelope.from) || !matches(target.to, envelope.to)) continue;
      const effect = injection.effect;
      const isRequest = !envelope.response && (envelope.body as { method?: unknown }).method !== undefined;
      if (effect.kind === 'error' && !isRequest) continue; // only a request can be answered with an error
      if (!this.rng.chance(injection.rate)) continue;
      this.sim.trace.emit(this.sim.nowMs, 'call.fault', envelope.from, envelope.to, envelope.id, `${effect.kind} ${envelope.label}`);
      result ??= {};
      switch (effect.kind) {
        case 'error':
          envelope.failWith = effect.code;
          break;
        case 'blackhole':
          result.drop = true;
          return result;
        case 'latency':
          result.extraDelayMs = (result.extraDelayMs ?? 0) + Math.max(0, this.rng.sample(effect.latencyMs));
          break;
        case 'first-byte':
          result.firstByteMs = (result.firstByteMs ?? 0) + Math.max(0, this.rng.sample(effect.delayMs));
          break;
        case 'bandwidth':
          result.bytesPerSec = Math.min(result.bytesPerSec ?? Infinity, effect.bytesPerSec);
          break;
      }
    }
    return result;
  }
}

function matches(pattern: string, name: string): boolean {
  return pattern === '*' || pattern === name;
}

/** Ms a request's answer is held by its faults: the first-byte delay plus the answer's size at the fault's bandwidth. */
export function replyHoldMs(request: InjectionRequest): number {
  const writeMs = request.replyBytesPerSec > 0 ? (estimateSizeBytes(request.ok ? request.value : request.message) * 1000) / request.replyBytesPerSec : 0;
  return request.replyDelayMs + writeMs;
}
