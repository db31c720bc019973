// What the shop invariants know about committed state, kept between samples: each sample reads
// only the rows written since the last one (ShopState.changedKeys), so checking a run with
// thousands of orders costs what changed, not what exists. A tracker only ever proves that a check
// holds; when it cannot (a suspect row, a sum it cannot keep exactly), the check reads everything
// as before, so every verdict and every message is the one a full read gives.
import { TABLES, isFinalStatus, type AccountRow, type OrderRow, type PaymentRow, type ReservationRow, type ShipmentRow } from './model.ts';
import type { ShopState } from './system.ts';

/** The tables the invariants read through the change feed (stock is read whole: one row per product). */
const WATCHED = [TABLES.orders, TABLES.payments, TABLES.accounts, TABLES.reservations, TABLES.shipments] as const;

/** Adds `id` to `set` when `member`, removes it otherwise (suspect sets are mostly empty: no lookup then). */
function keep(set: Set<string>, id: string, member: boolean): void {
  if (member) set.add(id);
  else if (set.size > 0) set.delete(id);
}

/** 1 when `value` cannot be summed exactly (not a safe integer), else 0: such sums are left to a full read. */
function inexact(value: number): number {
  return Number.isSafeInteger(value) ? 0 : 1;
}

/**
 * Running conclusions of the shop invariants over one ShopState. Sums are kept per table from the
 * rows last seen (disk rows are replaced on write, never changed in place); per-order conditions
 * are kept as sets of suspect order ids.
 */
export class InvariantTracker {
  private orders: ReadonlyMap<string, OrderRow> = new Map();
  private payments: ReadonlyMap<string, PaymentRow> = new Map();
  private reservations: ReadonlyMap<string, ReservationRow> = new Map();
  private shipments: ReadonlyMap<string, ShipmentRow> = new Map();
  /** The row of each key as last applied, per table: what to take back out when it changes. */
  private readonly lastAccounts = new Map<string, AccountRow>();
  private readonly lastPayments = new Map<string, PaymentRow>();
  private readonly lastReservations = new Map<string, ReservationRow>();
  private readonly lastOrders = new Map<string, OrderRow>();

  /** Σ wallet balances and Σ amounts of CHARGED payments. */
  balances = 0;
  charged = 0;
  /** Σ amounts of payments charged at least once, of REFUNDED ones, of CONFIRMED orders. */
  chargedEver = 0;
  refunded = 0;
  confirmedAmount = 0;
  /** Units held per product by RESERVED reservations. */
  readonly held = new Map<string, number>();
  /** Rows whose numbers the money, stock and settled sums cannot keep exactly. */
  inexactMoney = 0;
  inexactHeld = 0;
  inexactSettled = 0;

  /** Wallets below zero; payments charged more than once. */
  readonly negativeWallets = new Set<string>();
  readonly doubleCharges = new Set<string>();
  /** Order ids breaking a per-order rule: confirmed without its parts; cancelled yet holding; reservation ≠ confirmed; not final. */
  readonly incompleteConfirmed = new Set<string>();
  readonly cancelledHolding = new Set<string>();
  readonly unsettledReservations = new Set<string>();
  readonly notFinal = new Set<string>();
  /**
   * Orders written since `finalStatesNeverChange` last looked: that check records final states
   * only at its own samples (as a full read does), never when another check refreshes.
   */
  readonly finalDirty = new Set<string>();
  /** Order ids seen with a final state that now differs from it. */
  readonly changedFinal = new Set<string>();

  /** The run's mark at the last refresh (see refreshedTracker); NaN when unknown. */
  refreshedAtMs = NaN;
  refreshedAtEvents = NaN;

  constructor(private readonly state: ShopState & Required<Pick<ShopState, 'changedKeys'>>) {}

