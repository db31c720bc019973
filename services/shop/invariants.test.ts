// Tests for services/shop/invariants.ts: every check holds on consistent books and fails, with a
// message naming the culprit, on each kind of violation it exists to catch.
import { describe, expect, it } from 'vitest';
import { evaluate, type Check, type CheckContext } from '../../sim/harness/checks.ts';
import {
  cancelledOrdersHoldNothing,
  confirmedOrdersAreComplete,
  everyOrderFinal,
  finalStatesNeverChange,
  moneyConserved,
  noDoubleCharge,
  settledBooksBalance,
  shopInvariants,
  stockBalances,
} from './invariants.ts';
import type { AccountRow, OrderRow, PaymentRow, ReservationRow, ShipmentRow, StockRow } from './model.ts';
import type { ShopSystem } from './system.ts';

/**
 * Consistent books: u1 opened with 1000 and u2 with 500; p1 had 10 units. Order a (CONFIRMED,
 * 300, 2 units) is charged, reserved and shipped; order b (CANCELLED) was refunded and released.
 */
function books() {
  const orders = new Map<string, OrderRow>([
    ['a', { orderId: 'a', userId: 'u1', items: [{ productId: 'p1', quantity: 2 }], amount: 300, address: { region: 'north' }, status: 'CONFIRMED', createdAtMs: 0 }],
    ['b', { orderId: 'b', userId: 'u2', items: [{ productId: 'p1', quantity: 1 }], amount: 100, address: { region: 'moon' }, status: 'CANCELLED', createdAtMs: 0 }],
  ]);
  const payments = new Map<string, PaymentRow>([
    ['a', { userId: 'u1', amount: 300, status: 'CHARGED', charges: 1 }],
    ['b', { userId: 'u2', amount: 100, status: 'REFUNDED', charges: 1 }],
  ]);
  const accounts = new Map<string, AccountRow>([
    ['u1', { balance: 700 }],
    ['u2', { balance: 500 }],
  ]);
  const stock = new Map<string, StockRow>([['p1', { available: 8 }]]);
  const reservations = new Map<string, ReservationRow>([
    ['a', { items: [{ productId: 'p1', quantity: 2 }], status: 'RESERVED' }],
    ['b', { items: [{ productId: 'p1', quantity: 1 }], status: 'RELEASED' }],
  ]);
  const shipments = new Map<string, ShipmentRow>([
    ['a', { address: { region: 'north' }, status: 'SCHEDULED' }],
    ['b', { address: { region: 'moon' }, status: 'REJECTED' }],
  ]);
  const shop = {
    catalogue: { totalMoney: 1500, initialStock: new Map([['p1', 10]]) },
    state: { orders: () => orders, payments: () => payments, accounts: () => accounts, stock: () => stock, reservations: () => reservations, shipments: () => shipments },
    finalSeen: new Map<string, string>(),
  } as unknown as ShopSystem;
  return { shop, orders, payments, accounts, stock, reservations, shipments };
}

const verdict = (check: Check<ShopSystem>, shop: ShopSystem): string => {
  const result = evaluate(check, { system: shop, nowMs: 0 } as CheckContext<ShopSystem>);
  return result.holds ? 'holds' : result.message;
};

