// Tests for the shop's step procedures (payments, inventory, shipping): idempotent by order id,
// tombstones that refuse a late action after its compensation, and all-or-nothing reservations.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import { DatabaseRegistry } from '../data/database.ts';
import { diskTable, openProcedureDatabase, type Procedures } from '../data/db-node.ts';
import { inventoryProcedures } from './inventory.ts';
import { TABLES, type AccountRow, type PaymentRow, type ReservationRow, type StockRow } from './model.ts';
import { ShopMetrics } from './observer.ts';
import { paymentsProcedures, unitHash } from './payments.ts';
import { shippingProcedures } from './shipping.ts';

/** One node `svc` with an embedded database of `procedures` seeded with `table/id` rows; `steps` run in order, their answers collected. */
async function runSteps(procedures: (observer: ShopMetrics) => Procedures, seed: () => Record<string, unknown>, steps: [string, unknown][]) {
  const world = new World(1);
  const registry = new DatabaseRegistry();
  const observer = new ShopMetrics(() => world.nowMs);
  const answers: unknown[] = [];
  world.addNode('svc', (ctx) => {
    const database = openProcedureDatabase(ctx, {
      registry,
      database: 'svc',
      procedures: procedures(observer),
      initialize: (tx) => {
        for (const [key, row] of Object.entries(seed())) {
          const [table, id] = key.split('/');
          tx.put(table!, id!, row);
        }
      },
    });
    return {
      onStart: () =>
        ctx.spawn(async () => {
          for (const [name, args] of steps) answers.push(await database.runner.run(name, args));
        }),
    };
  });
  await world.sim.run({ untilMs: 1000 });
  const table = <T,>(name: string) => Object.fromEntries(diskTable<T>(world.node('svc'), 'svc', name));
  return { answers, observer, table };
}

const wallet = (balance: number): AccountRow => ({ balance });

describe('payments', () => {
  it('charges an order once: a second charge with the same order id takes no money', async () => {
    const charge = { orderId: 'o1', userId: 'u1', amount: 300 };
    const { answers, observer, table } = await runSteps((o) => paymentsProcedures(o), () => ({ 'accounts/u1': wallet(1000) }), [
      ['payments.charge', charge],
      ['payments.charge', charge],
    ]);
    expect(answers).toEqual([
      { status: 'CHARGED', duplicate: false, changed: true },
      { status: 'CHARGED', duplicate: true, changed: false },
    ]);
    expect(table<AccountRow>(TABLES.accounts)).toEqual({ u1: { balance: 700 } });
    expect(table<PaymentRow>(TABLES.payments)).toEqual({ o1: { userId: 'u1', amount: 300, status: 'CHARGED', charges: 1 } });
    expect(observer.duplicateChargesAbsorbed).toBe(1);
  });

  it('declines insufficient funds for good, and refunds a charge once', async () => {
    const { answers, table, observer } = await runSteps((o) => paymentsProcedures(o), () => ({ 'accounts/u1': wallet(500) }), [
      ['payments.charge', { orderId: 'big', userId: 'u1', amount: 600 }],
      ['payments.charge', { orderId: 'small', userId: 'u1', amount: 200 }],
      ['payments.charge', { orderId: 'big', userId: 'u1', amount: 600 }],
      ['payments.refund', { orderId: 'small', userId: 'u1' }],
      ['payments.refund', { orderId: 'small', userId: 'u1' }],
    ]);
    expect(answers).toEqual([
      { status: 'DECLINED', duplicate: false, changed: true, reason: 'insufficient funds' },
      { status: 'CHARGED', duplicate: false, changed: true },
      { status: 'DECLINED', duplicate: true, changed: false, reason: 'insufficient funds' },
      { status: 'REFUNDED', duplicate: false, changed: true },
      { status: 'REFUNDED', duplicate: true, changed: false },
    ]);
    expect(table<AccountRow>(TABLES.accounts)).toEqual({ u1: { balance: 500 } });
    expect(observer.refunds).toBe(1);
  });

  it('leaves a tombstone when the refund comes first, so the late charge takes nothing', async () => {
    const { answers, table } = await runSteps((o) => paymentsProcedures(o), () => ({ 'accounts/u1': wallet(500) }), [
      ['payments.refund', { orderId: 'o9', userId: 'u1' }],
      ['payments.charge', { orderId: 'o9', userId: 'u1', amount: 100 }],
    ]);
    expect(answers).toEqual([
      { status: 'VOIDED', duplicate: false, changed: true },
      { status: 'DECLINED', duplicate: true, changed: false, reason: 'cancelled before the charge' },
    ]);
    expect(table<AccountRow>(TABLES.accounts)).toEqual({ u1: { balance: 500 } });
  });

  it('declines the same orders in every run when a decline rate is set (by a hash of the order id)', async () => {
    const orders = Array.from({ length: 40 }, (_, index) => `o${index}`);
    const { answers } = await runSteps(
      (o) => paymentsProcedures(o, { declineRate: 0.25 }),
      () => ({ 'accounts/u': wallet(1_000_000) }),
      orders.map((orderId) => ['payments.charge', { orderId, userId: 'u', amount: 1 }] as [string, unknown]),
    );
    const declined = orders.filter((_, index) => (answers[index] as { status: string }).status === 'DECLINED');
    expect(declined).toEqual(orders.filter((orderId) => unitHash(orderId) < 0.25));
    expect(declined.length).toBeGreaterThan(4);
    expect(declined.length).toBeLessThan(16);
  });
});

