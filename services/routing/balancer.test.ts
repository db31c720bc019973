import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../sim/engine/rng.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { World } from '../../sim/world/world.ts';
import {
  ConsistentHashBalancer,
  LeastConnectionsBalancer,
  PowerOfTwoChoicesBalancer,
  RandomBalancer,
  RoundRobinBalancer,
  SmoothWeightedRoundRobinBalancer,
  createBalancer,
  BALANCER_KINDS,
  type Balancer,
  type BalancerKind,
} from './balancer.ts';
import { newInstance, type ServiceInstance } from './instance.ts';
import { HashRing } from './hashring.ts';
import { registryNode } from './discovery.ts';
import { registered } from './registration.ts';
import { DiscoveryClient } from './discovery-client.ts';
import { serviceClient } from './client.ts';

function instances(...names: string[]): ServiceInstance[] {
  return names.map((name) => newInstance('svc', name));
}

function countPicks(balancer: Balancer, list: readonly ServiceInstance[], picks: number, key?: (index: number) => string): Map<string, number> {
  const counts = new Map<string, number>(list.map((instance) => [instance.name, 0]));
  for (let index = 0; index < picks; index++) {
    const picked = balancer.pick(list, key?.(index))!;
    counts.set(picked.name, counts.get(picked.name)! + 1);
  }
  return counts;
}

/** Pearson's chi-square statistic against a uniform expectation. */
function chiSquare(counts: Iterable<number>, total: number, buckets: number): number {
  const expected = total / buckets;
  let statistic = 0;
  for (const count of counts) statistic += (count - expected) ** 2 / expected;
  return statistic;
}

// Chi-square critical value for 3 degrees of freedom at p = 0.001.
const CHI_SQUARE_3DF_P001 = 16.27;

describe('round robin', () => {
  it('gives each of 4 instances exactly 2500 of 10000 picks, in turn', () => {
    const list = instances('a', 'b', 'c', 'd');
    const balancer = new RoundRobinBalancer();
    expect([0, 1, 2, 3, 4].map(() => balancer.pick(list)!.name)).toEqual(['a', 'b', 'c', 'd', 'a']);
    const counts = countPicks(new RoundRobinBalancer(), list, 10_000);
    expect([...counts.values()]).toEqual([2500, 2500, 2500, 2500]);
  });

  it('stays in range when the list shrinks between picks', () => {
    const balancer = new RoundRobinBalancer();
    const four = instances('a', 'b', 'c', 'd');
    balancer.pick(four);
    balancer.pick(four);
    balancer.pick(four);
    expect(balancer.pick(instances('x', 'y'))!.name).toBe('y');
  });
});

describe('smooth weighted round robin', () => {
  it('interleaves weights 5,1,1 exactly as nginx does: a a b a c a a', () => {
    const list = [newInstance('svc', 'a', 5), newInstance('svc', 'b', 1), newInstance('svc', 'c', 1)];
    const balancer = new SmoothWeightedRoundRobinBalancer();
    const sequence = Array.from({ length: 14 }, () => balancer.pick(list)!.name).join('');
    expect(sequence).toBe('aabacaa'.repeat(2));
  });

  it('gives weights 5,3,2 exactly 5000, 3000 and 2000 of 10000 picks', () => {
    const list = [newInstance('svc', 'a', 5), newInstance('svc', 'b', 3), newInstance('svc', 'c', 2)];
    const counts = countPicks(new SmoothWeightedRoundRobinBalancer(), list, 10_000);
    expect([...counts.values()]).toEqual([5000, 3000, 2000]);
  });

  it('with equal weights is plain round robin', () => {
    const counts = countPicks(new SmoothWeightedRoundRobinBalancer(), instances('a', 'b', 'c'), 9999);
    expect([...counts.values()]).toEqual([3333, 3333, 3333]);
  });

  it('forgets the state of departed instances when the list changes', () => {
    const balancer = new SmoothWeightedRoundRobinBalancer();
    const first = [newInstance('svc', 'a', 2), newInstance('svc', 'b', 1)];
    balancer.pick(first);
    const second = [newInstance('svc', 'b', 1), newInstance('svc', 'c', 1)];
    // b keeps its current weight (+1 from the first pick): b=2, c=1 → b.
    expect(balancer.pick(second)!.name).toBe('b');
    expect(balancer.pick(second)!.name).toBe('c');
  });
});