describe('shop invariants', () => {
  it('all hold on consistent books', () => {
    const { shop } = books();
    expect(shopInvariants().map((check) => `${check.name}: ${verdict(check, shop)}`)).toEqual([
      'money is conserved: holds',
      'no order is charged twice: holds',
      'stock balances: holds',
      'no order is confirmed without payment and reservation: holds',
      'a cancelled order holds no money, stock or shipment: holds',
      'final order states never change: holds',
      'every order reaches a final state: holds',
      'charged − refunded = confirmed orders, stock held = confirmed orders: holds',
    ]);
    expect(shopInvariants().map((check) => check.kind)).toEqual(['always', 'always', 'always', 'always', 'always', 'always', 'eventually', 'eventually']);
  });

  it('money: catches money taken without a charge and a negative wallet', () => {
    const h = books();
    h.accounts.set('u2', { balance: 450 });
    expect(verdict(moneyConserved(), h.shop)).toBe('wallets 1150 + charged 300 = 1450, but the shop opened with 1500');
    h.accounts.set('u2', { balance: -1 });
    expect(verdict(moneyConserved(), h.shop)).toBe('wallet u2 is negative: -1');
  });

  it('double charge: catches a payment that took money twice', () => {
    const h = books();
    h.payments.set('a', { userId: 'u1', amount: 300, status: 'CHARGED', charges: 2 });
    expect(verdict(noDoubleCharge(), h.shop)).toBe('order a was charged 2 times');
  });

  it('stock: catches units that vanished and negative stock', () => {
    const h = books();
    h.stock.set('p1', { available: 7 });
    expect(verdict(stockBalances(), h.shop)).toBe('p1: available 7 + reserved 2 = 9, opening stock was 10');
    h.stock.set('p1', { available: -2 });
    expect(verdict(stockBalances(), h.shop)).toBe('stock of p1 is negative: -2');
  });

  it('confirmed: catches a confirmed order without its payment, reservation or shipment', () => {
    const h = books();
    h.shipments.delete('a');
    expect(verdict(confirmedOrdersAreComplete(), h.shop)).toBe('order a is CONFIRMED but its shipment is missing');
    h.reservations.set('a', { items: [], status: 'RELEASED' });
    expect(verdict(confirmedOrdersAreComplete(), h.shop)).toBe('order a is CONFIRMED but its reservation is RELEASED');
    h.payments.set('a', { userId: 'u1', amount: 200, status: 'CHARGED', charges: 1 });
    expect(verdict(confirmedOrdersAreComplete(), h.shop)).toBe('order a is CONFIRMED but its payment is CHARGED (200 of 300)');
  });

  it('cancelled: catches a cancelled order still charged, holding stock or shipping, and a charge for no order', () => {
    const h = books();
    h.shipments.set('b', { address: { region: 'north' }, status: 'SCHEDULED' });
    expect(verdict(cancelledOrdersHoldNothing(), h.shop)).toBe('order b is CANCELLED but its shipment is still SCHEDULED');
    h.reservations.set('b', { items: [{ productId: 'p1', quantity: 1 }], status: 'RESERVED' });
    expect(verdict(cancelledOrdersHoldNothing(), h.shop)).toBe('order b is CANCELLED but still holds stock');
    h.payments.set('b', { userId: 'u2', amount: 100, status: 'CHARGED', charges: 1 });
    expect(verdict(cancelledOrdersHoldNothing(), h.shop)).toBe('order b is CANCELLED but still charged 100');
    h.payments.set('ghost', { userId: 'u2', amount: 5, status: 'CHARGED', charges: 1 });
    h.payments.delete('b');
    expect(verdict(cancelledOrdersHoldNothing(), h.shop)).toBe('payment ghost is CHARGED but there is no such order');
  });

  it('final states: catches a final order that changes between samples', () => {
    const h = books();
    const check = finalStatesNeverChange();
    expect(verdict(check, h.shop)).toBe('holds');
    h.orders.set('b', { ...h.orders.get('b')!, status: 'CONFIRMED' });
    expect(verdict(check, h.shop)).toBe('order b was CANCELLED and is now CONFIRMED');
  });

  it('liveness: reports orders not final yet, and unsettled books', () => {
    const h = books();
    h.orders.set('c', { ...h.orders.get('a')!, orderId: 'c', status: 'PENDING' });
    h.orders.set('d', { ...h.orders.get('a')!, orderId: 'd', status: 'ABORTING' });
    expect(verdict(everyOrderFinal(), h.shop)).toBe('2 orders are not final, e.g. c (PENDING)');
    const settled = books();
    settled.payments.set('b', { userId: 'u2', amount: 100, status: 'CHARGED', charges: 1 });
    expect(verdict(settledBooksBalance(), settled.shop)).toBe('charged 400 − refunded 0 = 400, confirmed orders total 300');
    const held = books();
    held.reservations.set('b', { items: [{ productId: 'p1', quantity: 1 }], status: 'RESERVED' });
    expect(verdict(settledBooksBalance(), held.shop)).toBe('order b is CANCELLED with its reservation RESERVED');
  });
});
