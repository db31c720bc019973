// Inventory: stock per product and one reservation per order. Reserve is all-or-nothing and
// idempotent by order id; a release before the reservation leaves a tombstone that refuses it.
// Trace events (after commit): inventory.reserved, inventory.rejected, inventory.released.
import { copyRow, putOwned } from '../data/database.ts';
import type { Procedure, Procedures } from '../data/db-node.ts';
import { TABLES, type OrderItem, type ReservationRow, type ReservationStatus, type StepAnswer, type StockRow } from './model.ts';
import type { ShopObserver } from './observer.ts';

/** Reserve `items` for `orderId`. */
export interface ReserveArgs {
  orderId: string;
  items: OrderItem[];
}

/** Release `orderId`'s reservation (or make sure it never happens). */
export interface ReleaseArgs {
  orderId: string;
}

/** The inventory module's procedures: `inventory.reserve`, `inventory.release`. */
export function inventoryProcedures(observer: ShopObserver): Procedures {
  const reserve: Procedure<ReserveArgs, StepAnswer<'RESERVED' | 'REJECTED'>> = async (tx, args, context) => {
    const existing = await tx.getFrozen<ReservationRow>(TABLES.reservations, args.orderId);
    if (existing !== undefined) {
      const reserved = existing.status === 'RESERVED';
      return { status: reserved ? 'RESERVED' : 'REJECTED', duplicate: true, changed: false, reason: reserved ? undefined : existing.status === 'RELEASED' ? 'cancelled before the reservation' : 'out of stock' };
    }
    const wanted = totals(args.items);
    const stock = new Map<string, Readonly<StockRow>>();
    for (const [productId, quantity] of wanted) {
      const row = await tx.getFrozen<StockRow>(TABLES.stock, productId);
      if (row === undefined || row.available < quantity) {
        putOwned(tx, TABLES.reservations, args.orderId, { items: copyRow(args.items), status: 'REJECTED' } satisfies ReservationRow);
        context.emit('inventory.rejected', `${args.orderId} out of stock: ${productId}`);
        return { status: 'REJECTED', duplicate: false, changed: true, reason: `out of stock: ${productId}` };
      }
      stock.set(productId, row);
    }
    for (const [productId, quantity] of wanted) putOwned(tx, TABLES.stock, productId, { available: stock.get(productId)!.available - quantity } satisfies StockRow);
    putOwned(tx, TABLES.reservations, args.orderId, { items: copyRow(args.items), status: 'RESERVED' } satisfies ReservationRow);
    context.emit('inventory.reserved', args.orderId);
    return { status: 'RESERVED', duplicate: false, changed: true };
  };

  const release: Procedure<ReleaseArgs, StepAnswer<ReservationStatus>> = async (tx, args, context) => {
    const existing = await tx.getFrozen<ReservationRow>(TABLES.reservations, args.orderId);
    if (existing === undefined) {
      putOwned(tx, TABLES.reservations, args.orderId, { items: [], status: 'RELEASED' } satisfies ReservationRow);
      context.emit('inventory.released', `${args.orderId} (before any reservation)`);
      return { status: 'RELEASED', duplicate: false, changed: true };
    }
    if (existing.status !== 'RESERVED') return { status: existing.status, duplicate: true, changed: false };
    for (const [productId, quantity] of totals(existing.items)) {
      const row = await tx.getFrozen<StockRow>(TABLES.stock, productId);
      putOwned(tx, TABLES.stock, productId, { available: (row?.available ?? 0) + quantity } satisfies StockRow);
    }
    putOwned(tx, TABLES.reservations, args.orderId, { ...existing, status: 'RELEASED' } satisfies ReservationRow);
    context.afterCommit(() => observer.compensation('release'));
    context.emit('inventory.released', args.orderId);
    return { status: 'RELEASED', duplicate: false, changed: true };
  };

  return { 'inventory.reserve': reserve, 'inventory.release': release };
}

/** Quantity per product, in first-seen order (an order may name a product twice). */
export function totals(items: readonly OrderItem[]): Map<string, number> {
  const wanted = new Map<string, number>();
  for (const item of items) wanted.set(item.productId, (wanted.get(item.productId) ?? 0) + item.quantity);
  return wanted;
}
