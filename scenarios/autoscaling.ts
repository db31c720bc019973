// Traffic ramps ×5 on the browse path; a horizontal pod autoscaler adds pods. As microservices
// only the hot service (catalog) scales; as a monolith every replica carries checkout too.
//
// What to look at: `sizedInstanceSeconds`, the cost in standard instances (1 CPU, 1 GiB) — a pod
// occupies max(cpu, GiB) of them. Both architectures need about the same CPU for the same traffic,
// so plain pod-seconds are close (the monolith even runs fewer processes at the base rate), but
// each monolith replica also reserves checkout's 1.5 GiB and boots both modules (4 s instead of
// 2 s): scaling it for browse traffic replicates checkout's footprint and reacts later, so at the
// peak it costs more and its p99 suffers while new replicas warm up.
import { scenario, always } from '../sim/index.ts';
import type { NodeContext, NodeFactory, SystemHandle, World, Handler, HandlerSpec, RequestGenerator } from '../sim/index.ts';
import { registryNode } from '../services/routing/discovery.ts';
import { gateway, GATEWAY_METHOD } from '../services/routing/gateway.ts';
import { ControlPlane, type HpaOptions } from '../services/deploy/index.ts';

/** Arrivals per second before and after the ramp. */
const BASE_RATE_PER_SEC = 100;
const PEAK_FACTOR = 5;
/** Share of requests that are checkouts (the rest browse the catalog). */
export const CHECKOUT_SHARE = 0.1;

/** Each module's needs: CPU per request, memory it reserves, time to boot. */
export const CATALOG = { cpuMs: 40, memoryMiB: 512, bootMs: 2000 } as const;
/** Checkout's needs (same fields as CATALOG). */
export const CHECKOUT = { cpuMs: 60, memoryMiB: 1536, bootMs: 2000 } as const;
/** Worker slots per pod. */
export const WORKERS = 4;

/** Shared HPA settings: CPU target 60%, decisions every second, 15 s scale-down stabilization. */
const HPA: Omit<HpaOptions, 'minReplicas' | 'maxReplicas'> = {
  metric: { kind: 'cpu', targetUtilization: 0.6 },
  syncPeriodMs: 1000,
  metricWindowMs: 2000,
  scaleDownStabilizationMs: 15_000,
};

/**
 * Requests per second at virtual time `nowMs`: nothing while pods warm up (0–5 s), the base rate
 * to 25 s, a ramp to ×5 by 40 s, the peak until 80 s, back to base by 85 s.
 */
export function ratePerSec(nowMs: number): number {
  const seconds = nowMs / 1000;
  const peak = BASE_RATE_PER_SEC * PEAK_FACTOR;
  if (seconds < 5) return 0;
  if (seconds < 25) return BASE_RATE_PER_SEC;
  if (seconds < 40) return BASE_RATE_PER_SEC + ((seconds - 25) / 15) * (peak - BASE_RATE_PER_SEC);
  if (seconds < 80) return peak;
  if (seconds < 85) return peak - ((seconds - 80) / 5) * (peak - BASE_RATE_PER_SEC);
  return BASE_RATE_PER_SEC;
}

interface ScalingSystem extends SystemHandle {
  entry: string;
  controlPlane: ControlPlane;
  /** Deployments and their HPA bounds. */
  bounds: Map<string, { min: number; max: number }>;
  metrics(): Record<string, number>;
}

/** The catalog module's handler: ~40 ms of CPU per browse. */
export const browse: HandlerSpec = { serviceTimeMs: { kind: 'lognormal', median: CATALOG.cpuMs, sigma: 0.3 }, handle: () => ({ items: 20 }) };
/** The checkout module's handler: ~60 ms of CPU per checkout. */
export const checkout: HandlerSpec = { serviceTimeMs: { kind: 'lognormal', median: CHECKOUT.cpuMs, sigma: 0.3 }, handle: () => ({ order: 'placed' }) };

/** A service (a microservice or the monolith) serving these modules' handlers. */
export function service(handlers: Record<string, Handler | HandlerSpec>): NodeFactory {
  return (_ctx: NodeContext) => ({ handlers });
}

/** Builds the shared parts (registry, control plane, gateway routing both paths) and returns the control plane. */
export function infrastructure(world: World, routes: { catalog: string; checkout: string }): ControlPlane {
  world.addNode('registry', registryNode({ ttlMs: 3000 }));
  const controlPlane = new ControlPlane(world, { registry: 'registry' });
  world.addNode(
    'gateway',
    gateway({
      registry: 'registry',
      refreshMs: 500,
      routes: [
        { prefix: '/catalog', service: routes.catalog, rpcMethod: 'browse', public: true, timeoutMs: 1500, balancer: 'least-connections' },
        { prefix: '/checkout', service: routes.checkout, rpcMethod: 'checkout', public: true, timeoutMs: 1500, balancer: 'least-connections' },
      ],
    }),
    { workers: 512, queueCapacity: 2000 },
  );
  return controlPlane;
}

