import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import { RpcError } from '../../sim/engine/errors.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { registryNode, REGISTRY_METHODS, type LookupResponse, type RegistryEntryView } from './discovery.ts';
import { registered, type RegistrationOptions } from './registration.ts';
import { DiscoveryClient } from './discovery-client.ts';
import { serviceClient } from './client.ts';
import { StalenessMeter } from './staleness.ts';

/** Discovery trace events as `atMs kind peer detail` lines. */
function recordDiscovery(world: World): string[] {
  const lines: string[] = [];
  world.sim.trace.addSink((event) => {
    if (event.kind.startsWith('discovery.')) lines.push(`${event.atMs} ${event.kind} ${event.node} ${event.peer ?? '-'} ${event.detail ?? ''}`.trim());
  });
  return lines;
}

function addInstance(world: World, name: string, options: Partial<RegistrationOptions> = {}): void {
  world.addNode(
    name,
    registered({ registry: 'registry', service: 'orders', heartbeatMs: 1000, ...options }, () => ({
      handlers: { get: () => name },
    })),
  );
}

/** Discovery's loops are daemons: a no-op live event keeps the run going until `atMs`. */
function keepAliveUntil(world: World, atMs: number): void {
  world.sim.schedule(atMs - world.nowMs, () => {});
}

async function callAt<T>(world: World, atMs: number, to: string, method: string, payload?: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    world.sim.schedule(atMs - world.nowMs, () => {
      world.call<T>(to, method, payload).then(resolve, reject);
    });
  });
}

