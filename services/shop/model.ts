// The shop's data model: table names, row shapes and states, shared by every deployment (the
// monolith keeps all tables in one database, the microservices split them by owning service).

/** Table names, the same in every deployment. */
export const TABLES = {
  /** users: userId → UserRow. */
  users: 'users',
  /** products: productId → ProductRow. */
  products: 'products',
  /** payments: userId → AccountRow (the wallet the shop charges). */
  accounts: 'accounts',
  /** payments: orderId → PaymentRow. */
  payments: 'payments',
  /** inventory: productId → StockRow. */
  stock: 'stock',
  /** inventory: orderId → ReservationRow. */
  reservations: 'reservations',
  /** shipping: orderId → ShipmentRow. */
  shipments: 'shipments',
  /** orders: orderId → OrderRow. */
  orders: 'orders',
  /** orders: orderId → created time, for orders not final yet (the saga deadline sweep). */
  pendingOrders: 'orders.pending',
  /** orders: the orchestrator's saga log (sagas in flight only). */
  sagas: 'sagas',
} as const;

/** One line of an order. */
export interface OrderItem {
  productId: string;
  quantity: number;
}

/** Where an order ships; region `moon` is not served (shipping refuses it). */
export interface Address {
  region: string;
}

/** Everything a saga needs about an order (the saga's data, and every event's payload). */
export interface OrderDetails {
  orderId: string;
  userId: string;
  items: OrderItem[];
  /** Total in cents. */
  amount: number;
  address: Address;
}

/**
 * PENDING → CONFIRMED | CANCELLED; CONFIRMED and CANCELLED are final. ABORTING (choreography
 * only): the saga overran its deadline and is compensating; it ends CANCELLED.
 */
export type OrderStatus = 'PENDING' | 'ABORTING' | 'CONFIRMED' | 'CANCELLED';

/** An order as stored. */
export interface OrderRow extends OrderDetails {
  status: OrderStatus;
  /** Why it was cancelled. */
  reason?: string;
  /** Orders database clock, ms. */
  createdAtMs: number;
  finalAtMs?: number;
}

/** A wallet: cents available. */
export interface AccountRow {
  balance: number;
}

/**
 * A payment, one per order id. CHARGED: money taken. DECLINED: refused (no money moved).
 * REFUNDED: charged, then given back. VOIDED: a refund arrived before any charge (a tombstone
 * that makes a late charge refuse).
 */
export type PaymentStatus = 'CHARGED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';

/** A payment as stored. */
export interface PaymentRow {
  userId: string;
  /** Cents charged (0 for a tombstone). */
  amount: number;
  status: PaymentStatus;
  /** Times money was taken for this order: 0 or 1 (more would be a double charge). */
  charges: number;
  reason?: string;
}

/** Stock of one product. */
export interface StockRow {
  available: number;
}

/** RESERVED: units held. REJECTED: not enough stock. RELEASED: given back, or a tombstone before any reservation. */
export type ReservationStatus = 'RESERVED' | 'REJECTED' | 'RELEASED';

/** A reservation, one per order id. */
export interface ReservationRow {
  items: OrderItem[];
  status: ReservationStatus;
}

/** SCHEDULED: a shipment is booked. REJECTED: the address is not served. CANCELLED: cancelled, or a tombstone. */
export type ShipmentStatus = 'SCHEDULED' | 'REJECTED' | 'CANCELLED';

/** A shipment, one per order id. */
export interface ShipmentRow {
  address: Address;
  status: ShipmentStatus;
}

/** A product in the catalogue. */
export interface ProductRow {
  name: string;
  /** Cents. */
  price: number;
}

/** A customer. */
export interface UserRow {
  name: string;
  address: Address;
}

/** What the shop answers to `POST /orders`. */
export interface OrderReceipt {
  orderId: string;
  status: OrderStatus;
  reason?: string;
}

/** A step's answer, as the payments, inventory and shipping procedures give it. */
export interface StepAnswer<S extends string> {
  status: S;
  /** The order was seen before: nothing changed now. */
  duplicate: boolean;
  /** The call changed state (a charge taken, a refund given, a tombstone written…). */
  changed: boolean;
  reason?: string;
}

/** Final order states. */
export function isFinalStatus(status: OrderStatus): boolean {
  return status === 'CONFIRMED' || status === 'CANCELLED';
}