describe('inventory', () => {
  const seed = () => ({ 'stock/p1': { available: 5 } satisfies StockRow, 'stock/p2': { available: 1 } satisfies StockRow });

  it('reserves all lines or none, adding up lines of the same product, idempotently', async () => {
    const { answers, table } = await runSteps((o) => inventoryProcedures(o), seed, [
      ['inventory.reserve', { orderId: 'a', items: [{ productId: 'p1', quantity: 2 }, { productId: 'p1', quantity: 2 }] }],
      ['inventory.reserve', { orderId: 'a', items: [{ productId: 'p1', quantity: 2 }, { productId: 'p1', quantity: 2 }] }],
      ['inventory.reserve', { orderId: 'b', items: [{ productId: 'p1', quantity: 1 }, { productId: 'p2', quantity: 2 }] }],
    ]);
    expect(answers).toEqual([
      { status: 'RESERVED', duplicate: false, changed: true },
      { status: 'RESERVED', duplicate: true, changed: false },
      { status: 'REJECTED', duplicate: false, changed: true, reason: 'out of stock: p2' },
    ]);
    expect(table<StockRow>(TABLES.stock)).toEqual({ p1: { available: 1 }, p2: { available: 1 } });
  });

  it('releases a reservation once, and a release before the reservation refuses it later', async () => {
    const { answers, table } = await runSteps((o) => inventoryProcedures(o), seed, [
      ['inventory.reserve', { orderId: 'a', items: [{ productId: 'p1', quantity: 3 }] }],
      ['inventory.release', { orderId: 'a' }],
      ['inventory.release', { orderId: 'a' }],
      ['inventory.release', { orderId: 'late' }],
      ['inventory.reserve', { orderId: 'late', items: [{ productId: 'p1', quantity: 1 }] }],
    ]);
    expect(answers).toEqual([
      { status: 'RESERVED', duplicate: false, changed: true },
      { status: 'RELEASED', duplicate: false, changed: true },
      { status: 'RELEASED', duplicate: true, changed: false },
      { status: 'RELEASED', duplicate: false, changed: true },
      { status: 'REJECTED', duplicate: true, changed: false, reason: 'cancelled before the reservation' },
    ]);
    expect(table<StockRow>(TABLES.stock).p1).toEqual({ available: 5 });
    expect(table<ReservationRow>(TABLES.reservations).late).toEqual({ items: [], status: 'RELEASED' });
  });
});

describe('shipping', () => {
  it('refuses unserved regions, schedules once, and tombstones a cancel that comes first', async () => {
    const { answers } = await runSteps((o) => shippingProcedures(o), () => ({}), [
      ['shipping.schedule', { orderId: 'a', address: { region: 'moon' } }],
      ['shipping.schedule', { orderId: 'b', address: { region: 'north' } }],
      ['shipping.schedule', { orderId: 'b', address: { region: 'north' } }],
      ['shipping.cancel', { orderId: 'b' }],
      ['shipping.cancel', { orderId: 'c' }],
      ['shipping.schedule', { orderId: 'c', address: { region: 'north' } }],
    ]);
    expect(answers).toEqual([
      { status: 'REJECTED', duplicate: false, changed: true, reason: 'region not served: moon' },
      { status: 'SCHEDULED', duplicate: false, changed: true },
      { status: 'SCHEDULED', duplicate: true, changed: false },
      { status: 'CANCELLED', duplicate: false, changed: true },
      { status: 'CANCELLED', duplicate: false, changed: true },
      { status: 'REJECTED', duplicate: true, changed: false, reason: 'cancelled before scheduling' },
    ]);
  });
});
