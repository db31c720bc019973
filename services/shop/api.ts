// The shop's HTTP API as the gateway forwards it (`<module>.http` RPC methods): the same handlers
// serve a microservice instance and the monolith, which differ only in how an order is placed.
import type { Handler, Request } from '../../sim/world/node.ts';
import { RpcError, registerErrorCode } from '../../sim/engine/errors.ts';
import type { ForwardedRequest } from '../routing/gateway.ts';
import type { ProcedureRunner } from '../data/db-node.ts';
import type { ShopCatalogue } from './catalogue.ts';
import type { Address, OrderDetails, OrderItem, OrderReceipt, OrderRow } from './model.ts';
import { receiptOf } from './orders.ts';

// Placing an order needs a signed-in user.
declare module '../../sim/engine/errors.ts' {
  interface RpcErrorCodes { 'unauthorized': true; }
}
registerErrorCode('unauthorized');

/** RPC methods the gateway calls, one per module. */
export const HTTP_METHODS = { orders: 'orders.http', products: 'products.http', users: 'users.http' } as const;

/** The body of `POST /api/orders`: the client picks the order id (an idempotency key). */
export interface PlaceOrderBody {
  orderId: string;
  items: OrderItem[];
  address: Address;
}

/** How a deployment places an order: one local transaction, an orchestrated saga, or an event. */
export type OrderPlacer = (details: OrderDetails, request: Request) => Promise<OrderReceipt>;

/** Limits that keep a request's work bounded. */
const MAX_ITEMS = 10;
const MAX_QUANTITY = 100;

/** Turns a forwarded POST into order details: the buyer is the token's principal, the total comes from the catalogue. */
export function orderDetailsOf(forwarded: ForwardedRequest, catalogue: ShopCatalogue): OrderDetails {
  const body = forwarded.body as Partial<PlaceOrderBody> | undefined;
  if (forwarded.principal === undefined) throw new RpcError('unauthorized', 'placing an order needs a signed-in user');
  if (!body || typeof body.orderId !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(body.orderId)) {
    throw new RpcError('bad-request', 'an order needs an orderId (letters, digits, _ . : -)');
  }
  if (!Array.isArray(body.items) || body.items.length === 0 || body.items.length > MAX_ITEMS) {
    throw new RpcError('bad-request', `an order needs 1..${MAX_ITEMS} items`);
  }
  let amount = 0;
  const items: OrderItem[] = [];
  for (const item of body.items) {
    const price = catalogue.prices.get(item?.productId);
    if (price === undefined || !Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      throw new RpcError('bad-request', `bad order line ${JSON.stringify(item)}: use a known productId and a quantity 1..${MAX_QUANTITY}`);
    }
    amount += price * item.quantity;
    items.push({ productId: item.productId, quantity: item.quantity });
  }
  const region = typeof body.address?.region === 'string' ? body.address.region : 'north';
  return { orderId: body.orderId, userId: forwarded.principal, items, amount, address: { region } };
}

/** `orders.http`: `POST /` places an order, `GET /<orderId>` reads one. */
export function ordersHttp(runner: ProcedureRunner, catalogue: ShopCatalogue, place: OrderPlacer): Handler {
  return async (payload: ForwardedRequest, request: Request) => {
    if (payload.method === 'POST' && payload.path === '/') return place(orderDetailsOf(payload, catalogue), request);
    if (payload.method === 'GET' && payload.path.length > 1) {
      const order = await runner.run<OrderRow>('orders.get', { orderId: payload.path.slice(1) }, { parent: request });
      // The receipt is a fresh object: it gains the fields itself (a spread that gains fields is slow in V8).
      const answer: OrderReceipt & Partial<Pick<OrderRow, 'amount' | 'items'>> = receiptOf(order);
      answer.amount = order.amount;
      answer.items = order.items;
      return answer;
    }
    throw new RpcError('not-found', `no orders route for ${payload.method} ${payload.path}`);
  };
}

/** `products.http`: `GET /` lists products, `GET /<productId>` reads one. */
export function productsHttp(runner: ProcedureRunner): Handler {
  return (payload: ForwardedRequest, request: Request) => {
    if (payload.method !== 'GET') throw new RpcError('not-found', `no products route for ${payload.method} ${payload.path}`);
    if (payload.path === '/') return runner.run('products.list', { limit: 10 }, { parent: request });
    return runner.run('products.get', { productId: payload.path.slice(1) }, { parent: request });
  };
}

/** `users.http`: `GET /me` reads the signed-in user's profile. */
export function usersHttp(runner: ProcedureRunner): Handler {
  return (payload: ForwardedRequest, request: Request) => {
    if (payload.method !== 'GET' || payload.path !== '/me' || payload.principal === undefined) {
      throw new RpcError('not-found', `no users route for ${payload.method} ${payload.path}`);
    }
    return runner.run('users.get', { userId: payload.principal }, { parent: request });
  };
}