function deployScaled(controlPlane: ControlPlane, bounds: ScalingSystem['bounds'], name: string, handlers: Record<string, Handler | HandlerSpec>, module: { memoryMiB: number; bootMs: number }, min: number, max: number): void {
  controlPlane.deploy({
    name,
    replicas: min,
    template: { version: 'v1', factory: service(handlers), workers: WORKERS, queueCapacity: 64, coldStartMs: module.bootMs, resources: { cpu: 1, memoryMiB: module.memoryMiB } },
  });
  controlPlane.autoscale(name, { ...HPA, minReplicas: min, maxReplicas: max });
  bounds.set(name, { min, max });
}

function system(world: World, controlPlane: ControlPlane, bounds: ScalingSystem['bounds']): ScalingSystem {
  let scaleEvents = 0;
  world.sim.trace.addFilteredSink(['scale'], () => {
    scaleEvents++;
  });
  return {
    entry: 'gateway',
    controlPlane,
    bounds,
    metrics: () => {
      const figures: Record<string, number> = {};
      let podSeconds = 0;
      let sizedInstanceSeconds = 0;
      for (const name of controlPlane.deployments()) {
        const cost = controlPlane.cost(name);
        podSeconds += cost.podSeconds;
        sizedInstanceSeconds += cost.sizedInstanceSeconds;
      }
      figures.podSeconds = Math.round(podSeconds);
      figures.sizedInstanceSeconds = Math.round(sizedInstanceSeconds);
      figures.scaleEvents = scaleEvents;
      for (const name of controlPlane.deployments()) figures[`peakPods ${name}`] = controlPlane.status(name).peakReplicas;
      return figures;
    },
  };
}

/** The store's traffic through the gateway: CHECKOUT_SHARE checkouts, the rest catalogue reads. */
export const storeTraffic: RequestGenerator = (rng) =>
  rng.chance(CHECKOUT_SHARE)
    ? { endpoint: 'POST /checkout', method: GATEWAY_METHOD, payload: { method: 'POST', path: '/checkout' } }
    : { endpoint: 'GET /catalog', method: GATEWAY_METHOD, payload: { method: 'GET', path: '/catalog/items' } };

export default scenario<ScalingSystem>({
  name: 'autoscaling',
  description: 'Browse traffic ramps x5 (100 -> 500 req/s, 10% checkouts); an HPA at 60% CPU scales microservices (catalog, checkout) or a monolith holding both.',
  durationMs: 110_000,
  quiesceMs: 2_000,
  workload: {
    kind: 'open',
    ratePerSec,
    timeoutMs: 2_000,
    request: storeTraffic,
  },
  variants: [
    {
      name: 'microservices',
      description: 'catalog (512 MiB, 2 s boot) and checkout (1.5 GiB, 2 s boot) scale independently',
      build: (world) => {
        const controlPlane = infrastructure(world, { catalog: 'catalog', checkout: 'checkout' });
        const bounds: ScalingSystem['bounds'] = new Map();
        deployScaled(controlPlane, bounds, 'catalog', { browse }, CATALOG, 2, 12);
        deployScaled(controlPlane, bounds, 'checkout', { checkout }, CHECKOUT, 2, 6);
        return system(world, controlPlane, bounds);
      },
    },
    {
      name: 'monolith',
      description: 'one process with both modules (2 GiB, 4 s boot): every replica scales both',
      build: (world) => {
        const controlPlane = infrastructure(world, { catalog: 'monolith', checkout: 'monolith' });
        const bounds: ScalingSystem['bounds'] = new Map();
        const monolith = { memoryMiB: CATALOG.memoryMiB + CHECKOUT.memoryMiB, bootMs: CATALOG.bootMs + CHECKOUT.bootMs };
        deployScaled(controlPlane, bounds, 'monolith', { browse, checkout }, monolith, 2, 12);
        return system(world, controlPlane, bounds);
      },
    },
  ],
  checks: [
    always('replicas stay within the autoscaler bounds', ({ system }) => {
      for (const [name, { min, max }] of system.bounds) {
        const replicas = system.controlPlane.status(name).replicas;
        if (replicas < min || replicas > max) return `${name} has ${replicas} replicas, outside [${min}, ${max}]`;
      }
      return true;
    }),
  ],
});
