// The simulated network: per-link latency with jitter, loss, duplication, reordering, partitions
// and hold/release. It moves envelopes between named endpoints; it knows nothing of what they carry.
import type { Simulation } from '../engine/simulation.ts';
import { Rng, validateDistribution, type Distribution } from '../engine/rng.ts';
import { ConfigError } from '../engine/errors.ts';
import { estimateSizeBytes } from './payload-size.ts';

/**
 * How messages on one link relate in time. `fifo`: a message never arrives before the one sent
 * before it on that link (one TCP connection): each arrives at max(send + drawn delay, previous
 * arrival), so under dense sends the observed delay exceeds the drawn one. `independent`: each
 * message arrives at send + its own drawn delay (many connections, UDP): observed = configured.
 */
export type LinkOrdering = 'fifo' | 'independent';

/** Link behaviour as configured; every field optional, defaults filled by `resolveLink`. */
export interface LinkOptions {
  /** One-way latency. Default: constant 1 ms. */
  latencyMs?: Distribution;
  /** Extra delay added to each message on top of the latency. Default: none. */
  jitterMs?: Distribution;
  /** Chance that a message is lost. */
  lossProbability?: number;
  /** Chance that a message is delivered twice. */
  duplicateProbability?: number;
  /** Chance that a message skips the link's FIFO order and takes an extra random delay. */
  reorderProbability?: number;
  /** `fifo` (default: no overtaking, as on one connection) or `independent` (each message its own delay). */
  ordering?: LinkOrdering;
  /**
   * Link bandwidth, bytes per second: a message takes size / bandwidth to transmit, one message at
   * a time per link, before its latency. Default: unlimited (no transmission delay).
   */
  bandwidthBytesPerSec?: number;
}

/** Link behaviour with every default filled in. */
export interface ResolvedLink {
  latencyMs: Distribution;
  jitterMs: Distribution | null;
  lossProbability: number;
  duplicateProbability: number;
  reorderProbability: number;
  ordering: LinkOrdering;
  /** Bytes per second, or Infinity for no transmission delay. */
  bandwidthBytesPerSec: number;
}

/** What a per-call fault does to one message on a link (see call-injection.ts). */
export interface LinkInjection {
  /** Swallow the message (a black hole). */
  drop?: boolean;
  /** Delay added to this message's latency, ms. */
  extraDelayMs?: number;
  /** The link sits idle this long before sending the message, holding later ones behind it (slow first byte). */
  firstByteMs?: number;
  /** Bandwidth for this message, bytes per second (a bandwidth-limit fault). */
  bytesPerSec?: number;
}

/** Decides per-call faults for a message about to be sent; undefined when none applies. */
export type LinkInterceptor = (envelope: Envelope) => LinkInjection | undefined;

/** What travels on the network. `label` is a short text for traces (`rpc charge`, `bus order.created`). */
export interface Envelope {
  id: number;
  from: string;
  to: string;
  label: string;
  body: unknown;
  /** The body travels back to whoever sent it first (an RPC answer), not out to a receiver. */
  response: boolean;
  /** Set by a per-call error fault on the link: the receiving side answers a request with this code. */
  failWith?: string;
}

/**
 * The envelope `send` builds: a class rather than an object literal, so V8 never pretenures it
 * (see NodeEvent in node.ts: a world's first messages all stay in flight while it is built).
 */
class WireEnvelope implements Envelope {
  failWith: string | undefined = undefined;

  constructor(
    readonly id: number,
    readonly from: string,
    readonly to: string,
    readonly label: string,
    readonly body: unknown,
    readonly response: boolean,
  ) {}
}

/** Where delivered envelopes go. */
export type DeliverFn = (envelope: Envelope) => void;

/** Fills defaults and validates a link; throws ConfigError naming `where`. */
export function resolveLink(options: LinkOptions, base: ResolvedLink | undefined, where: string): ResolvedLink {
  const link: ResolvedLink = {
    latencyMs: options.latencyMs ?? base?.latencyMs ?? { kind: 'constant', value: 1 },
    jitterMs: options.jitterMs ?? base?.jitterMs ?? null,
    lossProbability: options.lossProbability ?? base?.lossProbability ?? 0,
    duplicateProbability: options.duplicateProbability ?? base?.duplicateProbability ?? 0,
    reorderProbability: options.reorderProbability ?? base?.reorderProbability ?? 0,
    ordering: options.ordering ?? base?.ordering ?? 'fifo',
    bandwidthBytesPerSec: options.bandwidthBytesPerSec ?? base?.bandwidthBytesPerSec ?? Infinity,
  };
  if (link.ordering !== 'fifo' && link.ordering !== 'independent') {
    throw new ConfigError(`${where} ordering is ${JSON.stringify(link.ordering)}: use 'fifo' or 'independent'`);
  }
  if (!(typeof link.bandwidthBytesPerSec === 'number' && link.bandwidthBytesPerSec > 0)) {
    throw new ConfigError(`${where} bandwidthBytesPerSec is ${link.bandwidthBytesPerSec}: use a number of bytes per second > 0`);
  }
  validateDistribution(link.latencyMs, `${where} latencyMs`);
  if (link.jitterMs) validateDistribution(link.jitterMs, `${where} jitterMs`);
  for (const key of ['lossProbability', 'duplicateProbability', 'reorderProbability'] as const) {
    const value = link[key];
    if (!(value >= 0 && value <= 1)) {
      throw new ConfigError(`${where} ${key} is ${value}: a probability must be between 0 and 1`);
    }
  }
  return link;
}

