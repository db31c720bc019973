// The shop as a monolith: one process type in N replicas behind the gateway's balancer, ONE
// database (`shop-db`), modules calling each other in-process. An order is one ACID transaction:
// charge, reserve and ship, or roll it all back — no saga. Replicas share fate and scale together.
import type { World } from '../../sim/world/world.ts';
import type { BuildEnv } from '../../sim/harness/scenario.ts';
import { DatabaseRegistry, type Transaction } from '../data/database.ts';
import { abortTransaction, dbServerNode, nodeServiceLabels, remoteProcedures, type Procedure, type Procedures } from '../data/db-node.ts';
import { registered } from '../routing/registration.ts';
import { HTTP_METHODS, ordersHttp, productsHttp, usersHttp, type OrderPlacer } from './api.ts';
import { loaders, makeCatalogue } from './catalogue.ts';
import { addGateway, addRegistry, REGISTRY, withCpu } from './infra.ts';
import { inventoryProcedures } from './inventory.ts';
import { TABLES, type OrderDetails, type OrderReceipt, type OrderRow, type StepAnswer } from './model.ts';
import { ShopMetrics, type ShopObserver } from './observer.ts';
import { resolveShopOptions, type ResolvedShopOptions, type ShopOptions } from './options.ts';
import { ordersProcedures, receiptOf } from './orders.ts';
import { paymentsProcedures } from './payments.ts';
import { productsProcedures, usersProcedures } from './catalogue-procedures.ts';
import { shippingProcedures } from './shipping.ts';
import { diskState, shopSystem, type ShopSystem } from './system.ts';

/** The monolith's service name (what its replicas register as) and its database node. */
export const MONOLITH_SERVICE = 'shop';
export const MONOLITH_DB = 'shop-db';

/** The replica node names of a monolith with `replicas` replicas: `shop-1…`. */
export function monolithReplicas(replicas: number): string[] {
  return Array.from({ length: replicas }, (_, index) => `${MONOLITH_SERVICE}-${index + 1}`);
}

/** The monolith's procedures: every module's, plus the one-transaction order. */
export function monolithProcedures(observer: ShopObserver, options: ResolvedShopOptions): Procedures {
  const modules: Procedures = {
    ...usersProcedures(),
    ...productsProcedures(),
    ...ordersProcedures(observer),
    ...paymentsProcedures(observer, options.payments),
    ...inventoryProcedures(observer),
    ...shippingProcedures(observer),
  };
  const step = (name: string) => modules[name] as Procedure<unknown, StepAnswer<string>>;
  const charge = step('payments.charge');
  const reserve = step('inventory.reserve');
  const schedule = step('shipping.schedule');

  // In-process module calls inside one transaction: any refusal rolls everything back.
  const placeOrder: Procedure<{ order: OrderDetails }, OrderReceipt | { cancelled: string }> = async (tx, args, context) => {
    const { order } = args;
    const existing = await tx.get<OrderRow>(TABLES.orders, order.orderId);
    if (existing !== undefined) return receiptOf(existing);
    const payment = await charge(tx, { orderId: order.orderId, userId: order.userId, amount: order.amount }, context);
    if (payment.status !== 'CHARGED') abortTransaction({ cancelled: payment.reason ?? 'payment declined' });
    const reservation = await reserve(tx, { orderId: order.orderId, items: order.items }, context);
    if (reservation.status !== 'RESERVED') abortTransaction({ cancelled: reservation.reason ?? 'out of stock' });
    const shipment = await schedule(tx, { orderId: order.orderId, address: order.address }, context);
    if (shipment.status !== 'SCHEDULED') abortTransaction({ cancelled: shipment.reason ?? 'not shippable' });
    recordFinal(tx, order, 'CONFIRMED', undefined, context.nowMs());
    context.emit('order.final', `${order.orderId} CONFIRMED`);
    context.afterCommit(() => {
      observer.orderCreated(order.orderId);
      observer.orderFinal(order.orderId, 'CONFIRMED');
    });
    return { orderId: order.orderId, status: 'CONFIRMED' };
  };

  const recordCancelled: Procedure<{ order: OrderDetails; reason: string }, OrderReceipt> = async (tx, args, context) => {
    const existing = await tx.get<OrderRow>(TABLES.orders, args.order.orderId);
    if (existing !== undefined) return receiptOf(existing);
    recordFinal(tx, args.order, 'CANCELLED', args.reason, context.nowMs());
    context.emit('order.final', `${args.order.orderId} CANCELLED`);
    context.afterCommit(() => {
      observer.orderCreated(args.order.orderId);
      observer.orderFinal(args.order.orderId, 'CANCELLED');
    });
    return { orderId: args.order.orderId, status: 'CANCELLED', reason: args.reason };
  };

  return { ...modules, 'shop.place-order': placeOrder, 'shop.record-cancelled': recordCancelled };
}

