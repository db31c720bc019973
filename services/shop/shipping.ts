// Shipping: one shipment per order. Schedule refuses regions it does not serve; cancel is
// idempotent and, before any schedule, leaves a tombstone that refuses the late schedule.
// Trace events (after commit): shipping.scheduled, shipping.rejected, shipping.cancelled.
import type { Procedure, Procedures } from '../data/db-node.ts';
import { TABLES, type Address, type ShipmentRow, type ShipmentStatus, type StepAnswer } from './model.ts';
import type { ShopObserver } from './observer.ts';

/** Regions shipping does not serve. */
export const UNSERVED_REGIONS: ReadonlySet<string> = new Set(['moon']);

/** Book a shipment of `orderId` to `address`. */
export interface ScheduleArgs {
  orderId: string;
  address: Address;
}

/** Cancel `orderId`'s shipment (or make sure it never happens). */
export interface CancelShipmentArgs {
  orderId: string;
}

/** The shipping module's procedures: `shipping.schedule`, `shipping.cancel`. */
export function shippingProcedures(observer: ShopObserver): Procedures {
  const schedule: Procedure<ScheduleArgs, StepAnswer<'SCHEDULED' | 'REJECTED'>> = async (tx, args, context) => {
    const existing = await tx.getFrozen<ShipmentRow>(TABLES.shipments, args.orderId);
    if (existing !== undefined) {
      const scheduled = existing.status === 'SCHEDULED';
      return { status: scheduled ? 'SCHEDULED' : 'REJECTED', duplicate: true, changed: false, reason: scheduled ? undefined : existing.status === 'CANCELLED' ? 'cancelled before scheduling' : 'region not served' };
    }
    if (UNSERVED_REGIONS.has(args.address.region)) {
      tx.put(TABLES.shipments, args.orderId, { address: args.address, status: 'REJECTED' } satisfies ShipmentRow);
      context.emit('shipping.rejected', `${args.orderId} ${args.address.region}`);
      return { status: 'REJECTED', duplicate: false, changed: true, reason: `region not served: ${args.address.region}` };
    }
    tx.put(TABLES.shipments, args.orderId, { address: args.address, status: 'SCHEDULED' } satisfies ShipmentRow);
    context.emit('shipping.scheduled', args.orderId);
    return { status: 'SCHEDULED', duplicate: false, changed: true };
  };

  const cancel: Procedure<CancelShipmentArgs, StepAnswer<ShipmentStatus>> = async (tx, args, context) => {
    const existing = await tx.getFrozen<ShipmentRow>(TABLES.shipments, args.orderId);
    if (existing === undefined) {
      tx.put(TABLES.shipments, args.orderId, { address: { region: '' }, status: 'CANCELLED' } satisfies ShipmentRow);
      context.emit('shipping.cancelled', `${args.orderId} (before scheduling)`);
      return { status: 'CANCELLED', duplicate: false, changed: true };
    }
    if (existing.status !== 'SCHEDULED') return { status: existing.status, duplicate: true, changed: false };
    tx.put(TABLES.shipments, args.orderId, { ...existing, status: 'CANCELLED' } satisfies ShipmentRow);
    context.afterCommit(() => observer.compensation('cancel-shipment'));
    context.emit('shipping.cancelled', args.orderId);
    return { status: 'CANCELLED', duplicate: false, changed: true };
  };

  return { 'shipping.schedule': schedule, 'shipping.cancel': cancel };
}