describe('registry', () => {
  it('registers an instance on start, keeps it while it heartbeats, and lists it', async () => {
    const world = new World(1);
    const events = recordDiscovery(world);
    world.addNode('registry', registryNode({ ttlMs: 3000 }));
    addInstance(world, 'orders-1');
    const listed = callAt<RegistryEntryView[]>(world, 10_000, 'registry', REGISTRY_METHODS.list);
    await world.sim.run({ untilMs: 10_001 });
    expect(events).toEqual(['1 discovery.register registry orders-1 orders']);
    // Heartbeats every 1000 ms arrive 1 ms later; the last before 10000 was sent at 9000.
    expect(await listed).toEqual([{ service: 'orders', instance: 'orders-1', weight: 1, healthy: true, lastHeartbeatMs: 9001 }]);
  });

  it('expires a crashed instance exactly one TTL after its last heartbeat arrived', async () => {
    const world = new World(1);
    const events = recordDiscovery(world);
    world.addNode('registry', registryNode({ ttlMs: 3000 }));
    addInstance(world, 'orders-1');
    addInstance(world, 'orders-2');
    world.sim.schedule(2500, () => world.crash('orders-2'));
    const lookup = callAt<LookupResponse>(world, 6000, 'registry', REGISTRY_METHODS.lookup, { services: ['orders', 'unknown'] });
    await world.sim.run({ untilMs: 6001 });
    // Last heartbeat sent at 2000, arrived at 2001.
    expect(events).toContain('5001 discovery.expire registry orders-2 orders');
    expect(await lookup).toEqual({
      services: [
        { service: 'orders', instances: [{ instance: 'orders-1', weight: 1 }] },
        { service: 'unknown', instances: [] },
      ],
    });
  });

  it('deregisters an instance that stops gracefully, at once', async () => {
    const world = new World(1);
    const events = recordDiscovery(world);
    world.addNode('registry', registryNode({ ttlMs: 3000 }));
    addInstance(world, 'orders-1');
    world.sim.schedule(1500, () => world.removeNode('orders-1'));
    await world.sim.run({ untilMs: 10_000 });
    expect(events).toEqual(['1 discovery.register registry orders-1 orders', '1501 discovery.deregister registry orders-1 orders']);
  });

  it('re-registers every live instance from heartbeats after the registry restarts', async () => {
    const world = new World(1);
    const events = recordDiscovery(world);
    world.addNode('registry', registryNode({ ttlMs: 3000 }));
    addInstance(world, 'orders-1', { weight: 3 });
    world.sim.schedule(1500, () => world.crash('registry'));
    world.sim.schedule(1600, () => world.restart('registry'));
    const lookup = callAt<LookupResponse>(world, 2500, 'registry', REGISTRY_METHODS.lookup, { services: ['orders'] });
    await world.sim.run({ untilMs: 2600 });
    expect(events).toEqual(['1 discovery.register registry orders-1 orders', '2001 discovery.register registry orders-1 orders (heartbeat)']);
    expect((await lookup).services[0]!.instances).toEqual([{ instance: 'orders-1', weight: 3 }]);
  });

  it('marks an instance unhealthy when its health check fails and healthy again when it passes', async () => {
    const world = new World(1);
    const events = recordDiscovery(world);
    let healthy = true;
    world.addNode('registry', registryNode({ ttlMs: 3000, healthCheckIntervalMs: 500 }));
    addInstance(world, 'orders-1', { healthy: () => healthy });
    addInstance(world, 'orders-2');
    world.sim.schedule(1200, () => (healthy = false));
    world.sim.schedule(2200, () => (healthy = true));
    const during = callAt<LookupResponse>(world, 1800, 'registry', REGISTRY_METHODS.lookup, { services: ['orders'] });
    const after = callAt<LookupResponse>(world, 2800, 'registry', REGISTRY_METHODS.lookup, { services: ['orders'] });
    await world.sim.run({ untilMs: 3000 });
    // Checks go out every 500 ms and answer 2 ms later.
    expect(events.filter((line) => !line.includes('register'))).toEqual([
      '1502 discovery.unhealthy registry orders-1 orders',
      '2502 discovery.healthy registry orders-1 orders',
    ]);
    expect((await during).services[0]!.instances.map((entry) => entry.instance)).toEqual(['orders-2']);
    expect((await after).services[0]!.instances.map((entry) => entry.instance)).toEqual(['orders-1', 'orders-2']);
  });

  it('marks an instance unhealthy when its health check times out (a paused node)', async () => {
    const world = new World(1);
    const events = recordDiscovery(world);
    world.addNode('registry', registryNode({ ttlMs: 3000, healthCheckIntervalMs: 500, healthCheckTimeoutMs: 100 }));
    addInstance(world, 'orders-1');
    world.sim.schedule(1200, () => world.pause('orders-1'));
    world.sim.schedule(1800, () => world.resume('orders-1'));
    keepAliveUntil(world, 2100);
    await world.sim.run({ untilMs: 2100 });
    expect(events.filter((line) => !line.includes('register'))).toEqual([
      '1600 discovery.unhealthy registry orders-1 orders',
      '2002 discovery.healthy registry orders-1 orders',
    ]);
  });

  it('needs two failed checks in a row with unhealthyThreshold 2', async () => {
    const world = new World(1);
    const events = recordDiscovery(world);
    let failuresLeft = 0;
    world.addNode('registry', registryNode({ healthCheckIntervalMs: 500, unhealthyThreshold: 2 }));
    addInstance(world, 'orders-1', { healthy: () => failuresLeft-- <= 0 });
    world.sim.schedule(600, () => (failuresLeft = 1));
    world.sim.schedule(1600, () => (failuresLeft = 2));
    keepAliveUntil(world, 3000);
    await world.sim.run({ untilMs: 3000 });
    // One failure at 1000 is forgiven; failures at 2000 and 2500 mark it, the pass at 3000 is after the run.
    expect(events.filter((line) => !line.includes('register'))).toEqual(['2502 discovery.unhealthy registry orders-1 orders']);
  });

  it('keeps no run alive on its own: heartbeats, checks and expiry are background work', async () => {
    const world = new World(1);
    world.addNode('registry', registryNode({ ttlMs: 3000, healthCheckIntervalMs: 500 }));
    addInstance(world, 'orders-1');
    const stop = await world.sim.run();
    expect(stop.reason).toBe('idle');
    // The registration round trip was the last live work.
    expect(stop.atMs).toBe(2);
  });

  it('answers malformed requests with bad-request', async () => {
    const world = new World(1);
    world.addNode('registry', registryNode());
    const results: string[] = [];
    const attempts: [string, unknown][] = [
      [REGISTRY_METHODS.register, { service: 'orders' }],
      [REGISTRY_METHODS.register, { service: 'orders', instance: 'x', weight: 0 }],
      [REGISTRY_METHODS.deregister, null],
      [REGISTRY_METHODS.lookup, { services: 'orders' }],
    ];
    world.sim.schedule(0, () => {
      for (const [method, payload] of attempts) {
        world.call('registry', method, payload).then(
          () => results.push('ok'),
          (error: RpcError) => results.push(error.code),
        );
      }
    });
    await world.sim.run({ untilMs: 100 });
    expect(results).toEqual(['bad-request', 'bad-request', 'bad-request', 'bad-request']);
  });

  it('rejects impossible options with one-line configuration errors', () => {
    expect(() => registryNode({ ttlMs: 0 })).toThrow('registry ttlMs is 0: use a number of ms > 0');
    expect(() => registryNode({ healthCheckIntervalMs: -1 })).toThrow(/healthCheckIntervalMs is -1/);
    expect(() => registryNode({ unhealthyThreshold: 1.5 })).toThrow(/unhealthyThreshold is 1.5/);
  });
});

