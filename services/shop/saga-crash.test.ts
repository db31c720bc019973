// The orchestrated order saga under crashes, over 200 seeds: the orders service (embedded or
// replicated over orders-db) and payments crash at random times, and step calls now and then
// arrive after their compensation; after the restarts every saga ends, none is left in the log,
// and every shop invariant holds.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { World } from '../../sim/world/world.ts';
import { evaluate } from '../../sim/harness/checks.ts';
import { WorkloadMetrics } from '../../sim/harness/workload.ts';
import { GATEWAY_METHOD } from '../routing/gateway.ts';
import { diskTable } from '../data/db-node.ts';
import { buildShop } from './build.ts';
import { tokenOf } from './catalogue.ts';
import { shopInvariants } from './invariants.ts';
import { TABLES } from './model.ts';
import { databaseNode, serviceNodes } from './microservices.ts';

const checks = shopInvariants();

describe('order saga under crashes (property)', () => {
  it('ends every saga with the invariants holding, whenever orders and payments crash', async () => {
    const orderArbitrary = fc.record({
      atMs: fc.integer({ min: 20, max: 120 }),
      user: fc.integer({ min: 0, max: 2 }),
      product: fc.integer({ min: 0, max: 2 }),
      quantity: fc.integer({ min: 1, max: 4 }),
      moon: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(1, 2),
        fc.array(orderArbitrary, { minLength: 3, maxLength: 6 }),
        fc.record({ atMs: fc.integer({ min: 20, max: 150 }), forMs: fc.integer({ min: 1, max: 400 }), target: fc.nat() }),
        fc.option(fc.record({ atMs: fc.integer({ min: 20, max: 150 }), forMs: fc.integer({ min: 1, max: 400 }) }), { nil: undefined }),
        async (seed, ordersInstances, orders, ordersCrash, paymentsCrash) => {
          const world = new World(seed, { network: { latencyMs: { kind: 'uniform', min: 0.3, max: 3 } } });
          const shop = buildShop(world, { seed, rng: world.sim.rng.fork('build'), options: {}, variant: 'sync' }, 'microservices-sync', {
            instances: { orders: ordersInstances, products: 1 },
            catalogue: { users: 3, products: 3, balanceCents: { min: 5000, max: 8000 }, priceCents: { min: 1000, max: 2000 }, stock: { min: 3, max: 6 } },
            stepTimeoutMs: 100,
            dbTimeoutMs: 200,
          });
          orders.forEach((order, index) => {
            world.sim.at(order.atMs, () =>
              world.request(
                'gateway',
                GATEWAY_METHOD,
                {
                  path: '/api/orders',
                  method: 'POST',
                  headers: { authorization: `Bearer ${tokenOf(`u${order.user}`)}` },
                  body: { orderId: `o${index}`, items: [{ productId: `p${order.product}`, quantity: order.quantity }], address: { region: order.moon ? 'moon' : 'north' } },
                },
                { timeoutMs: 2000 },
                () => undefined,
              ),
            );
          });
          const ordersNodes = serviceNodes('orders', ordersInstances);
          // A heavy tail on the step calls: now and then an action arrives after its step timed out
          // and its compensation ran — the tombstones must refuse it.
          for (const from of ordersNodes) {
            for (const to of ['payments', 'inventory', 'shipping']) world.setLink(from, to, { latencyMs: { kind: 'lognormal', median: 2, sigma: 2 }, reorderProbability: 0.2 });
          }
          const crashed = ordersNodes[ordersCrash.target % ordersNodes.length]!;
          world.sim.at(ordersCrash.atMs, () => world.crash(crashed));
          world.sim.at(ordersCrash.atMs + ordersCrash.forMs, () => world.restart(crashed));
          if (paymentsCrash) {
            world.sim.at(paymentsCrash.atMs, () => world.crash('payments'));
            world.sim.at(paymentsCrash.atMs + paymentsCrash.forMs, () => world.restart('payments'));
          }
          await world.sim.run({ untilMs: 8000, maxEvents: 500_000 });

          const broken = checks.map((check) => ({ check, verdict: evaluate(check, { system: shop, world, nowMs: world.nowMs, metrics: new WorkloadMetrics(1000) }) })).filter(({ verdict }) => !verdict.holds);
          expect(broken.map(({ check, verdict }) => `${check.name}: ${verdict.message}`)).toEqual([]);
          const log = diskTable(world.node(databaseNode('orders', ordersInstances)), 'orders', TABLES.sagas);
          expect([...log.keys()], 'sagas left in the log').toEqual([]);
        },
      ),
      { numRuns: 200, seed: 4242 },
    );
  });
});
