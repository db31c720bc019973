// End-to-end tests of the shop's deployments: each architecture builds, serves orders through the
// gateway (confirmed, declined, compensated), answers reads, and keeps every invariant; plus the
// orchestrator resuming after a crash, the breaker parking orders, duplicate deliveries absorbed,
// and the database-per-service rule enforced.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import { evaluate } from '../../sim/harness/checks.ts';
import { WorkloadMetrics } from '../../sim/harness/workload.ts';
import type { CallOutcome } from '../../sim/world/rpc.ts';
import type { LinkOptions } from '../../sim/world/network.ts';
import { GATEWAY_METHOD, type GatewayRequest } from '../routing/gateway.ts';
import { DB_RUN_METHOD } from '../data/db-node.ts';
import { buildShop, serviceDatabaseNode, serviceFaultTargets } from './build.ts';
import { tokenOf } from './catalogue.ts';
import { shopInvariants } from './invariants.ts';
import type { OrderItem } from './model.ts';
import type { ShopOptions } from './options.ts';
import { SHOP_ARCHITECTURES, type ShopArchitecture } from './system.ts';

/** Five users with 200.00 each, four products at 10.00 with 10 units each. */
const SMALL_SHOP: ShopOptions = {
  catalogue: { users: 5, products: 4, balanceCents: { min: 20_000, max: 20_000 }, priceCents: { min: 1000, max: 1000 }, stock: { min: 10, max: 10 } },
};

function shopWorld(architecture: ShopArchitecture, options: ShopOptions = {}, network: LinkOptions = { latencyMs: { kind: 'constant', value: 1 } }) {
  const world = new World(3, { network });
  const shop = buildShop(world, { seed: 3, rng: world.sim.rng.fork('build'), options: {}, variant: architecture }, architecture, { ...SMALL_SHOP, ...options });
  const answers = new Map<string, string>();
  const send = (atMs: number, label: string, request: GatewayRequest): void => {
    world.sim.at(atMs, () =>
      world.request('gateway', GATEWAY_METHOD, request, { timeoutMs: 3000 }, (outcome: CallOutcome) =>
        answers.set(label, outcome.ok ? JSON.stringify(outcome.value) : `error ${outcome.code}`),
      ),
    );
  };
  const order = (atMs: number, orderId: string, user: string, items: OrderItem[], region = 'north'): void =>
    send(atMs, orderId, { path: '/api/orders', method: 'POST', headers: { authorization: `Bearer ${tokenOf(user)}` }, body: { orderId, items, address: { region } } });
  const broken = (): string[] =>
    shopInvariants()
      .map((check) => ({ check, verdict: evaluate(check, { system: shop, world, nowMs: world.nowMs, metrics: new WorkloadMetrics(1000) }) }))
      .filter(({ verdict }) => !verdict.holds)
      .map(({ check, verdict }) => `${check.name}: ${verdict.message}`);
  const statuses = (): Record<string, string> => Object.fromEntries([...shop.state.orders()].map(([id, row]) => [id, row.reason ? `${row.status} (${row.reason})` : row.status]));
  return { world, shop, answers, send, order, broken, statuses };
}

const line = (productId: string, quantity: number): OrderItem => ({ productId, quantity });