function recordFinal(tx: Transaction, order: OrderDetails, status: 'CONFIRMED' | 'CANCELLED', reason: string | undefined, nowMs: number): void {
  const row: OrderRow = { ...order, status, createdAtMs: nowMs, finalAtMs: nowMs };
  if (reason !== undefined) row.reason = reason;
  tx.put(TABLES.orders, order.orderId, row);
}

/**
 * Builds the monolith: `registry`, `shop-db`, replicas `shop-1…shop-N` (service `shop`) and the
 * `gateway` balancing over them. A fault in any module is a fault of the replica running it.
 */
export function buildMonolith(world: World, env: BuildEnv, shopOptions: ShopOptions = {}): ShopSystem {
  const options = resolveShopOptions(shopOptions);
  const catalogue = makeCatalogue(env.rng.fork('catalogue'), options.catalogue);
  const observer = new ShopMetrics(() => world.nowMs);
  const registry = new DatabaseRegistry();
  const procedures = monolithProcedures(observer, options);
  addRegistry(world);
  world.addNode(
    MONOLITH_DB,
    dbServerNode({
      registry,
      database: MONOLITH_SERVICE,
      service: MONOLITH_SERVICE,
      procedures,
      databaseOptions: options.databaseOptions,
      callOverheadMs: options.queryMs,
      callerService: nodeServiceLabels(world),
      initialize: (tx) => {
        for (const load of [loaders.users, loaders.products, loaders.payments, loaders.inventory]) load(catalogue)(tx);
      },
    }),
    { labels: { service: MONOLITH_SERVICE }, workers: 64, queueCapacity: 2000 },
  );
  const cpu = options.moduleCpuMs;
  for (const name of monolithReplicas(options.replicas)) {
    world.addNode(
      name,
      registered({ registry: REGISTRY, service: MONOLITH_SERVICE }, (ctx) => {
        const runner = remoteProcedures(ctx, MONOLITH_DB, { timeoutMs: options.dbTimeoutMs });
        const place: OrderPlacer = async (details, request) => {
          // Payments, inventory and shipping run in this process: their CPU is spent here.
          await request.cpu(3 * cpu);
          const result = await runner.run<OrderReceipt | { cancelled: string }>('shop.place-order', { order: details }, { parent: request });
          if (!('cancelled' in result)) return result;
          return runner.run<OrderReceipt>('shop.record-cancelled', { order: details, reason: result.cancelled }, { parent: request });
        };
        return {
          handlers: {
            [HTTP_METHODS.orders]: withCpu(cpu, ordersHttp(runner, catalogue, place)),
            [HTTP_METHODS.products]: withCpu(cpu, productsHttp(runner)),
            [HTTP_METHODS.users]: withCpu(cpu, usersHttp(runner)),
          },
        };
      }),
      { labels: { service: MONOLITH_SERVICE }, workers: options.workers, queueCapacity: 500 },
    );
  }
  addGateway(world, catalogue, () => MONOLITH_SERVICE, options);
  const state = diskState(world, () => ({ node: MONOLITH_DB, database: MONOLITH_SERVICE }));
  return shopSystem(world, 'monolith', catalogue, state, observer);
}