interface PartitionRule {
  id: number;
  from: ReadonlySet<string>;
  to: ReadonlySet<string>;
}

interface HoldRule {
  from: string;
  to: string;
}

interface LinkState {
  config: ResolvedLink;
  /** Latest delivery time given on this link; FIFO copies never arrive before it. */
  lastDeliveryMs: number;
  /** The link transmits one message at a time: the next may start sending at this time. */
  sendFreeAtMs: number;
}

const ANY = '*';

/**
 * Delivers envelopes between endpoints after a sampled latency. Partitions are checked when a
 * message is sent and again when it arrives, so nothing crosses a cut in its blocked direction.
 * With loss, duplication and reordering off, a `fifo` link (the default) delivers in send order.
 */
export class Network {
  private defaultLink: ResolvedLink;
  /** Link state by sender, then receiver: two lookups and no key string per message. */
  private readonly links = new Map<string, Map<string, LinkState>>();
  private readonly overrides = new Map<string, ResolvedLink>();
  private partitions: PartitionRule[] = [];
  private holds: HoldRule[] = [];
  private held: Envelope[] = [];
  private nextPartitionId = 1;
  private nextEnvelopeId = 1;
  private readonly rng: Rng;
  private readonly deliverCallback: (envelope: unknown) => void;
  /** Per-call faults on links; set by the world. */
  interceptor: LinkInterceptor | undefined;

  constructor(
    private readonly sim: Simulation,
    private readonly deliver: DeliverFn,
    defaults: LinkOptions = {},
  ) {
    this.rng = sim.rng.fork('network');
    this.defaultLink = resolveLink(defaults, undefined, 'network default link');
    this.deliverCallback = (envelope) => this.arrive(envelope as Envelope);
  }

  /** Sets the default for all links not configured one by one. */
  setDefaultLink(options: LinkOptions): void {
    this.defaultLink = resolveLink(options, this.defaultLink, 'network default link');
    this.refreshLinks();
  }

  private refreshLinks(): void {
    for (const [from, byReceiver] of this.links) {
      for (const [to, state] of byReceiver) state.config = this.configFor(from, to);
    }
  }

  /** The most specific configuration for from → to: exact, then `from->*`, then `*->to`, then `*->*`, then the default. */
  private configFor(from: string, to: string): ResolvedLink {
    return (
      this.overrides.get(linkKey(from, to)) ??
      this.overrides.get(linkKey(from, ANY)) ??
      this.overrides.get(linkKey(ANY, to)) ??
      this.overrides.get(linkKey(ANY, ANY)) ??
      this.defaultLink
    );
  }

  /** Configures the link from → to (one direction; `*` matches any endpoint); unset fields keep the default link's values. */
  setLink(from: string, to: string, options: LinkOptions): void {
    const config = resolveLink(options, this.defaultLink, `link ${from}->${to}`);
    this.overrides.set(linkKey(from, to), config);
    this.refreshLinks();
  }

  /** Removes a per-link configuration. */
  resetLink(from: string, to: string): void {
    this.overrides.delete(linkKey(from, to));
    this.refreshLinks();
  }

  /**
   * Blocks traffic from every endpoint in `from` to every one in `to`, and back unless `oneWay`.
   * Returns the partition's id, for `heal(id)`.
   */
  partition(from: readonly string[], to: readonly string[], oneWay = false): number {
    const id = this.nextPartitionId++;
    this.partitions.push({ id, from: new Set(from), to: new Set(to) });
    if (!oneWay) this.partitions.push({ id, from: new Set(to), to: new Set(from) });
    return id;
  }

  /** Heals one partition, or all of them when no id is given. */
  heal(id?: number): void {
    this.partitions = id === undefined ? [] : this.partitions.filter((rule) => rule.id !== id);
  }

  /** True when a partition blocks from → to right now. */
  blocked(from: string, to: string): boolean {
    // An indexed loop: every request asks (twice at the ingress), mostly with no partition at all,
    // and for…of builds an array iterator even for an empty list.
    const partitions = this.partitions;
    for (let index = 0; index < partitions.length; index++) {
      const rule = partitions[index]!;
      if (rule.from.has(from) && rule.to.has(to)) return true;
    }
    return false;
  }

  /** Holds messages sent on from → to (`*` matches any endpoint) until `release`. */
  hold(from: string, to: string): void {
    this.holds.push({ from, to });
  }

