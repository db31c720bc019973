// The shop's business invariants as checks over a ShopSystem, reading committed state from the
// databases' disks (outside the services, never through their APIs). `always` checks hold at
// every sample point, in every deployment; `eventually` checks once faults heal and sagas settle.
// Over a state with a change feed, a tracker (invariant-tracker.ts) proves most samples hold from
// what changed since the last one; the full read below runs only when it cannot, and gives the verdict.
import { always, eventually, type Check, type CheckContext, type CheckVerdict } from '../../sim/harness/checks.ts';
import { isFinalStatus } from './model.ts';
import type { ShopSystem } from './system.ts';
import { refreshedTracker, type InvariantTracker } from './invariant-tracker.ts';

/** `full(shop)`, unless the shop's tracker proves the check holds from what changed. */
function tracked(holds: (tracker: InvariantTracker, shop: ShopSystem) => boolean, full: (shop: ShopSystem) => CheckVerdict): (run: CheckContext<ShopSystem>) => CheckVerdict {
  return ({ system: shop, world, nowMs }) => {
    // The world's event count marks the run's state: checks of one sample share one refresh.
    const tracker = refreshedTracker(shop.state, world === undefined ? undefined : { nowMs, events: world.sim.events });
    if (tracker !== undefined && holds(tracker, shop)) return true;
    return full(shop);
  };
}

/** `a + b === expected`, for sums the tracker kept exactly (safe integers: any order of adding gives them). */
function sumsTo(a: number, b: number, expected: number): boolean {
  return Number.isSafeInteger(a) && Number.isSafeInteger(b) && Number.isSafeInteger(a + b) && a + b === expected;
}

/** Money is conserved: Σ wallet balances + Σ charged payments = the opening money, and no wallet is negative. */
export function moneyConserved(): Check<ShopSystem> {
  const holds = (t: InvariantTracker, shop: ShopSystem): boolean => t.negativeWallets.size === 0 && t.inexactMoney === 0 && sumsTo(t.balances, t.charged, shop.catalogue.totalMoney);
  return always('money is conserved', tracked(holds, (shop) => {
    let balances = 0;
    for (const [userId, account] of shop.state.accounts()) {
      if (account.balance < 0) return `wallet ${userId} is negative: ${account.balance}`;
      balances += account.balance;
    }
    let charged = 0;
    for (const payment of shop.state.payments().values()) if (payment.status === 'CHARGED') charged += payment.amount;
    const expected = shop.catalogue.totalMoney;
    return balances + charged === expected || `wallets ${balances} + charged ${charged} = ${balances + charged}, but the shop opened with ${expected}`;
  }));
}

/** No order is charged twice: each payment took money at most once. */
export function noDoubleCharge(): Check<ShopSystem> {
  return always('no order is charged twice', tracked((t) => t.doubleCharges.size === 0, (shop) => {
    for (const [orderId, payment] of shop.state.payments()) {
      if (payment.charges > 1) return `order ${orderId} was charged ${payment.charges} times`;
    }
    return true;
  }));
}

/** Stock is never negative, and opening stock = available + units held by live reservations. */
export function stockBalances(): Check<ShopSystem> {
  const holds = (t: InvariantTracker, shop: ShopSystem): boolean => {
    if (t.inexactHeld !== 0) return false;
    const stock = shop.state.stock();
    for (const [productId, opening] of shop.catalogue.initialStock) {
      const available = stock.get(productId)?.available ?? opening;
      const reserved = t.held.get(productId) ?? 0;
      if (!(available >= 0) || !Number.isSafeInteger(reserved) || available + reserved !== opening) return false;
    }
    return true;
  };
  return always('stock balances', tracked(holds, (shop) => {
    const held = new Map<string, number>();
    for (const reservation of shop.state.reservations().values()) {
      if (reservation.status !== 'RESERVED') continue;
      for (const item of reservation.items) held.set(item.productId, (held.get(item.productId) ?? 0) + item.quantity);
    }
    const stock = shop.state.stock();
    for (const [productId, opening] of shop.catalogue.initialStock) {
      const available = stock.get(productId)?.available ?? opening;
      if (available < 0) return `stock of ${productId} is negative: ${available}`;
      const reserved = held.get(productId) ?? 0;
      if (available + reserved !== opening) return `${productId}: available ${available} + reserved ${reserved} = ${available + reserved}, opening stock was ${opening}`;
    }
    return true;
  }));
}

/** No order is confirmed without its payment (of its amount), its reservation and its shipment. */
export function confirmedOrdersAreComplete(): Check<ShopSystem> {
  return always('no order is confirmed without payment and reservation', tracked((t) => t.incompleteConfirmed.size === 0, (shop) => {
    const payments = shop.state.payments();
    const reservations = shop.state.reservations();
    const shipments = shop.state.shipments();
    for (const [orderId, order] of shop.state.orders()) {
      if (order.status !== 'CONFIRMED') continue;
      const payment = payments.get(orderId);
      if (payment?.status !== 'CHARGED' || payment.amount !== order.amount) return `order ${orderId} is CONFIRMED but its payment is ${payment?.status ?? 'missing'} (${payment?.amount ?? 0} of ${order.amount})`;
      const reservation = reservations.get(orderId);
      if (reservation?.status !== 'RESERVED') return `order ${orderId} is CONFIRMED but its reservation is ${reservation?.status ?? 'missing'}`;
      const shipment = shipments.get(orderId);
      if (shipment?.status !== 'SCHEDULED') return `order ${orderId} is CONFIRMED but its shipment is ${shipment?.status ?? 'missing'}`;
    }
    return true;
  }));
}

