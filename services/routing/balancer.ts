// Client-side load balancers: each picks one instance among those discovery currently reports.
// Randomised ones draw from the node's Rng, so a seed replays the same choices.
import type { Rng } from '../../sim/engine/rng.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import type { ServiceInstance } from './instance.ts';
import { HashRing, DEFAULT_VIRTUAL_NODES } from './hashring.ts';

/** Chooses the instance for the next call. */
export interface Balancer {
  /** Short name for traces and reports (`round-robin`…). */
  readonly name: string;
  /**
   * One of `instances`, or undefined when the list is empty. `key` (a client id, an IP, an order
   * id) is used by the consistent-hash balancer and ignored by the others.
   */
  pick(instances: readonly ServiceInstance[], key?: string): ServiceInstance | undefined;
}

/** The balancers by name, for configuration (`{ balancer: 'least-connections' }`). */
export type BalancerKind =
  | 'round-robin'
  | 'least-connections'
  | 'weighted-round-robin'
  | 'consistent-hash'
  | 'random'
  | 'power-of-two';

/** Every balancer kind, for validation messages and tests. */
export const BALANCER_KINDS: readonly BalancerKind[] = [
  'round-robin',
  'least-connections',
  'weighted-round-robin',
  'consistent-hash',
  'random',
  'power-of-two',
];

/** Each instance in turn. Over k·n picks on a fixed list, each instance gets exactly k. */
export class RoundRobinBalancer implements Balancer {
  readonly name = 'round-robin';
  private next = 0;

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    const count = instances.length;
    if (count === 0) return undefined;
    // Kept in range even when the list shrinks between picks.
    const index = this.next % count;
    this.next = index + 1;
    return instances[index];
  }
}

/**
 * The instance with the fewest calls in flight from this caller. Ties go round robin (the scan
 * starts one further each pick), so an idle system still spreads its load.
 */
export class LeastConnectionsBalancer implements Balancer {
  readonly name = 'least-connections';
  private start = 0;

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    const count = instances.length;
    if (count === 0) return undefined;
    const start = this.start % count;
    this.start = start + 1;
    let best = instances[start]!;
    for (let step = 1; step < count; step++) {
      const candidate = instances[(start + step) % count]!;
      if (candidate.inFlight < best.inFlight) best = candidate;
    }
    return best;
  }
}

/**
 * nginx's smooth weighted round robin: every pick adds each instance's weight to its current
 * weight, takes the largest, and subtracts the total from it. Weights 5,1,1 give a a b a c a a;
 * over k·Σw picks each instance gets exactly k·w, interleaved rather than in bursts.
 */
export class SmoothWeightedRoundRobinBalancer implements Balancer {
  readonly name = 'weighted-round-robin';
  private current = new Map<string, number>();
  private lastList: readonly ServiceInstance[] | undefined;

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    if (instances.length === 0) return undefined;
    if (instances !== this.lastList) this.forgetDeparted(instances);
    const current = this.current;
    let total = 0;
    let best: ServiceInstance | undefined;
    let bestWeight = -Infinity;
    for (const instance of instances) {
      const weight = (current.get(instance.name) ?? 0) + instance.weight;
      current.set(instance.name, weight);
      total += instance.weight;
      if (weight > bestWeight) {
        best = instance;
        bestWeight = weight;
      }
    }
    current.set(best!.name, bestWeight - total);
    return best;
  }

  /** Keeps current weights of instances still listed; memory stays bounded by the list. */
  private forgetDeparted(instances: readonly ServiceInstance[]): void {
    const kept = new Map<string, number>();
    for (const instance of instances) {
      const weight = this.current.get(instance.name);
      if (weight !== undefined) kept.set(instance.name, weight);
    }
    this.current = kept;
    this.lastList = instances;
  }
}

/**
 * Key affinity by consistent hashing with virtual nodes: a key sticks to one instance, and when
 * an instance joins or leaves only the keys on its arcs move. The ring is rebuilt only when the
 * set of instance names changes.
 */
export class ConsistentHashBalancer implements Balancer {
  readonly name = 'consistent-hash';
  private ring: HashRing = new HashRing([], 1);
  private lastList: readonly ServiceInstance[] | undefined;

  constructor(private readonly virtualNodes: number = DEFAULT_VIRTUAL_NODES) {
    if (!Number.isInteger(virtualNodes) || virtualNodes < 1) {
      throw new ConfigError(`consistent-hash virtualNodes is ${virtualNodes}: use a whole number >= 1`);
    }
  }

  pick(instances: readonly ServiceInstance[], key?: string): ServiceInstance | undefined {
    if (instances.length === 0) return undefined;
    if (key === undefined) {
      throw new ConfigError('consistent-hash balancer got a call without a key: pass { key } (client id, IP…) with each call');
    }
    if (instances !== this.lastList) this.syncRing(instances);
    return instances[this.ring.ownerIndex(key)];
  }

  private syncRing(instances: readonly ServiceInstance[]): void {
    this.lastList = instances;
    const members = this.ring.members;
    let same = members.length === instances.length;
    for (let index = 0; same && index < instances.length; index++) same = members[index] === instances[index]!.name;
    if (!same) this.ring = new HashRing(instances.map((instance) => instance.name), this.virtualNodes);
  }
}

/** A uniformly random instance, drawn from the given stream (a component's own stream, `ctx.stream('balancer/<service>')`). */
export class RandomBalancer implements Balancer {
  readonly name = 'random';
  constructor(private readonly rng: Rng) {}

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    const count = instances.length;
    if (count === 0) return undefined;
    return instances[Math.floor(this.rng.next() * count)];
  }
}

/**
 * Power of two choices: draw two distinct instances at random and take the one with fewer calls
 * in flight (the first drawn on a tie). Nearly as good as least-connections, without a full scan.
 */
export class PowerOfTwoChoicesBalancer implements Balancer {
  readonly name = 'power-of-two';
  constructor(private readonly rng: Rng) {}

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    const count = instances.length;
    if (count <= 1) return instances[0];
    const first = Math.floor(this.rng.next() * count);
    let second = Math.floor(this.rng.next() * (count - 1));
    if (second >= first) second++;
    const a = instances[first]!;
    const b = instances[second]!;
    return b.inFlight < a.inFlight ? b : a;
  }
}

/** Options for `createBalancer`. */
export interface BalancerOptions {
  /** Virtual nodes per instance on the consistent-hash ring (default 160). */
  virtualNodes?: number;
}

/** Builds a balancer by name; `rng` feeds the random ones (pass a stream of its own, `ctx.stream(…)`). */
export function createBalancer(kind: BalancerKind, rng: Rng, options: BalancerOptions = {}): Balancer {
  switch (kind) {
    case 'round-robin':
      return new RoundRobinBalancer();
    case 'least-connections':
      return new LeastConnectionsBalancer();
    case 'weighted-round-robin':
      return new SmoothWeightedRoundRobinBalancer();
    case 'consistent-hash':
      return new ConsistentHashBalancer(options.virtualNodes);
    case 'random':
      return new RandomBalancer(rng);
    case 'power-of-two':
      return new PowerOfTwoChoicesBalancer(rng);
    default:
      throw new ConfigError(`unknown balancer '${String(kind)}': use one of ${BALANCER_KINDS.join(', ')}`);
  }
}
