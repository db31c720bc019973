// The simulated network: per-link latency with jitter, loss, duplication, reordering, partitions
// and hold/release. It moves envelopes between named endpoints; it knows nothing of what they carry.
import type { Simulation } from '../engine/simulation.ts';
import { Rng, validateDistribution, type Distribution } from '../engine/rng.ts';
import { ConfigError } from '../engine/errors.ts';

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
}

/** Link behaviour with every default filled in. */
export interface ResolvedLink {
  latencyMs: Distribution;
  jitterMs: Distribution | null;
  lossProbability: number;
  duplicateProbability: number;
  reorderProbability: number;
}

/** What travels on the network. `label` is a short text for traces (`rpc charge`, `bus order.created`). */
export interface Envelope {
  id: number;
  from: string;
  to: string;
  label: string;
  body: unknown;
  /** The body travels back to whoever sent it first (an RPC answer), not out to a receiver. */
  response: boolean;
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
  };
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
}

const ANY = '*';

/**
 * Delivers envelopes between endpoints after a sampled latency. Partitions are checked when a
 * message is sent and again when it arrives, so nothing crosses a cut in its blocked direction.
 * With loss, duplication and reordering off, every link is FIFO.
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
    for (const rule of this.partitions) {
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
    const envelope: Envelope = { id: this.nextEnvelopeId++, from, to, label, body, response };
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
    this.transmit(envelope, state);
    if (config.duplicateProbability > 0 && this.rng.chance(config.duplicateProbability)) {
      trace.emit(this.sim.nowMs, 'msg.duplicated', from, to, envelope.id, label);
      this.transmit(envelope, state);
    }
    return envelope.id;
  }

  private transmit(envelope: Envelope, state: LinkState): void {
    const config = state.config;
    let delayMs = this.rng.sample(config.latencyMs);
    if (config.jitterMs) delayMs += this.rng.sample(config.jitterMs);
    if (delayMs < 0) delayMs = 0; // an unclamped normal can draw below zero
    let arrivalMs = this.sim.nowMs + delayMs;
    if (config.reorderProbability > 0 && this.rng.chance(config.reorderProbability)) {
      // Out of order: an extra delay of up to twice the drawn latency, outside the FIFO clamp.
      arrivalMs += this.rng.uniform(0, 2 * delayMs + 1);
    } else {
      if (arrivalMs < state.lastDeliveryMs) arrivalMs = state.lastDeliveryMs;
      state.lastDeliveryMs = arrivalMs;
    }
    this.sim.at(arrivalMs, this.deliverCallback, envelope);
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
      state = { config: this.configFor(from, to), lastDeliveryMs: 0 };
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
