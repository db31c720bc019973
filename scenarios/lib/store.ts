// The store the deployment scenarios share: a catalog module (browse) and a checkout module, what
// each needs (CPU, memory, boot time), and the front of the cluster (registry, control plane and
// a gateway). A library for scenarios: scenarios import it, never each other.
import type { NodeContext, NodeFactory, NodeOptions, World, Handler, HandlerSpec, RequestGenerator } from '../../sim/index.ts';
import { registryNode } from '../../services/routing/discovery.ts';
import { gateway, GATEWAY_METHOD, type RouteSpec } from '../../services/routing/gateway.ts';
import { ControlPlane, type PodTemplate } from '../../services/deploy/index.ts';

/** Share of requests that are checkouts (the rest browse the catalog). */
export const CHECKOUT_SHARE = 0.1;

/** What a module needs: memory it reserves and time to boot. */
export interface ModuleNeeds {
  memoryMiB: number;
  bootMs: number;
}

/** Each module's needs: CPU per request, memory it reserves, time to boot. */
export const CATALOG = { cpuMs: 40, memoryMiB: 512, bootMs: 2000 } as const;
/** Checkout's needs (same fields as CATALOG). */
export const CHECKOUT = { cpuMs: 60, memoryMiB: 1536, bootMs: 2000 } as const;
/** One process holding both modules: their memory and boot times add up. */
export const MONOLITH: ModuleNeeds = { memoryMiB: CATALOG.memoryMiB + CHECKOUT.memoryMiB, bootMs: CATALOG.bootMs + CHECKOUT.bootMs };
/** Worker slots per pod. */
export const WORKERS = 4;

/** The catalog module's handler: ~40 ms of CPU per browse. */
export const browse: HandlerSpec = { serviceTimeMs: { kind: 'lognormal', median: CATALOG.cpuMs, sigma: 0.3 }, handle: () => ({ items: 20 }) };
/** The checkout module's handler: ~60 ms of CPU per checkout. */
export const checkout: HandlerSpec = { serviceTimeMs: { kind: 'lognormal', median: CHECKOUT.cpuMs, sigma: 0.3 }, handle: () => ({ order: 'placed' }) };

/** A service (a microservice or the monolith) serving these modules' handlers. */
export function service(handlers: Record<string, Handler | HandlerSpec>): NodeFactory {
  return (_ctx: NodeContext) => ({ handlers });
}

/** A pod template serving `handlers`, sized and booting like `module` (1 CPU, WORKERS workers). */
export function moduleTemplate(version: string, handlers: Record<string, Handler | HandlerSpec>, module: ModuleNeeds): PodTemplate {
  return { version, factory: service(handlers), workers: WORKERS, queueCapacity: 64, coldStartMs: module.bootMs, resources: { cpu: 1, memoryMiB: module.memoryMiB } };
}

/** The gateway's routes to the two modules, wherever they run. */
export function storeRoutes(routes: { catalog: string; checkout: string }): RouteSpec[] {
  return [
    { prefix: '/catalog', service: routes.catalog, rpcMethod: 'browse', public: true, timeoutMs: 1500, balancer: 'least-connections' },
    { prefix: '/checkout', service: routes.checkout, rpcMethod: 'checkout', public: true, timeoutMs: 1500, balancer: 'least-connections' },
  ];
}

/**
 * The front of the cluster: a registry (3 s TTL), a control plane deploying into it, and a node
 * `gateway` routing `routes` (views refreshed every 500 ms). Returns the control plane.
 */
export function cluster(world: World, routes: RouteSpec[], gatewayNode: NodeOptions = { workers: 512, queueCapacity: 2000 }): ControlPlane {
  world.addNode('registry', registryNode({ ttlMs: 3000 }));
  const controlPlane = new ControlPlane(world, { registry: 'registry' });
  world.addNode('gateway', gateway({ registry: 'registry', refreshMs: 500, routes }), gatewayNode);
  return controlPlane;
}

/** The store's traffic through the gateway: CHECKOUT_SHARE checkouts, the rest catalogue reads. */
export const storeTraffic: RequestGenerator = (rng) =>
  rng.chance(CHECKOUT_SHARE)
    ? { endpoint: 'POST /checkout', method: GATEWAY_METHOD, payload: { method: 'POST', path: '/checkout' } }
    : { endpoint: 'GET /catalog', method: GATEWAY_METHOD, payload: { method: 'GET', path: '/catalog/items' } };