/**
 * A cancelled order holds nothing: its payment is not charged, its stock not reserved, its
 * shipment not scheduled (compensations finish before the order is cancelled). And a charge
 * always belongs to a known order, of that order's amount.
 */
export function cancelledOrdersHoldNothing(): Check<ShopSystem> {
  return always('a cancelled order holds no money, stock or shipment', tracked((t) => t.cancelledHolding.size === 0, (shop) => {
    const orders = shop.state.orders();
    const reservations = shop.state.reservations();
    const shipments = shop.state.shipments();
    for (const [orderId, payment] of shop.state.payments()) {
      if (payment.status !== 'CHARGED') continue;
      const order = orders.get(orderId);
      if (order === undefined) return `payment ${orderId} is CHARGED but there is no such order`;
      if (order.amount !== payment.amount) return `payment ${orderId} charged ${payment.amount}, the order is for ${order.amount}`;
      if (order.status === 'CANCELLED') return `order ${orderId} is CANCELLED but still charged ${payment.amount}`;
    }
    for (const [orderId, reservation] of reservations) {
      if (reservation.status === 'RESERVED' && orders.get(orderId)?.status === 'CANCELLED') return `order ${orderId} is CANCELLED but still holds stock`;
    }
    for (const [orderId, shipment] of shipments) {
      if (shipment.status === 'SCHEDULED' && orders.get(orderId)?.status === 'CANCELLED') return `order ${orderId} is CANCELLED but its shipment is still SCHEDULED`;
    }
    return true;
  }));
}

/** A final order state (CONFIRMED, CANCELLED) never changes once seen. */
export function finalStatesNeverChange(): Check<ShopSystem> {
  const holds = (t: InvariantTracker, shop: ShopSystem): boolean => {
    t.reviewFinalStates(shop.finalSeen);
    return t.changedFinal.size === 0;
  };
  return always('final order states never change', tracked(holds, (shop) => {
    const seen = shop.finalSeen;
    for (const [orderId, order] of shop.state.orders()) {
      const before = seen.get(orderId);
      if (before !== undefined && before !== order.status) return `order ${orderId} was ${before} and is now ${order.status}`;
      if (before === undefined && isFinalStatus(order.status)) seen.set(orderId, order.status);
    }
    return true;
  }));
}

/** Every order reaches CONFIRMED or CANCELLED once faults heal. */
export function everyOrderFinal(options: { withinMs?: number } = {}): Check<ShopSystem> {
  return eventually(
    'every order reaches a final state',
    tracked((t) => t.notFinal.size === 0, (shop) => {
      let open = 0;
      let first = '';
      for (const [orderId, order] of shop.state.orders()) {
        if (isFinalStatus(order.status)) continue;
        if (open++ === 0) first = `${orderId} (${order.status})`;
      }
      return open === 0 || `${open} orders are not final, e.g. ${first}`;
    }),
    options,
  );
}

/** Once settled: charged − refunded = Σ amounts of CONFIRMED orders, and stock is held exactly by CONFIRMED orders. */
export function settledBooksBalance(options: { withinMs?: number } = {}): Check<ShopSystem> {
  return eventually(
    'charged − refunded = confirmed orders, stock held = confirmed orders',
    tracked((t) => t.unsettledReservations.size === 0 && t.inexactSettled === 0 && sumsTo(t.chargedEver, -t.refunded, t.confirmedAmount), (shop) => {
      const orders = shop.state.orders();
      let confirmed = 0;
      for (const order of orders.values()) if (order.status === 'CONFIRMED') confirmed += order.amount;
      let charged = 0;
      let refunded = 0;
      for (const payment of shop.state.payments().values()) {
        if (payment.charges > 0) charged += payment.amount;
        if (payment.status === 'REFUNDED') refunded += payment.amount;
      }
      if (charged - refunded !== confirmed) return `charged ${charged} − refunded ${refunded} = ${charged - refunded}, confirmed orders total ${confirmed}`;
      for (const [orderId, reservation] of shop.state.reservations()) {
        const status = orders.get(orderId)?.status;
        if ((reservation.status === 'RESERVED') !== (status === 'CONFIRMED')) return `order ${orderId} is ${status ?? 'missing'} with its reservation ${reservation.status}`;
      }
      return true;
    }),
    options,
  );
}

/** Every shop invariant: six `always` and two `eventually` checks. */
export function shopInvariants(options: { withinMs?: number } = {}): Check<ShopSystem>[] {
  return [
    moneyConserved(),
    noDoubleCharge(),
    stockBalances(),
    confirmedOrdersAreComplete(),
    cancelledOrdersHoldNothing(),
    finalStatesNeverChange(),
    everyOrderFinal(options),
    settledBooksBalance(options),
  ];
}
