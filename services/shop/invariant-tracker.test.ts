// Tests for services/shop/invariant-tracker.ts: over a state with a change feed, every shop check
// gives exactly the verdict (and message) of a full read, at every sample, whatever was written.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluate, type CheckContext } from '../../sim/harness/checks.ts';
import { shopInvariants } from './invariants.ts';
import { TABLES, type OrderStatus, type PaymentStatus, type ReservationStatus, type ShipmentStatus } from './model.ts';
import { diskState, type ShopState, type ShopSystem } from './system.ts';
import { World as SimWorld } from '../../sim/world/world.ts';
import { DatabaseRegistry, type Database } from '../data/database.ts';
import type { World } from '../../sim/world/world.ts';

const IDS = ['a', 'b', 'c', 'd'];
const USERS = ['u1', 'u2'];
const PRODUCTS = ['p1', 'p2'];

/** The shop's six watched tables plus stock, as plain maps, with a journal per table like the disk's. */
function books() {
  const tables = new Map<string, Map<string, unknown>>([TABLES.orders, TABLES.payments, TABLES.accounts, TABLES.stock, TABLES.reservations, TABLES.shipments].map((name) => [name, new Map()]));
  tables.get(TABLES.accounts)!.set('u1', { balance: 700 }).set('u2', { balance: 500 });
  tables.get(TABLES.stock)!.set('p1', { available: 10 }).set('p2', { available: 5 });
  // A table without a journal is read whole (first read, or its disk replaced), then journaled.
  const journals = new Map<string, Set<string>>();
  const table = <T,>(name: string) => () => tables.get(name)! as ReadonlyMap<string, T>;
  const plain = {
    orders: table(TABLES.orders),
    payments: table(TABLES.payments),
    accounts: table(TABLES.accounts),
    stock: table(TABLES.stock),
    reservations: table(TABLES.reservations),
    shipments: table(TABLES.shipments),
  } as ShopState;
  const fed: ShopState = {
    ...plain,
    changedKeys: (name) => {
      const journal = journals.get(name);
      if (journal === undefined) {
        journals.set(name, new Set());
        return undefined;
      }
      const keys = [...journal];
      journal.clear();
      return keys;
    },
  };
  const write = (name: string, key: string, row: unknown): void => {
    if (row === undefined) tables.get(name)!.delete(key);
    else tables.get(name)!.set(key, row);
    journals.get(name)?.add(key);
  };
  const system = (state: ShopState): ShopSystem =>
    ({ catalogue: { totalMoney: 1200, initialStock: new Map([['p1', 10], ['p2', 5]]) }, state, finalSeen: new Map<string, string>() }) as unknown as ShopSystem;
  return { write, tracked: system(fed), full: system(plain), replaceDisks: () => journals.delete(TABLES.payments) };
}

type Step = { kind: 'write'; table: string; key: string; row: unknown } | { kind: 'sample' } | { kind: 'settle' } | { kind: 'replace' };

const amount = fc.constantFrom(0, 100, 250, -5, 0.5);
const write = fc.oneof(
  fc.record({ table: fc.constant(TABLES.orders), key: fc.constantFrom(...IDS), row: fc.record({ status: fc.constantFrom<OrderStatus>('CONFIRMED', 'CANCELLED'), amount }) }),
  fc.record({ table: fc.constant(TABLES.orders), key: fc.constantFrom(...IDS), row: fc.option(fc.record({ status: fc.constantFrom<OrderStatus>('PENDING', 'ABORTING', 'CONFIRMED', 'CANCELLED'), amount }), { nil: undefined }) }),
  fc.record({ table: fc.constant(TABLES.payments), key: fc.constantFrom(...IDS), row: fc.option(fc.record({ status: fc.constantFrom<PaymentStatus>('CHARGED', 'DECLINED', 'REFUNDED', 'VOIDED'), amount, charges: fc.constantFrom(0, 1, 2) }), { nil: undefined }) }),
  fc.record({ table: fc.constant(TABLES.accounts), key: fc.constantFrom(...USERS), row: fc.record({ balance: fc.constantFrom(700, 500, 450, 950, 600, -1, 12.5) }) }),
  fc.record({ table: fc.constant(TABLES.stock), key: fc.constantFrom(...PRODUCTS), row: fc.record({ available: fc.constantFrom(10, 8, 5, 4, 3, -1) }) }),
  fc.record({
    table: fc.constant(TABLES.reservations),
    key: fc.constantFrom(...IDS),
    row: fc.option(fc.record({ status: fc.constantFrom<ReservationStatus>('RESERVED', 'REJECTED', 'RELEASED'), items: fc.array(fc.record({ productId: fc.constantFrom(...PRODUCTS), quantity: fc.constantFrom(1, 2) }), { maxLength: 2 }) }), { nil: undefined }),
  }),
  fc.record({ table: fc.constant(TABLES.shipments), key: fc.constantFrom(...IDS), row: fc.option(fc.record({ status: fc.constantFrom<ShipmentStatus>('SCHEDULED', 'REJECTED', 'CANCELLED') }), { nil: undefined }) }),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: write.map((w) => ({ kind: 'write' as const, ...w })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'sample' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'replace' as const }) },
);