  /** Applies what changed since the last refresh (everything, the first time or after a disk was replaced). */
  refresh(): void {
    const state = this.state;
    this.orders = state.orders();
    this.payments = state.payments();
    this.reservations = state.reservations();
    this.shipments = state.shipments();
    const accounts = state.accounts();
    const changes = WATCHED.map((table) => state.changedKeys(table));
    if (changes.some((keys) => keys === undefined)) return this.rebuild(accounts);
    const [orderKeys, paymentKeys, accountKeys, reservationKeys, shipmentKeys] = changes as string[][];
    const touched = new Set<string>();
    for (const key of accountKeys!) this.applyAccount(key, accounts.get(key));
    for (const key of paymentKeys!) {
      this.applyPayment(key, this.payments.get(key));
      touched.add(key);
    }
    for (const key of reservationKeys!) {
      this.applyReservation(key, this.reservations.get(key));
      touched.add(key);
    }
    for (const key of shipmentKeys!) touched.add(key);
    for (const key of orderKeys!) {
      this.applyOrder(key, this.orders.get(key));
      this.finalDirty.add(key);
      touched.add(key);
    }
    for (const id of touched) this.recheckOrder(id);
  }

  /** Forgets everything and reads every table whole (final states already recorded are history and stay). */
  private rebuild(accounts: ReadonlyMap<string, AccountRow>): void {
    for (const rows of [this.lastAccounts, this.lastPayments, this.lastReservations, this.lastOrders]) rows.clear();
    this.held.clear();
    this.balances = this.charged = this.chargedEver = this.refunded = this.confirmedAmount = 0;
    this.inexactMoney = this.inexactHeld = this.inexactSettled = 0;
    for (const set of [this.negativeWallets, this.doubleCharges, this.incompleteConfirmed, this.cancelledHolding, this.unsettledReservations, this.notFinal, this.changedFinal]) set.clear();
    for (const [key, row] of accounts) this.applyAccount(key, row);
    for (const [key, row] of this.payments) this.applyPayment(key, row);
    for (const [key, row] of this.reservations) this.applyReservation(key, row);
    for (const [key, row] of this.orders) {
      this.applyOrder(key, row);
      this.finalDirty.add(key);
    }
    const ids = new Set<string>([...this.orders.keys(), ...this.payments.keys(), ...this.reservations.keys(), ...this.shipments.keys()]);
    for (const id of ids) this.recheckOrder(id);
  }

  /** Replaces the row last applied for `key` in `rows`; returns the old one. */
  private swap<T>(rows: Map<string, T>, key: string, row: T | undefined): T | undefined {
    const old = rows.get(key);
    if (row === undefined) {
      if (old !== undefined) rows.delete(key);
    } else rows.set(key, row);
    return old;
  }

  private applyAccount(key: string, row: AccountRow | undefined): void {
    const old = this.swap(this.lastAccounts, key, row);
    if (old !== undefined) {
      this.balances -= old.balance;
      this.inexactMoney -= inexact(old.balance);
    }
    if (row !== undefined) {
      this.balances += row.balance;
      this.inexactMoney += inexact(row.balance);
    }
    keep(this.negativeWallets, key, row !== undefined && row.balance < 0);
  }

  private applyPayment(key: string, row: PaymentRow | undefined): void {
    const old = this.swap(this.lastPayments, key, row);
    if (old !== undefined) this.addPayment(old, -1);
    if (row !== undefined) this.addPayment(row, 1);
    keep(this.doubleCharges, key, row !== undefined && row.charges > 1);
  }

  private addPayment(row: PaymentRow, sign: 1 | -1): void {
    if (row.status === 'CHARGED') {
      this.charged += sign * row.amount;
      this.inexactMoney += sign * inexact(row.amount);
    }
    if (row.charges > 0) {
      this.chargedEver += sign * row.amount;
      this.inexactSettled += sign * inexact(row.amount);
    }
    if (row.status === 'REFUNDED') {
      this.refunded += sign * row.amount;
      this.inexactSettled += sign * inexact(row.amount);
    }
  }