  /** Releases held messages matching from → to; each then travels with a fresh latency. */
  release(from: string = ANY, to: string = ANY): void {
    this.holds = this.holds.filter((rule) => !(matches(from, rule.from) && matches(to, rule.to)));
    const stillHeld: Envelope[] = [];
    const released: Envelope[] = [];
    for (const envelope of this.held) {
      (this.isHeld(envelope.from, envelope.to) ? stillHeld : released).push(envelope);
    }
    this.held = stillHeld;
    for (const envelope of released) {
      this.sim.trace.emit(this.sim.nowMs, 'msg.released', envelope.from, envelope.to, envelope.id, envelope.label);
      this.transmit(envelope, this.linkState(envelope.from, envelope.to));
    }
  }

  /** Messages currently held. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Sends a message (`response` marks an answer travelling back); returns its id. Loss, partitions and holds are decided here and on arrival. */
  send(from: string, to: string, label: string, body: unknown, response = false): number {
    const envelope: Envelope = new WireEnvelope(this.nextEnvelopeId++, from, to, label, body, response);
    const trace = this.sim.trace;
    if (this.blocked(from, to)) {
      trace.emit(this.sim.nowMs, 'msg.dropped', from, to, envelope.id, 'partition');
      return envelope.id;
    }
    if (this.holds.length > 0 && this.isHeld(from, to)) {
      this.held.push(envelope);
      trace.emit(this.sim.nowMs, 'msg.held', from, to, envelope.id, label);
      return envelope.id;
    }
    const state = this.linkState(from, to);
    const config = state.config;
    if (config.lossProbability > 0 && this.rng.chance(config.lossProbability)) {
      trace.emit(this.sim.nowMs, 'msg.dropped', from, to, envelope.id, 'loss');
      return envelope.id;
    }
    const injection = this.interceptor?.(envelope);
    if (injection?.drop) {
      trace.emit(this.sim.nowMs, 'msg.dropped', from, to, envelope.id, 'blackhole');
      return envelope.id;
    }
    this.transmit(envelope, state, injection);
    if (config.duplicateProbability > 0 && this.rng.chance(config.duplicateProbability)) {
      trace.emit(this.sim.nowMs, 'msg.duplicated', from, to, envelope.id, label);
      this.transmit(envelope, state, injection);
    }
    return envelope.id;
  }

  private transmit(envelope: Envelope, state: LinkState, injection?: LinkInjection): void {
    const config = state.config;
    let delayMs = this.rng.sample(config.latencyMs);
    if (config.jitterMs) delayMs += this.rng.sample(config.jitterMs);
    if (delayMs < 0) delayMs = 0; // an unclamped normal can draw below zero
    if (injection?.extraDelayMs) delayMs += injection.extraDelayMs;
    let arrivalMs = this.departureMs(envelope, state, injection) + delayMs;
    if (config.reorderProbability > 0 && this.rng.chance(config.reorderProbability)) {
      // Out of order: an extra delay of up to twice the drawn latency, outside the FIFO clamp.
      arrivalMs += this.rng.uniform(0, 2 * delayMs + 1);
    } else if (config.ordering === 'independent') {
      // Each message keeps its own drawn delay: it may overtake earlier ones.
    } else {
      if (arrivalMs < state.lastDeliveryMs) arrivalMs = state.lastDeliveryMs;
      state.lastDeliveryMs = arrivalMs;
    }
    this.sim.at(arrivalMs, this.deliverCallback, envelope);
  }

  /**
   * When the last byte has left: now, or later when the link serialises messages at a finite
   * bandwidth (size / bandwidth each, one after the other) or a fault holds the first byte.
   */
  private departureMs(envelope: Envelope, state: LinkState, injection: LinkInjection | undefined): number {
    const bytesPerSec = injection?.bytesPerSec ?? state.config.bandwidthBytesPerSec;
    const firstByteMs = injection?.firstByteMs ?? 0;
    const nowMs = this.sim.nowMs;
    if (bytesPerSec === Infinity && firstByteMs === 0) return nowMs;
    const transmitMs = bytesPerSec === Infinity ? 0 : (estimateSizeBytes(envelope.body) * 1000) / bytesPerSec;
    const doneMs = Math.max(nowMs, state.sendFreeAtMs) + firstByteMs + transmitMs;
    state.sendFreeAtMs = doneMs;
    return doneMs;
  }

  private arrive(envelope: Envelope): void {
    if (this.blocked(envelope.from, envelope.to)) {
      this.sim.trace.emit(this.sim.nowMs, 'msg.dropped', envelope.from, envelope.to, envelope.id, 'partition');
      return;
    }
    this.deliver(envelope);
  }

  private isHeld(from: string, to: string): boolean {
    for (const rule of this.holds) {
      if (matches(rule.from, from) && matches(rule.to, to)) return true;
    }
    return false;
  }

  private linkState(from: string, to: string): LinkState {
    let byReceiver = this.links.get(from);
    if (!byReceiver) {
      byReceiver = new Map();
      this.links.set(from, byReceiver);
    }
    let state = byReceiver.get(to);
    if (!state) {
      state = { config: this.configFor(from, to), lastDeliveryMs: 0, sendFreeAtMs: 0 };
      byReceiver.set(to, state);
    }
    return state;
  }
}

function linkKey(from: string, to: string): string {
  return from + '\u0000' + to;
}

function matches(pattern: string, name: string): boolean {
  return pattern === ANY || pattern === name;
}
