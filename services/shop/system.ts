// The handle every shop deployment's build returns: where traffic enters, the shop's state read
// from the databases' disks (outside the services), and the consistency metrics for reports.
import type { World } from '../../sim/world/world.ts';
import type { SystemHandle } from '../../sim/harness/scenario.ts';
import { diskTable } from '../data/db-node.ts';
import { watchDiskTable, type DiskJournal } from '../data/database.ts';
import type { ShopCatalogue } from './catalogue.ts';
import { TABLES, type AccountRow, type OrderRow, type PaymentRow, type ReservationRow, type ShipmentRow, type StockRow } from './model.ts';
import type { ShopMetrics } from './observer.ts';
import { GATEWAY } from './infra.ts';

/** The four ways the shop is deployed. */
export type ShopArchitecture = 'monolith' | 'microservices-sync' | 'microservices-sync+breaker' | 'microservices-async';

/** Every shop architecture, for validation and listings. */
export const SHOP_ARCHITECTURES: readonly ShopArchitecture[] = ['monolith', 'microservices-sync', 'microservices-sync+breaker', 'microservices-async'];

/** Committed rows of the shop's tables, read from disk without cost (rows must not be mutated). */
export interface ShopState {
  orders(): ReadonlyMap<string, OrderRow>;
  payments(): ReadonlyMap<string, PaymentRow>;
  accounts(): ReadonlyMap<string, AccountRow>;
  stock(): ReadonlyMap<string, StockRow>;
  reservations(): ReadonlyMap<string, ReservationRow>;
  shipments(): ReadonlyMap<string, ShipmentRow>;
  /**
   * Optional change feed, for checks that keep their conclusions between samples: the keys of
   * `table` (one of TABLES) written or deleted since the last call for that table, or undefined
   * when the table must be read whole (the first call, or its disk was replaced). One reader only.
   */
  changedKeys?(table: string): string[] | undefined;
}

/** Where a table lives: the database node and the database's name. */
export interface TableLocation {
  node: string;
  database: string;
}

/** A ShopState over the disks of `world`'s database nodes. */
export function diskState(world: World, locate: (table: string) => TableLocation): ShopState {
  const read = <T,>(table: string): ReadonlyMap<string, T> => {
    const where = locate(table);
    return diskTable<T>(world.node(where.node), where.database, table);
  };
  const journals = new Map<string, { image: object; journal: DiskJournal }>();
  /** Where each table's disk image is kept: its node, database and durable key (built once per table). */
  const disks = new Map<string, { node: string; database: string; imageKey: string }>();
  const diskOf = (table: string): { node: string; database: string; imageKey: string } => {
    let disk = disks.get(table);
    if (disk === undefined) {
      const where = locate(table);
      disk = { node: where.node, database: where.database, imageKey: `db:${where.database}` };
      disks.set(table, disk);
    }
    return disk;
  };
  const changedKeys = (table: string): string[] | undefined => {
    const disk = diskOf(table);
    const durable = world.node(disk.node).durable;
    const watch = journals.get(table);
    if (watch !== undefined && durable.get(disk.imageKey) === watch.image) {
      const journal = watch.journal;
      const keys = journal.keys;
      journal.keys = [];
      if (!journal.overflowed) return keys;
      // Too much changed since the last read to list: read it whole, and journal again from now on.
      journal.overflowed = false;
      return undefined;
    }
    // First call, or a new disk image (first open, or a wipe): journal from now on, read it whole now.
    const started = watchDiskTable(durable, disk.database, table);
    if (started === undefined) journals.delete(table);
    else journals.set(table, started);
    return undefined;
  };
  return {
    orders: () => read<OrderRow>(TABLES.orders),
    payments: () => read<PaymentRow>(TABLES.payments),
    accounts: () => read<AccountRow>(TABLES.accounts),
    stock: () => read<StockRow>(TABLES.stock),
    reservations: () => read<ReservationRow>(TABLES.reservations),
    shipments: () => read<ShipmentRow>(TABLES.shipments),
    changedKeys,
  };
}

/** A deployed shop, as checks and reports see it. */
export interface ShopSystem extends SystemHandle {
  /** The gateway node. */
  entry: string;
  architecture: ShopArchitecture;
  world: World;
  catalogue: ShopCatalogue;
  state: ShopState;
  /** Measurements reported by the shop's procedures after commits. */
  observer: ShopMetrics;
  /** Final order states seen by the checks, to prove they never change (filled by the invariants). */
  finalSeen: Map<string, string>;
  /**
   * Consistency figures: `ordersCreated`, `ordersConfirmed`, `ordersCancelled`, `ordersNonFinal`
   * (at the end), `ordersNonFinalAtLoadEnd` (when the workload stopped), `timeToFinalP50Ms`,
   * `timeToFinalP99Ms`, `compensations`, `doubleChargesPrevented`.
   */
  metrics(): Record<string, number>;
  onQuiesce(): void;
}

/** Builds the ShopSystem handle around a deployment's state and observer. */
export function shopSystem(world: World, architecture: ShopArchitecture, catalogue: ShopCatalogue, state: ShopState, observer: ShopMetrics): ShopSystem {
  let nonFinalAtLoadEnd = -1;
  const countNonFinal = (): number => {
    let open = 0;
    for (const order of state.orders().values()) if (order.status !== 'CONFIRMED' && order.status !== 'CANCELLED') open++;
    return open;
  };
  return {
    entry: GATEWAY,
    architecture,
    world,
    catalogue,
    state,
    observer,
    finalSeen: new Map(),
    onQuiesce: () => {
      nonFinalAtLoadEnd = countNonFinal();
    },
    metrics: () => {
      let confirmed = 0;
      let cancelled = 0;
      let nonFinal = 0;
      const orders = state.orders();
      for (const order of orders.values()) {
        if (order.status === 'CONFIRMED') confirmed++;
        else if (order.status === 'CANCELLED') cancelled++;
        else nonFinal++;
      }
      const timeToFinal = observer.timeToFinal.summary();
      return {
        ordersCreated: orders.size,
        ordersConfirmed: confirmed,
        ordersCancelled: cancelled,
        ordersNonFinal: nonFinal,
        ordersNonFinalAtLoadEnd: nonFinalAtLoadEnd < 0 ? nonFinal : nonFinalAtLoadEnd,
        timeToFinalP50Ms: timeToFinal.p50,
        timeToFinalP99Ms: timeToFinal.p99,
        compensations: observer.refunds + observer.releases + observer.cancelledShipments,
        doubleChargesPrevented: observer.duplicateChargesAbsorbed,
      };
    },
  };
}