describe.each(SHOP_ARCHITECTURES)('the shop as %s', (architecture) => {
  it('confirms, declines and compensates orders end to end, and keeps every invariant', async () => {
    const h = shopWorld(architecture);
    h.order(50, 'ok', 'u0', [line('p0', 2)]);
    h.order(60, 'broke', 'u1', [line('p1', 25)]); // 250.00 > 200.00: declined by payments
    h.order(70, 'greedy', 'u2', [line('p2', 4), line('p2', 7)]); // 11 of 10 units: refused by inventory after the charge
    h.order(80, 'lunar', 'u3', [line('p3', 1)], 'moon'); // refused by shipping after charge and reservation
    h.send(2000, 'read', { path: '/api/orders/ok', method: 'GET', headers: { authorization: `Bearer ${tokenOf('u0')}` } });
    h.send(2000, 'products', { path: '/api/products/p1', method: 'GET' });
    h.send(2000, 'me', { path: '/api/users/me', method: 'GET', headers: { authorization: `Bearer ${tokenOf('u4')}` } });
    h.send(2000, 'anonymous', { path: '/api/orders', method: 'POST', body: { orderId: 'x', items: [line('p0', 1)] } });
    await h.world.sim.run({ untilMs: 4000 });

    if (architecture === 'microservices-async') {
      expect(h.answers.get('ok')).toBe('{"orderId":"ok","status":"PENDING"}');
    } else {
      expect(h.answers.get('ok')).toBe('{"orderId":"ok","status":"CONFIRMED"}');
      expect(h.answers.get('broke')).toMatch(/^\{"orderId":"broke","status":"CANCELLED","reason":".*insufficient funds.*"\}$/);
    }
    expect(h.statuses()).toEqual({
      ok: 'CONFIRMED',
      broke: expect.stringMatching(/^CANCELLED \(.*insufficient funds/),
      greedy: expect.stringMatching(/^CANCELLED \(.*out of stock: p2/),
      lunar: expect.stringMatching(/^CANCELLED \(.*region not served: moon/),
    });
    expect(JSON.parse(h.answers.get('read')!)).toMatchObject({ orderId: 'ok', status: 'CONFIRMED', amount: 2000 });
    expect(JSON.parse(h.answers.get('products')!)).toEqual({ productId: 'p1', name: 'product 1', price: 1000 });
    expect(JSON.parse(h.answers.get('me')!)).toMatchObject({ userId: 'u4', name: 'user 4' });
    expect(h.answers.get('anonymous')).toBe('error unauthorized');
    expect(h.broken()).toEqual([]);
    const metrics = h.shop.metrics();
    expect(metrics).toMatchObject({ ordersCreated: 4, ordersConfirmed: 1, ordersCancelled: 3, ordersNonFinal: 0, doubleChargesPrevented: 0 });
    // A monolith rolls a failed order back in one transaction; the sagas compensate: greedy's
    // charge (1 refund), lunar's charge and stock (1 refund, 1 release).
    expect(metrics.compensations).toBe(architecture === 'monolith' ? 0 : 3);
    expect(h.shop.state.accounts().get('u0')).toEqual({ balance: 18_000 });
    expect(h.shop.state.accounts().get('u2')).toEqual({ balance: 20_000 });
  });
});

describe('the shop under faults', () => {
  it('resumes an order saga after the orders service crashes mid-saga, and completes it', async () => {
    const h = shopWorld('microservices-sync');
    const sagaEvents: string[] = [];
    h.world.sim.trace.addSink((event) => {
      if (event.kind.startsWith('saga.')) sagaEvents.push(`${event.kind} ${event.detail}`);
    });
    h.order(50, 'o1', 'u0', [line('p0', 1)]);
    // The saga's first step is in flight at 54: the crash loses it and the client's request.
    h.world.sim.at(54, () => h.world.crash('orders'));
    h.world.sim.at(1000, () => h.world.restart('orders'));
    await h.world.sim.run({ untilMs: 5000 });
    expect(h.answers.get('o1')).toBe('error timeout');
    expect(sagaEvents.filter((event) => event.includes('o1'))).toEqual([
      'saga.start o1 order',
      'saga.resume o1 running done=0',
      'saga.step o1 payment done',
      'saga.step o1 inventory done',
      'saga.step o1 shipping done',
      'saga.done o1 completed',
    ]);
    expect(h.statuses()).toEqual({ o1: 'CONFIRMED' });
    // The charge sent before the crash and the one after it were one charge.
    expect(h.shop.state.payments().get('o1')).toMatchObject({ status: 'CHARGED', charges: 1 });
    expect(h.broken()).toEqual([]);
  });

  it('with the breaker, answers PENDING while payments is down and confirms those orders once it is back', async () => {
    const h = shopWorld('microservices-sync+breaker');
    h.world.sim.at(100, () => h.world.crash('payments'));
    h.world.sim.at(3000, () => h.world.restart('payments'));
    for (let index = 0; index < 20; index++) h.order(200 + index * 50, `o${index}`, `u${index % 5}`, [line(`p${index % 4}`, 1)]);
    await h.world.sim.run({ untilMs: 20_000 });
    const receipts = [...h.answers.values()];
    // The first calls fail until the circuit opens; then orders park and are answered PENDING at once.
    expect(receipts.filter((receipt) => receipt.includes('PENDING')).length).toBeGreaterThan(5);
    expect(Object.values(h.statuses()).every((status) => status === 'CONFIRMED' || status.startsWith('CANCELLED'))).toBe(true);
    expect(h.shop.metrics().ordersConfirmed).toBeGreaterThan(10);
    expect(h.broken()).toEqual([]);
  });

  it('absorbs duplicated messages on the bus: no order is charged twice', async () => {
    const h = shopWorld('microservices-async', {}, { latencyMs: { kind: 'uniform', min: 0.5, max: 3 }, duplicateProbability: 0.3 });
    for (let index = 0; index < 15; index++) h.order(100 + index * 20, `o${index}`, `u${index % 5}`, [line(`p${index % 4}`, 1)]);
    await h.world.sim.run({ untilMs: 10_000 });
    expect(h.broken()).toEqual([]);
    expect(Object.values(h.statuses())).toEqual(Array.from({ length: 15 }, () => 'CONFIRMED'));
    for (const payment of h.shop.state.payments().values()) expect(payment.charges).toBe(1);
    expect(h.shop.metrics().doubleChargesPrevented).toBeGreaterThan(0);
  });

  it('aborts async orders past their deadline, compensating from the last step back, and cancels them', async () => {
    const h = shopWorld('microservices-async', { sagaTimeoutMs: 2000 });
    const events: string[] = [];
    h.world.sim.trace.addSink((event) => {
      if (/^(payment|inventory|shipping|order)\./.test(event.kind) && event.detail?.startsWith('o1')) events.push(`${event.kind} ${event.detail}`);
    });
    // Shipping is down: the order is charged and reserved, then stuck past its deadline.
    h.world.sim.at(40, () => h.world.crash('shipping'));
    h.order(50, 'o1', 'u0', [line('p0', 1)]);
    h.world.sim.at(6000, () => h.world.restart('shipping'));
    await h.world.sim.run({ untilMs: 15_000 });
    expect(events).toEqual([
      'order.created o1',
      'payment.charged o1 1000',
      'inventory.reserved o1',
      'order.expired o1',
      // Back up, shipping first handles the reservation event it missed, then the abort undoes that
      // shipment; the compensation then unwinds newest first: inventory, then payment.
      'shipping.scheduled o1',
      'shipping.cancelled o1',
      'inventory.released o1',
      'payment.refunded o1 1000',
      'order.final o1 CANCELLED',
    ]);
    expect(h.broken()).toEqual([]);
  });

  it('runs the choreography with replicated services: outbox relays on the database nodes, two consumers per group', async () => {
    const h = shopWorld('microservices-async', { instances: { orders: 2, payments: 2, inventory: 2 } });
    for (let index = 0; index < 12; index++) h.order(100 + index * 15, `o${index}`, `u${index % 5}`, [line(`p${index % 4}`, 1)], index === 5 ? 'moon' : 'north');
    // One payments instance dies for a while: its group partner and the bus carry on.
    h.world.sim.at(150, () => h.world.crash('payments-1'));
    h.world.sim.at(2500, () => h.world.restart('payments-1'));
    await h.world.sim.run({ untilMs: 10_000 });
    expect(['orders-db', 'payments-db', 'inventory-db', 'shipping'].every((node) => h.world.hasNode(node))).toBe(true);
    expect(h.broken()).toEqual([]);
    const statuses = h.statuses();
    expect(Object.keys(statuses)).toHaveLength(12);
    expect(statuses.o5).toMatch(/^CANCELLED \(region not served: moon\)$/);
    expect(Object.entries(statuses).filter(([id]) => id !== 'o5').every(([, status]) => status === 'CONFIRMED')).toBe(true);
  });

  it('keeps each database to its service: products-db refuses a node of the orders service', async () => {
    const h = shopWorld('microservices-sync');
    let answer = '';
    h.world.addNode('orders-9', (ctx) => ({
      onStart: () =>
        ctx.spawn(async () => {
          answer = await ctx.call('products-db', DB_RUN_METHOD, { procedure: 'products.list', args: {} }).then(
            () => 'ok',
            (error: Error) => error.message,
          );
        }),
    }), { labels: { service: 'orders' } });
    await h.world.sim.run({ untilMs: 100 });
    expect(answer).toBe("database products belongs to products; orders-9 (service orders) must use products's API");
  });
});

describe('fault targets', () => {
  it('names the nodes a service fault hits: its own nodes as microservices, every replica of the monolith', () => {
    expect(serviceFaultTargets('monolith', 'payments')).toEqual(['shop-1', 'shop-2', 'shop-3']);
    expect(serviceFaultTargets('microservices-async', 'payments')).toEqual(['payments']);
    expect(serviceFaultTargets('microservices-sync', 'products')).toEqual(['products-1', 'products-2']);
    expect(serviceFaultTargets('microservices-sync', 'orders', { instances: { orders: 3 } })).toEqual(['orders-1', 'orders-2', 'orders-3']);
    expect(serviceDatabaseNode('monolith', 'inventory')).toBe('shop-db');
    expect(serviceDatabaseNode('microservices-sync', 'inventory')).toBe('inventory');
    expect(serviceDatabaseNode('microservices-sync', 'products')).toBe('products-db');
  });
});
