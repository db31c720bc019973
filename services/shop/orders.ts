// Orders: the order records and their state machine (PENDING → CONFIRMED | CANCELLED, final
// states never change), with the procedures each deployment needs: the orchestrator's saga log
// (kept in the orders database), the choreography initiator's place/finish/expire, and reads.
// Trace events (after commit): order.created, order.final, order.expired.
import { RpcError } from '../../sim/engine/errors.ts';
import { copyRow, putOwned } from '../data/database.ts';
import type { Procedure, Procedures } from '../data/db-node.ts';
import { SagaLogConflict, type SagaRecord } from '../sagas/orchestrator.ts';
import { TABLES, isFinalStatus, type OrderDetails, type OrderReceipt, type OrderRow } from './model.ts';
import type { ShopObserver } from './observer.ts';

/** The orchestrated order saga's name (its records in the saga log). */
export const ORDER_SAGA = 'order';

/** Topics the choreography initiator publishes. */
export interface OrderTopics {
  /** A new order (starts the saga). */
  created: string;
  /** An order overran its deadline (starts compensation from the last step). */
  expired: string;
}

/** A saga log row: the record without its data (the order row holds the details). */
export type SagaRow = Omit<SagaRecord<OrderDetails>, 'data'>;

/**
 * A copy of a saga record without its data: a row of its own for `putOwned` (what `tx.put` of the
 * record minus `data` would store, built in one pass).
 */
function sagaRow(record: SagaRecord<OrderDetails> | SagaRow): SagaRow {
  const row: Record<string, unknown> = {};
  for (const key in record) if (key !== 'data') row[key] = copyRow((record as unknown as Record<string, unknown>)[key]);
  return row as unknown as SagaRow;
}

/** Pending index row: when the order was created (orders clock). */
interface PendingRow {
  createdAtMs: number;
}

/** Arguments of `orders.finish`. */
export interface FinishArgs {
  orderId: string;
  status: 'CONFIRMED' | 'CANCELLED';
  reason?: string;
}

/** The orders module's procedures (`orders.*`). `topics` is needed only by the choreography ones. */
export function ordersProcedures(observer: ShopObserver, topics?: OrderTopics): Procedures {
  const get: Procedure<{ orderId: string }, OrderRow> = async (tx, args) => {
    const order = await tx.get<OrderRow>(TABLES.orders, args.orderId);
    if (order === undefined) throw new RpcError('not-found', `no order ${args.orderId}`);
    return order;
  };

  return { 'orders.get': get, ...sagaLogProcedures(observer), ...choreographyProcedures(observer, topics) };
}

/** The orchestrator's saga log: the record and the order change in one transaction. */
function sagaLogProcedures(observer: ShopObserver): Procedures {
  // Saga rows leave the order details out: the order row holds them, and each log write copies less.
  const sagaCreate: Procedure<{ record: SagaRecord<OrderDetails> }, SagaRecord<OrderDetails>> = async (tx, args, context) => {
    const { record } = args;
    const order = await tx.get<OrderRow>(TABLES.orders, record.id);
    if (order !== undefined) {
      const saga = await tx.get<SagaRow>(TABLES.sagas, record.id);
      return saga !== undefined ? { ...saga, data: detailsOf(order) } : endedRecord(order);
    }
    putOwned(tx, TABLES.orders, record.id, newOrderRow(record.data, context.nowMs()));
    putOwned(tx, TABLES.sagas, record.id, sagaRow(record));
    context.afterCommit(() => observer.orderCreated(record.id));
    context.emit('order.created', record.id);
    return record;
  };

  const sagaSave: Procedure<{ record: SagaRow }, boolean> = async (tx, args, context) => {
    const { record } = args;
    const stored = await tx.getFrozen<SagaRow>(TABLES.sagas, record.id);
    if (stored === undefined) {
      const order = await tx.get<OrderRow>(TABLES.orders, record.id);
      if (order !== undefined && isFinalStatus(order.status)) return true; // a retried final save
      throw new SagaLogConflict(`saga ${record.id} is not in the log`);
    }
    if (stored.version === record.version) return true;
    if (stored.version !== record.version - 1) throw new SagaLogConflict(`saga ${record.id} is at v${stored.version}, not v${record.version - 1}`);
    if (record.state !== 'completed' && record.state !== 'compensated') {
      // The orchestrator's log sends rows without data already: store them as they come.
      putOwned(tx, TABLES.sagas, record.id, sagaRow(record));
      return true;
    }
    tx.delete(TABLES.sagas, record.id);
    const order = await tx.getFrozen<OrderRow>(TABLES.orders, record.id);
    if (order !== undefined && !isFinalStatus(order.status)) {
      const status = record.state === 'completed' ? 'CONFIRMED' : 'CANCELLED';
      const final = finalOrderRow(order, status, context.nowMs());
      if (status === 'CANCELLED' && record.failure !== undefined) final.reason = record.failure;
      putOwned(tx, TABLES.orders, record.id, final);
      context.afterCommit(() => observer.orderFinal(record.id, status));
      context.emit('order.final', `${record.id} ${status}`);
    }
    return true;
  };

  // `skip`: ids the orchestrator drives already (left out before their rows are read).
  const sagaUnfinished: Procedure<{ owner: string; skip?: string[] }, SagaRecord<OrderDetails>[]> = async (tx, args) => {
    const records: SagaRecord<OrderDetails>[] = [];
    const options = args.skip !== undefined && args.skip.length > 0 ? { exclude: new Set(args.skip) } : {};
    for (const row of await tx.scan<SagaRow>(TABLES.sagas, options)) {
      if (row.value.owner !== args.owner) continue;
      const order = await tx.get<OrderRow>(TABLES.orders, row.key);
      if (order === undefined) continue;
      // The scan's row is a copy of our own: give it its data in place (a spread gaining a field is slow).
      const record = row.value as SagaRecord<OrderDetails>;
      record.data = detailsOf(order);
      records.push(record);
    }
    return records;
  };

  return { 'orders.saga-create': sagaCreate, 'orders.saga-save': sagaSave, 'orders.saga-unfinished': sagaUnfinished };
}