describe('least connections', () => {
  it('picks the instance with the fewest calls in flight', () => {
    const list = instances('a', 'b', 'c');
    list[0]!.inFlight = 3;
    list[1]!.inFlight = 1;
    list[2]!.inFlight = 2;
    const balancer = new LeastConnectionsBalancer();
    for (let index = 0; index < 5; index++) expect(balancer.pick(list)!.name).toBe('b');
  });

  it('breaks ties round robin, so an idle system spreads load evenly', () => {
    const counts = countPicks(new LeastConnectionsBalancer(), instances('a', 'b', 'c'), 9000);
    expect([...counts.values()]).toEqual([3000, 3000, 3000]);
  });
});

describe('random', () => {
  it('is uniform over 10000 picks on a fixed seed (chi-square, 3 df, p = 0.001)', () => {
    const counts = countPicks(new RandomBalancer(new Rng(7)), instances('a', 'b', 'c', 'd'), 10_000);
    expect(chiSquare(counts.values(), 10_000, 4)).toBeLessThan(CHI_SQUARE_3DF_P001);
    for (const count of counts.values()) expect(count).toBeGreaterThan(2300);
  });

  it('replays the same picks from the same seed', () => {
    const list = instances('a', 'b', 'c', 'd');
    const first = new RandomBalancer(new Rng(11));
    const second = new RandomBalancer(new Rng(11));
    const picks = (balancer: Balancer) => Array.from({ length: 50 }, () => balancer.pick(list)!.name).join('');
    expect(picks(first)).toBe(picks(second));
  });
});

describe('power of two choices', () => {
  it('is uniform over 10000 picks when all instances are idle (chi-square, 3 df, p = 0.001)', () => {
    const counts = countPicks(new PowerOfTwoChoicesBalancer(new Rng(7)), instances('a', 'b', 'c', 'd'), 10_000);
    expect(chiSquare(counts.values(), 10_000, 4)).toBeLessThan(CHI_SQUARE_3DF_P001);
  });

  it('never picks the most loaded of 3 instances, and picks the least loaded about 2/3 of the time', () => {
    const list = instances('a', 'b', 'c');
    list[0]!.inFlight = 9;
    list[1]!.inFlight = 1;
    list[2]!.inFlight = 0;
    const counts = countPicks(new PowerOfTwoChoicesBalancer(new Rng(3)), list, 9000);
    expect(counts.get('a')).toBe(0);
    // c wins every pair it is in: 2 of the 3 pairs.
    expect(counts.get('c')! / 9000).toBeCloseTo(2 / 3, 1);
  });

  it('returns the only instance of a list of one without drawing', () => {
    const rng = new Rng(5);
    const list = instances('a');
    expect(new PowerOfTwoChoicesBalancer(rng).pick(list)!.name).toBe('a');
    expect(rng.next()).toBe(new Rng(5).next());
  });
});

describe('consistent hash', () => {
  const keys = Array.from({ length: 10_000 }, (_, index) => `client-${index}`);

  function owners(balancer: Balancer, list: readonly ServiceInstance[]): string[] {
    return keys.map((key) => balancer.pick(list, key)!.name);
  }

  it('sends a key to the same instance every time', () => {
    const balancer = new ConsistentHashBalancer();
    const list = instances('a', 'b', 'c');
    const first = balancer.pick(list, 'user-42')!.name;
    for (let index = 0; index < 10; index++) expect(balancer.pick(list, 'user-42')!.name).toBe(first);
    // A new list object with the same names keeps the ring.
    expect(balancer.pick(instances('a', 'b', 'c'), 'user-42')!.name).toBe(first);
  });

  it('spreads 10000 keys over 4 instances within ±20 % of a fair share', () => {
    const counts = countPicks(new ConsistentHashBalancer(), instances('a', 'b', 'c', 'd'), keys.length, (index) => keys[index]!);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(2000);
      expect(count).toBeLessThan(3000);
    }
  });

  it('moves about 1/5 of the keys when a fifth instance joins, all of them to the newcomer', () => {
    const balancer = new ConsistentHashBalancer();
    const before = owners(balancer, instances('a', 'b', 'c', 'd'));
    const after = owners(balancer, instances('a', 'b', 'c', 'd', 'e'));
    const movedTo = new Set<string>();
    let moved = 0;
    for (let index = 0; index < keys.length; index++) {
      if (before[index] !== after[index]) {
        moved++;
        movedTo.add(after[index]!);
      }
    }
    expect([...movedTo]).toEqual(['e']);
    expect(moved / keys.length).toBeGreaterThan(0.15);
    expect(moved / keys.length).toBeLessThan(0.25);
  });

  it('moves only the keys of an instance that leaves', () => {
    const balancer = new ConsistentHashBalancer();
    const before = owners(balancer, instances('a', 'b', 'c', 'd'));
    const after = owners(balancer, instances('a', 'b', 'd'));
    const wronglyMoved = keys.filter((_, index) => before[index] !== 'c' && after[index] !== before[index]);
    expect(wronglyMoved).toEqual([]);
    expect(after.filter((owner) => owner === 'c')).toEqual([]);
    expect(before.filter((owner) => owner === 'c').length).toBeGreaterThan(2000);
  });

  it('rejects a call without a key as a configuration error', () => {
    expect(() => new ConsistentHashBalancer().pick(instances('a'))).toThrow(ConfigError);
  });
});