describe('invariant tracker', () => {
  it('gives every check the verdict and message of a full read, at every sample (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 20, maxLength: 80 }), (steps) => {
        const h = books();
        const checks = shopInvariants();
        // As the run's sampler: an always check stops being evaluated after its first failure.
        const failed = new Set<string>();
        // The run's mark moves with every write, as a world's event count does: checks between writes share one refresh.
        let writes = 0;
        const compare = (kinds: readonly string[]): void => {
          for (const check of checks) {
            if (!kinds.includes(check.kind) || failed.has(check.name)) continue;
            const world = { sim: { events: writes } } as unknown as World;
            const tracked = evaluate(check, { system: h.tracked, world, nowMs: 0 } as CheckContext<ShopSystem>);
            const full = evaluate(check, { system: h.full, nowMs: 0 } as CheckContext<ShopSystem>);
            expect(`${check.name}: ${tracked.holds} ${tracked.message}`).toBe(`${check.name}: ${full.holds} ${full.message}`);
            if (!full.holds && check.kind === 'always') failed.add(check.name);
          }
        };
        for (const next of steps) {
          if (next.kind === 'write') {
            const row = next.row === undefined ? undefined : next.table === TABLES.orders ? { orderId: next.key, ...(next.row as object) } : next.row;
            h.write(next.table, next.key, row);
            writes++;
          } else if (next.kind === 'sample') compare(['always']);
          else if (next.kind === 'settle') compare(['eventually']);
          else {
            h.replaceDisks();
            writes++;
          }
        }
        compare(['always', 'eventually']);
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it('the disk change feed lists the keys written since the last read; it asks for a whole read first, after a wipe and after an overflow', async () => {
    const world = new SimWorld(1);
    const registry = new DatabaseRegistry();
    const live: { db?: Database } = {};
    world.addNode('orders', (ctx) => {
      live.db = registry.openDatabase(ctx, 'orders', { readMs: 0, writeMs: 0, commitMs: 0, syncMs: 0 });
      return {};
    });
    const state = diskState(world, () => ({ node: 'orders', database: 'orders' }));
    const reads: (string[] | undefined)[] = [];
    const at = (atMs: number, work: () => Promise<unknown> | void): void => void world.sim.at(atMs, () => world.node("orders").ctx.spawn(async () => void (await work())));
    at(1, () => live.db!.put(TABLES.orders, 'o1', { status: 'PENDING' }));
    at(2, () => void reads.push(state.changedKeys!(TABLES.orders)));
    at(3, async () => {
      await live.db!.put(TABLES.orders, 'o2', { status: 'PENDING' });
      await live.db!.put(TABLES.orders, 'o1', { status: 'CONFIRMED' });
    });
    at(4, () => void reads.push(state.changedKeys!(TABLES.orders), state.changedKeys!(TABLES.orders)));
    world.sim.at(5, () => world.crash('orders', { wipeDurable: true }));
    world.sim.at(6, () => world.restart('orders'));
    at(7, () => void reads.push(state.changedKeys!(TABLES.orders)));
    at(8, () =>
      live.db!.transaction((tx) => {
        for (let index = 0; index < 70_000; index++) tx.put(TABLES.orders, `x${index}`, { status: 'PENDING' });
      }),
    );
    at(9, () => void reads.push(state.changedKeys!(TABLES.orders), state.changedKeys!(TABLES.orders)));
    await world.sim.run({ untilMs: 20 });
    expect(reads).toEqual([undefined, ['o2', 'o1'], [], undefined, undefined, []]);
  });
});