/** The choreography initiator: places orders as PENDING, finishes them, expires stale ones. */
function choreographyProcedures(observer: ShopObserver, topics: OrderTopics | undefined): Procedures {
  const place: Procedure<{ order: OrderDetails }, OrderReceipt> = async (tx, args, context) => {
    const { order } = args;
    const existing = await tx.get<OrderRow>(TABLES.orders, order.orderId);
    if (existing !== undefined) return receiptOf(existing);
    const createdAtMs = context.nowMs();
    putOwned(tx, TABLES.orders, order.orderId, newOrderRow(order, createdAtMs));
    putOwned(tx, TABLES.pendingOrders, order.orderId, { createdAtMs } satisfies PendingRow);
    await context.publish(requireTopics(topics).created, order.orderId, order);
    context.afterCommit(() => observer.orderCreated(order.orderId));
    context.emit('order.created', order.orderId);
    return { orderId: order.orderId, status: 'PENDING' };
  };

  const finish: Procedure<FinishArgs, OrderReceipt | undefined> = async (tx, args, context) => {
    const order = await tx.getFrozen<OrderRow>(TABLES.orders, args.orderId);
    if (order === undefined) return undefined;
    if (isFinalStatus(order.status)) return receiptOf(order);
    // An aborting order ignores a late success: the abort's compensations are already under way.
    if (args.status === 'CONFIRMED' && order.status === 'ABORTING') return receiptOf(order);
    const final = finalOrderRow(order, args.status, context.nowMs());
    if (args.reason !== undefined) final.reason = args.reason;
    putOwned(tx, TABLES.orders, args.orderId, final);
    tx.delete(TABLES.pendingOrders, args.orderId);
    context.afterCommit(() => observer.orderFinal(args.orderId, args.status));
    context.emit('order.final', `${args.orderId} ${args.status}`);
    return receiptOf(final);
  };

  const expire: Procedure<{ maxAgeMs: number }, number> = async (tx, args, context) => {
    const cutoffMs = context.nowMs() - args.maxAgeMs;
    let aborted = 0;
    for (const row of await tx.scan<PendingRow>(TABLES.pendingOrders)) {
      if (row.value.createdAtMs > cutoffMs) continue;
      const order = await tx.getFrozen<OrderRow>(TABLES.orders, row.key);
      if (order === undefined || order.status !== 'PENDING') continue;
      putOwned(tx, TABLES.orders, row.key, { ...order, status: 'ABORTING' } satisfies OrderRow);
      await context.publish(requireTopics(topics).expired, row.key, detailsOf(order));
      context.emit('order.expired', row.key);
      aborted++;
    }
    return aborted;
  };

  return { 'orders.place': place, 'orders.finish': finish, 'orders.expire': expire };
}

// Rows are built by copying and then adding fields, not by `{ ...row, field }`: in Node 20 a
// spread object that gains a field it lacked costs about 1 µs per field (V8 leaves the fast path).

/** A new PENDING order row: a copy of the caller's details (a row of its own, for `putOwned`). */
function newOrderRow(details: OrderDetails, createdAtMs: number): OrderRow {
  const row = copyRow(details) as OrderRow;
  row.status = 'PENDING';
  row.createdAtMs = createdAtMs;
  return row;
}

/** The final row of a stored order (read with getFrozen): its fields, shared, and the new ones. */
function finalOrderRow(order: Readonly<OrderRow>, status: 'CONFIRMED' | 'CANCELLED', finalAtMs: number): OrderRow {
  const final: OrderRow = Object.assign({}, order);
  final.status = status;
  final.finalAtMs = finalAtMs;
  return final;
}

/** The receipt of a stored order. */
export function receiptOf(order: OrderRow): OrderReceipt {
  const receipt: OrderReceipt = { orderId: order.orderId, status: order.status };
  if (order.reason !== undefined) receipt.reason = order.reason;
  return receipt;
}

/** The saga details of a stored order. */
export function detailsOf(order: OrderRow): OrderDetails {
  return { orderId: order.orderId, userId: order.userId, items: order.items, amount: order.amount, address: order.address };
}

/** The saga record of an order whose saga ended (its record left the log). */
function endedRecord(order: OrderRow): SagaRecord<OrderDetails> {
  const record: SagaRecord<OrderDetails> = {
    id: order.orderId,
    saga: ORDER_SAGA,
    owner: '',
    data: detailsOf(order),
    state: order.status === 'CONFIRMED' ? 'completed' : order.status === 'CANCELLED' ? 'compensated' : 'running',
    done: 0,
    compensateFrom: -1,
    version: 0,
    startedAtMs: order.createdAtMs,
  };
  if (order.reason !== undefined) record.failure = order.reason;
  return record;
}

function requireTopics(topics: OrderTopics | undefined): OrderTopics {
  if (topics === undefined) throw new RpcError('application', 'orders procedures were built without event topics: pass them for the choreography');
  return topics;
}
