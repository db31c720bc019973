// The shop's shared infrastructure: the service registry and the API gateway (routes, token auth,
// product cache), the same for the monolith and the microservices.
import type { World } from '../../sim/world/world.ts';
import type { Handler, HandlerSpec, NodeFactory } from '../../sim/world/node.ts';
import { registryNode } from '../routing/discovery.ts';
import { gateway } from '../routing/gateway.ts';
import { tokenTable, type ShopCatalogue } from './catalogue.ts';
import { HTTP_METHODS } from './api.ts';
import type { ResolvedShopOptions } from './options.ts';

/** The registry node's name. */
export const REGISTRY = 'registry';
/** The gateway node's name (the entry of every shop deployment). */
export const GATEWAY = 'gateway';

/** Adds the service registry (instances register on start and heartbeat every second). */
export function addRegistry(world: World): void {
  world.addNode(REGISTRY, registryNode({ ttlMs: 3000 }), { workers: 64, queueCapacity: 1000 });
}

/**
 * Adds the gateway: `/api/orders`, `/api/products` (public, cached) and `/api/users`, with bearer
 * tokens from the catalogue, routed to the service `serviceOf(module)` through discovery and a
 * round-robin balancer.
 */
export function addGateway(world: World, catalogue: ShopCatalogue, serviceOf: (module: keyof typeof HTTP_METHODS) => string, options: ResolvedShopOptions): void {
  const factory = gateway({
      registry: REGISTRY,
      auth: { tokens: tokenTable(catalogue) },
      processingMs: options.gatewayCpuMs,
      routes: [
        { prefix: '/api/orders', service: serviceOf('orders'), rpcMethod: HTTP_METHODS.orders, timeoutMs: 10_000 },
        { prefix: '/api/products', service: serviceOf('products'), rpcMethod: HTTP_METHODS.products, public: true, cacheTtlMs: options.productsCacheTtlMs },
        { prefix: '/api/users', service: serviceOf('users'), rpcMethod: HTTP_METHODS.users },
      ],
    });
  world.addNode(GATEWAY, afterRegistrations(factory), { workers: 512, queueCapacity: 4000 });
}

/**
 * Every node starts at time 0: a discovery warm-up lookup sent then races the instances'
 * registrations and may cache an empty view until the next refresh. Warming up a few ms later
 * (registrations have landed by then) avoids that; a request arriving earlier still resolves on demand.
 */
export const WARM_UP_DELAY_MS = 10;

/** Runs a node's `onStart` hook `WARM_UP_DELAY_MS` after the start instead of at once. */
export function afterRegistrations(factory: NodeFactory): NodeFactory {
  return (ctx) => {
    const definition = factory(ctx);
    const onStart = definition.onStart;
    if (onStart === undefined) return definition;
    return { ...definition, onStart: () => void ctx.setTimer(WARM_UP_DELAY_MS, () => void onStart.call(definition)) };
  };
}

/** A handler that first spends `cpuMs` of CPU (nothing extra when it is 0). */
export function withCpu(cpuMs: number, handle: Handler): Handler | HandlerSpec {
  return cpuMs > 0 ? { serviceTimeMs: cpuMs, handle } : handle;
}
