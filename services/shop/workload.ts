// The shop's client traffic through the gateway: 30% order placements, 10% order lookups, 10%
// profile reads, 50% catalogue reads. Order ids come from the request index (the client's
// idempotency key), so every variant of a scenario sees the same orders.
import type { RequestGenerator, RequestSpec } from '../../sim/harness/workload.ts';
import type { Rng } from '../../sim/engine/rng.ts';
import { GATEWAY_METHOD, type GatewayRequest } from '../routing/gateway.ts';
import { tokenOf } from './catalogue.ts';
import type { PlaceOrderBody } from './api.ts';
import type { OrderItem } from './model.ts';

/** Shape of the traffic. */
export interface ShopTrafficOptions {
  /** Users in the catalogue (requests pick among `u0…`). Default 200. */
  users?: number;
  /** Products in the catalogue. Default 40. */
  products?: number;
  /** Fraction of orders shipped to an unserved region (shipping refuses: a late compensation). Default 0.03. */
  unservedShare?: number;
  /** Client timeout per request, ms. Default 2000. */
  timeoutMs?: number;
}

/** Requests are laid out in blocks of 20: slots 0–5 place orders, 6–7 read orders, 8–9 read profiles, 10–19 read products. */
const BLOCK = 20;
const REGIONS = ['north', 'south', 'east', 'west'];

/** The endpoint names the traffic reports under. */
export const SHOP_ENDPOINTS = { placeOrder: 'POST /orders', getOrder: 'GET /orders/:id', me: 'GET /users/me', products: 'GET /products' } as const;

/** A request generator for a shop workload (`workload: { kind: 'open', ratePerSec, request: shopTraffic() }`). */
export function shopTraffic(options: ShopTrafficOptions = {}): RequestGenerator {
  const users = options.users ?? 200;
  const products = options.products ?? 40;
  const unservedShare = options.unservedShare ?? 0.03;
  const timeoutMs = options.timeoutMs ?? 2000;
  const spec = (endpoint: string, request: GatewayRequest): RequestSpec => ({ endpoint, method: GATEWAY_METHOD, payload: request, timeoutMs });
  const auth = (rng: Rng) => ({ authorization: `Bearer ${tokenOf(`u${rng.int(0, users)}`)}` });
  const productsRead = (rng: Rng): RequestSpec =>
    spec(SHOP_ENDPOINTS.products, { path: rng.chance(0.5) ? '/api/products' : `/api/products/p${rng.int(0, products)}`, method: 'GET' });

  return (rng, index) => {
    const slot = index % BLOCK;
    if (slot < 6) {
      const lines = rng.int(1, 4);
      const items: OrderItem[] = [];
      for (let line = 0; line < lines; line++) items.push({ productId: `p${rng.int(0, products)}`, quantity: rng.int(1, 4) });
      const region = rng.chance(unservedShare) ? 'moon' : REGIONS[rng.int(0, REGIONS.length)]!;
      const body: PlaceOrderBody = { orderId: orderIdOf(index), items, address: { region } };
      return spec(SHOP_ENDPOINTS.placeOrder, { path: '/api/orders', method: 'POST', headers: auth(rng), body });
    }
    if (slot < 8) {
      // An order placed in one of the previous three blocks.
      const placed = index - slot - BLOCK * rng.int(1, 4) + rng.int(0, 6);
      if (placed < 0) return productsRead(rng);
      return spec(SHOP_ENDPOINTS.getOrder, { path: `/api/orders/${orderIdOf(placed)}`, method: 'GET', headers: auth(rng) });
    }
    if (slot < 10) return spec(SHOP_ENDPOINTS.me, { path: '/api/users/me', method: 'GET', headers: auth(rng) });
    return productsRead(rng);
  };
}

/** The order id the request with this index places. */
export function orderIdOf(index: number): string {
  return `o${index}`;
}
