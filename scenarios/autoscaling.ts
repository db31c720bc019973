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
import type { SystemHandle, World, Handler, HandlerSpec } from '../sim/index.ts';
import type { ControlPlane, HpaOptions } from '../services/deploy/index.ts';
import { CATALOG, CHECKOUT, MONOLITH, browse, checkout, cluster, moduleTemplate, storeRoutes, storeTraffic, type ModuleNeeds } from './lib/store.ts';

/** Arrivals per second before and after the ramp. */
const BASE_RATE_PER_SEC = 100;
const PEAK_FACTOR = 5;
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
  controlPlane: ControlPlane;
  /** Deployments and their HPA bounds. */
  bounds: Map<string, { min: number; max: number }>;
}

function deployScaled(controlPlane: ControlPlane, bounds: ScalingSystem['bounds'], name: string, handlers: Record<string, Handler | HandlerSpec>, module: ModuleNeeds, min: number, max: number): void {
  controlPlane.deploy({ name, replicas: min, template: moduleTemplate('v1', handlers, module) });
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
        const controlPlane = cluster(world, storeRoutes({ catalog: 'catalog', checkout: 'checkout' }));
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
        const controlPlane = cluster(world, storeRoutes({ catalog: 'monolith', checkout: 'monolith' }));
        const bounds: ScalingSystem['bounds'] = new Map();
        deployScaled(controlPlane, bounds, 'monolith', { browse, checkout }, MONOLITH, 2, 12);
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