  private applyReservation(key: string, row: ReservationRow | undefined): void {
    const old = this.swap(this.lastReservations, key, row);
    if (old !== undefined) this.addReservation(old, -1);
    if (row !== undefined) this.addReservation(row, 1);
  }

  private addReservation(row: ReservationRow, sign: 1 | -1): void {
    if (row.status !== 'RESERVED') return;
    for (const item of row.items) {
      this.held.set(item.productId, (this.held.get(item.productId) ?? 0) + sign * item.quantity);
      this.inexactHeld += sign * inexact(item.quantity);
    }
  }

  private applyOrder(key: string, row: OrderRow | undefined): void {
    const old = this.swap(this.lastOrders, key, row);
    if (old !== undefined && old.status === 'CONFIRMED') {
      this.confirmedAmount -= old.amount;
      this.inexactSettled -= inexact(old.amount);
    }
    if (row !== undefined && row.status === 'CONFIRMED') {
      this.confirmedAmount += row.amount;
      this.inexactSettled += inexact(row.amount);
    }
  }

  /** Re-derives every per-order rule of order `id` from its current rows (the same conditions as the full reads). */
  private recheckOrder(id: string): void {
    const order = this.orders.get(id);
    const payment = this.payments.get(id);
    const reservation = this.reservations.get(id);
    const shipment = this.shipments.get(id);
    const status = order?.status;
    keep(
      this.incompleteConfirmed,
      id,
      order !== undefined && status === 'CONFIRMED' && (payment?.status !== 'CHARGED' || payment.amount !== order.amount || reservation?.status !== 'RESERVED' || shipment?.status !== 'SCHEDULED'),
    );
    const cancelled = status === 'CANCELLED';
    keep(
      this.cancelledHolding,
      id,
      (payment?.status === 'CHARGED' && (order === undefined || order.amount !== payment.amount || cancelled)) ||
        (cancelled && (reservation?.status === 'RESERVED' || shipment?.status === 'SCHEDULED')),
    );
    keep(this.unsettledReservations, id, reservation !== undefined && (reservation.status === 'RESERVED') !== (status === 'CONFIRMED'));
    keep(this.notFinal, id, order !== undefined && !isFinalStatus(order.status));
  }

  /** `finalStatesNeverChange` at its sample: records the final states of orders written since, flags changed ones. */
  reviewFinalStates(finalSeen: Map<string, string>): void {
    for (const id of this.finalDirty) {
      const order = this.orders.get(id);
      const before = finalSeen.get(id);
      keep(this.changedFinal, id, order !== undefined && before !== undefined && before !== order.status);
      if (order !== undefined && before === undefined && isFinalStatus(order.status)) finalSeen.set(id, order.status);
    }
    this.finalDirty.clear();
  }
}

const trackers = new WeakMap<ShopState, InvariantTracker>();

/**
 * When a run was last read: its virtual time and how many events it had fired. Checks of one
 * sample run back to back with no event between them, so the first one's refresh serves them all.
 */
export interface RunMark {
  nowMs: number;
  events: number;
}

/**
 * The refreshed tracker of a shop state, or undefined when the state has no change feed (checks
 * then read everything). With `mark`, a tracker already refreshed at that mark is not read again.
 */
export function refreshedTracker(state: ShopState, mark?: RunMark): InvariantTracker | undefined {
  if (state.changedKeys === undefined) return undefined;
  let tracker = trackers.get(state);
  if (tracker === undefined) {
    tracker = new InvariantTracker(state as ShopState & Required<Pick<ShopState, 'changedKeys'>>);
    trackers.set(state, tracker);
  }
  if (mark === undefined || tracker.refreshedAtMs !== mark.nowMs || tracker.refreshedAtEvents !== mark.events) {
    tracker.refresh();
    tracker.refreshedAtMs = mark?.nowMs ?? NaN;
    tracker.refreshedAtEvents = mark?.events ?? NaN;
  }
  return tracker;
}