describe('every balancer', () => {
  it('returns undefined for an empty list', () => {
    for (const kind of BALANCER_KINDS) expect(createBalancer(kind, new Rng(1)).pick([], 'key')).toBeUndefined();
  });

  it('is built by name, and an unknown name is a configuration error', () => {
    for (const kind of BALANCER_KINDS) expect(createBalancer(kind, new Rng(1)).name).toBe(kind);
    expect(() => createBalancer('fastest' as BalancerKind, new Rng(1))).toThrow(/unknown balancer 'fastest'/);
  });
});

describe('balancers in a simulated run with one instance slowed tenfold', () => {
  /** 3 order instances (2 workers, 2 ms CPU each), orders-2 slowed ×10; 600 requests at 1 per ms. */
  async function servedPerInstance(kind: BalancerKind): Promise<Map<string, number>> {
    const world = new World(17);
    const served = new Map<string, number>();
    world.addNode('registry', registryNode({ ttlMs: 3000 }));
    for (const name of ['orders-1', 'orders-2', 'orders-3']) {
      served.set(name, 0);
      world.addNode(
        name,
        registered({ registry: 'registry', service: 'orders' }, () => ({
          handlers: {
            get: async (_payload: unknown, request) => {
              await request.cpu(2);
              served.set(name, served.get(name)! + 1);
              return name;
            },
          },
        })),
        { workers: 2, queueCapacity: 1000 },
      );
    }
    world.addNode('frontend', (ctx) => {
      const discovery = new DiscoveryClient(ctx, { registry: 'registry', refreshMs: 500 });
      const orders = serviceClient(ctx, { service: 'orders', discovery, balancer: kind, timeoutMs: 5000 });
      return { handlers: { get: (payload: unknown, request) => orders.call('get', payload, { parent: request }) } };
    }, { workers: 1000, queueCapacity: 1000 });
    world.slow('orders-2', 10);
    for (let index = 0; index < 600; index++) {
      world.sim.schedule(100 + index, () => world.request('frontend', 'get', index, { timeoutMs: 20_000 }, () => {}));
    }
    await world.sim.run({ untilMs: 10_000 });
    return served;
  }

  it('least connections sends the slowed instance less than half its round-robin share', async () => {
    const served = await servedPerInstance('least-connections');
    const total = [...served.values()].reduce((sum, count) => sum + count, 0);
    expect(total).toBe(600);
    expect(served.get('orders-2')! / total).toBeLessThan(0.15);
  });

  it('power of two choices sends the slowed instance less than half its round-robin share', async () => {
    const served = await servedPerInstance('power-of-two');
    expect(served.get('orders-2')! / 600).toBeLessThan(0.15);
  });

  it('round robin, blind to load, gives the slowed instance exactly its third', async () => {
    const served = await servedPerInstance('round-robin');
    expect([...served.values()]).toEqual([200, 200, 200]);
  });
});

describe('hash ring property', () => {
  it('moves keys only to a member that joins, for any member set', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        fc.string({ minLength: 7, maxLength: 8 }),
        fc.array(fc.string(), { minLength: 1, maxLength: 30 }),
        (members, newcomer, keys) => {
          const before = new HashRing(members, 16);
          const after = new HashRing([...members, newcomer], 16);
          return keys.every((key) => after.owner(key) === before.owner(key) || after.owner(key) === newcomer);
        },
      ),
      { numRuns: 200 },
    );
  });
});