describe('discovery client', () => {
  /** Registry (TTL 3000), orders-1/2 heartbeating every 1000 ms, and a frontend whose view refreshes every 1000 ms. */
  function buildShop(world: World, registries: string[], meter?: StalenessMeter): { frontend: () => DiscoveryClient } {
    for (const registry of registries) world.addNode(registry, registryNode({ ttlMs: 3000 }));
    for (const name of ['orders-1', 'orders-2']) {
      world.addNode(name, registered({ registry: registries, service: 'orders', heartbeatMs: 1000 }, () => ({ handlers: { get: () => name } })));
    }
    let discovery: DiscoveryClient | undefined;
    world.addNode(
      'frontend',
      (ctx: NodeContext) => {
        discovery = new DiscoveryClient(ctx, { registry: registries, refreshMs: 1000, observer: meter });
        const orders = serviceClient(ctx, { service: 'orders', discovery });
        return {
          handlers: {
            get: (_payload: unknown, request) =>
              orders.call('get', undefined, { parent: request }).catch((error: RpcError) => `failed:${error.code}`),
          },
        };
      },
      { workers: 100 },
    );
    return { frontend: () => discovery! };
  }

  /** Two requests every 10 ms from t=5 (round robin sends one to each instance per tick). */
  function driveTraffic(world: World, untilMs: number, answers: string[] = []): string[] {
    for (let atMs = 5; atMs < untilMs; atMs += 10) {
      world.sim.schedule(atMs, () => {
        for (let copy = 0; copy < 2; copy++) world.request('frontend', 'get', undefined, {}, (outcome) => answers.push(outcome.ok ? String(outcome.value) : outcome.code));
      });
    }
    return answers;
  }

  it('keeps routing to a crashed instance until its stale view refreshes, and the meter measures how long', async () => {
    const world = new World(1);
    const meter = new StalenessMeter(world);
    const events = recordDiscovery(world);
    const shop = buildShop(world, ['registry'], meter);
    const answers = driveTraffic(world, 6000);
    world.sim.schedule(2500, () => world.crash('orders-2'));
    await world.sim.run({ untilMs: 6000 });
    // Expired at 5001; the refresh sent at 5005 lands at 5007; the calls of 5005 still used the old view.
    expect(events).toContain('5001 discovery.expire registry orders-2 orders');
    expect(events).toContain('5007 discovery.view frontend - orders: orders-1');
    expect(meter.report()).toEqual({
      routesToDeadInstances: 251,
      maxStaleMs: 2505,
      instances: [{ instance: 'orders-2', deaths: 1, routesWhileDead: 251, maxStaleMs: 2505 }],
    });
    expect(shop.frontend().lastRoutedMs('orders-2')).toBe(5005);
    expect(answers.filter((answer) => answer === 'failed:refused')).toHaveLength(251);
    // 600 ticks of 2 calls: orders-2 answered the 250 ticks before its crash, orders-1 the rest.
    expect(answers.filter((answer) => answer === 'orders-2')).toHaveLength(250);
    expect(answers.filter((answer) => answer === 'orders-1')).toHaveLength(1200 - 250 - 251);
  });

  it('answers each service its own instances when a node asks for several in turn', async () => {
    const world = new World(1);
    world.addNode('registry', registryNode({ ttlMs: 3000 }));
    for (const [name, service] of [
      ['orders-1', 'orders'],
      ['orders-2', 'orders'],
      ['payments-1', 'payments'],
    ]) {
      world.addNode(name!, registered({ registry: 'registry', service: service!, heartbeatMs: 1000 }, () => ({ handlers: { get: () => name } })));
    }
    let discovery: DiscoveryClient | undefined;
    world.addNode('frontend', (ctx: NodeContext) => {
      discovery = new DiscoveryClient(ctx, { registry: 'registry', refreshMs: 1000 });
      return { handlers: {} };
    });
    const seen: string[] = [];
    const names = (service: string) => discovery!.instances(service)?.map((instance) => instance.name).join(',') ?? 'not looked up';
    world.sim.schedule(1, () => {
      seen.push(names('orders'), names('payments'));
      void discovery!.resolve('orders');
    });
    world.sim.schedule(10, () => {
      seen.push(names('orders'), names('payments'), names('orders'));
      void discovery!.resolve('payments');
    });
    world.sim.schedule(20, () => seen.push(names('payments'), names('orders'), names('payments'), names('inventory')));
    keepAliveUntil(world, 30);
    await world.sim.run({ untilMs: 30 });
    expect(seen).toEqual(['not looked up', 'not looked up', 'orders-1,orders-2', 'not looked up', 'orders-1,orders-2', 'payments-1', 'orders-1,orders-2', 'payments-1', 'not looked up']);
  });

  it('sees a restarted instance again once it re-registers and the view refreshes', async () => {
    const world = new World(1);
    const meter = new StalenessMeter(world);
    const events = recordDiscovery(world);
    buildShop(world, ['registry'], meter);
    driveTraffic(world, 9000);
    world.sim.schedule(2500, () => world.crash('orders-2'));
    world.sim.schedule(7000, () => world.restart('orders-2'));
    await world.sim.run({ untilMs: 9000 });
    expect(events.filter((line) => line.includes('orders-2') || line.includes('view'))).toEqual([
      '1 discovery.register registry orders-2 orders',
      '7 discovery.view frontend - orders: orders-1,orders-2',
      '5001 discovery.expire registry orders-2 orders',
      '5007 discovery.view frontend - orders: orders-1',
      '7001 discovery.register registry orders-2 orders',
      '7007 discovery.view frontend - orders: orders-1,orders-2',
    ]);
    // Routes after the restart are to a live instance and do not count.
    expect(meter.report().maxStaleMs).toBe(2505);
  });

  it('fails over to the next registry when the first is down, and keeps following changes', async () => {
    const world = new World(1);
    const events = recordDiscovery(world);
    const shop = buildShop(world, ['registry-a', 'registry-b']);
    driveTraffic(world, 7000);
    world.sim.schedule(1500, () => world.crash('registry-a'));
    world.sim.schedule(2500, () => world.crash('orders-2'));
    await world.sim.run({ untilMs: 7000 });
    // Refresh at 2005: registry-a refuses at 2007, registry-b answers at 2009.
    expect(events.filter((line) => line.includes('frontend'))).toEqual([
      '7 discovery.view frontend - orders: orders-1,orders-2',
      '2009 discovery.failover frontend registry-b registry-a -> registry-b',
      '5007 discovery.view frontend - orders: orders-1',
    ]);
    expect(shop.frontend().currentRegistry).toBe('registry-b');
  });

  it('keeps its last view when no registry answers', async () => {
    const world = new World(1);
    const events = recordDiscovery(world);
    buildShop(world, ['registry']);
    const answers = driveTraffic(world, 4000);
    world.sim.schedule(1500, () => world.crash('registry'));
    await world.sim.run({ untilMs: 4000 });
    expect(events.filter((line) => line.includes('frontend'))).toEqual([
      '7 discovery.view frontend - orders: orders-1,orders-2',
      '2007 discovery.lookup-failed frontend - orders',
      '3007 discovery.lookup-failed frontend - orders',
    ]);
    expect(answers.every((answer) => answer === 'orders-1' || answer === 'orders-2')).toBe(true);
    expect(answers).toHaveLength(800);
  });

  it('answers unavailable when the registry lists no instance', async () => {
    const world = new World(1);
    world.addNode('registry', registryNode());
    let result = '';
    world.addNode('frontend', (ctx) => {
      const discovery = new DiscoveryClient(ctx, { registry: 'registry' });
      const payments = serviceClient(ctx, { service: 'payments', discovery });
      return { handlers: { pay: (_payload: unknown, request) => payments.call('charge', 1, { parent: request }) } };
    });
    world.sim.schedule(10, () => {
      world.call('frontend', 'pay').catch((error: RpcError) => (result = `${error.code}: ${error.message}`));
    });
    await world.sim.run({ untilMs: 100 });
    expect(result).toBe('unavailable: no instance of payments is available');
  });

  it('rejects impossible options with one-line configuration errors', () => {
    const world = new World(1);
    const errors: string[] = [];
    world.addNode('frontend', (ctx) => {
      for (const options of [{ registry: [] as string[] }, { registry: 'r', refreshMs: 0 }, { registry: 'r', lookupTimeoutMs: -5 }]) {
        try {
          new DiscoveryClient(ctx, options);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      return {};
    });
    expect(errors).toEqual([
      "discovery client on frontend has no registry: pass { registry: 'registry' }",
      'discovery refreshMs is 0: use a number of ms > 0',
      'discovery lookupTimeoutMs is -5: use a number of ms > 0',
    ]);
  });
});
