// Replacing a service's version under load: a rolling update, a recreate, and a bad version that
// a rolling update with error-rate analysis rolls back (against one without analysis).
//
// What to look at: `failedDuringRollout`. The rolling update drains each old pod out of discovery
// before stopping it and only retires old pods once new ones are ready, so it fails (almost)
// nothing; recreate stops everything first and fails every request until the new pods are warm;
// the bad version fails a share of the traffic it gets until analysis rolls it back, while without
// analysis it takes all traffic and keeps failing.
import { scenario, always, eventually, RpcError } from '../sim/index.ts';
import type { NodeContext, NodeFactory, SystemHandle, World } from '../sim/index.ts';
import { GATEWAY_METHOD } from '../services/routing/gateway.ts';
import type { ControlPlane, PodTemplate, RolloutStrategy } from '../services/deploy/index.ts';
import { cluster } from './lib/store.ts';
import { GatewayOutcomeLog } from '../services/deploy/outcome-log.ts';

/** Traffic starts once the first pods are warm and in discovery. */
const WARMUP_MS = 5_000;
/** When the update to v2 starts. */
const ROLLOUT_AT_MS = 20_000;
const REPLICAS = 4;
/** Share of v2-bad's requests that fail (a regression). */
const BAD_ERROR_RATE = 0.2;
/** Failures are counted until this long after the last rollout ends: callers' discovery views catch up meanwhile. */
const SETTLE_MS = 2_000;

interface RolloutSystem extends SystemHandle {
  controlPlane: ControlPlane;
  outcomes: GatewayOutcomeLog;
}

/** The catalog service: 2–6 ms of CPU per browse; `errorRate` of its answers fail (a bad version). */
function catalog(version: string, errorRate: number): NodeFactory {
  return (ctx: NodeContext) => ({
    handlers: {
      browse: {
        serviceTimeMs: { kind: 'lognormal', median: 4, sigma: 0.3 },
        handle: () => {
          if (errorRate > 0 && ctx.rng.chance(errorRate)) throw new RpcError('application', `catalog ${version}: regression`, ctx.name);
          return { version, items: 20 };
        },
      },
    },
  });
}

function template(version: string, errorRate = 0): PodTemplate {
  return { version, factory: catalog(version, errorRate), workers: 4, queueCapacity: 64, coldStartMs: 3000, resources: { cpu: 1, memoryMiB: 512 } };
}

interface VariantSetup {
  strategy: RolloutStrategy;
  next: PodTemplate;
  analysis: boolean;
}

function build(setup: VariantSetup) {
  return (world: World): RolloutSystem => {
    const route = { prefix: '/catalog', service: 'catalog', rpcMethod: 'browse', public: true, timeoutMs: 500 };
    const controlPlane = cluster(world, [route], { workers: 128, queueCapacity: 1000 });
    controlPlane.deploy({
      name: 'catalog',
      replicas: REPLICAS,
      template: template('v1'),
      strategy: setup.strategy,
      terminationGraceMs: 2000,
      analysis: setup.analysis ? { maxErrorRate: 0.05, minRequests: 50 } : false,
    });
    world.sim.at(ROLLOUT_AT_MS, () => controlPlane.rollout('catalog', setup.next));
    const outcomes = new GatewayOutcomeLog(world.sim.trace);
    return {
      entry: 'gateway',
      controlPlane,
      outcomes,
      metrics: () => rolloutMetrics(controlPlane, outcomes, world.nowMs),
    };
  };
}

/**
 * Figures over the whole rollout: from the update's start to the end of the last rollout (a
 * rollback included); failures until `SETTLE_MS` after that.
 */
function rolloutMetrics(controlPlane: ControlPlane, outcomes: GatewayOutcomeLog, nowMs: number): Record<string, number> {
  const rollouts = controlPlane.rollouts('catalog');
  const first = rollouts[0];
  const last = rollouts[rollouts.length - 1];
  const status = controlPlane.status('catalog');
  if (first === undefined || last === undefined) return { failedDuringRollout: 0, rolloutMs: 0, rollbacks: 0 };
  const endMs = last.endedAtMs ?? nowMs;
  return {
    failedDuringRollout: outcomes.failedBetween(first.startedAtMs, endMs + SETTLE_MS),
    rolloutMs: endMs - first.startedAtMs,
    minReadyDuringRollout: Math.min(...rollouts.map((rollout) => rollout.minReady)),
    rollbacks: status.rollbacks,
    podsOnV2AtEnd: controlPlane.pods('catalog').filter((pod) => pod.version.startsWith('v2') && pod.phase === 'running').length,
    podRestarts: status.restarts,
  };
}

const rolling: RolloutStrategy = { kind: 'rolling', maxSurge: 1, maxUnavailable: 0 };

export default scenario<RolloutSystem>({
  name: 'rolling-update',
  description: 'catalog v1 -> v2 at 20 s under 200 req/s (from 5 s): rolling (surge 1, unavailable 0) vs recreate vs a bad v2 (20% errors) with and without error-rate analysis and rollback.',
  durationMs: 60_000,
  quiesceMs: 2_000,
  workload: {
    kind: 'open',
    ratePerSec: (nowMs) => (nowMs < WARMUP_MS ? 0 : 200),
    timeoutMs: 1_000,
    request: () => ({ endpoint: 'GET /catalog', method: GATEWAY_METHOD, payload: { method: 'GET', path: '/catalog/items' } }),
  },
  variants: [
    { name: 'rolling', description: 'rolling update to a good v2', build: build({ strategy: rolling, next: template('v2'), analysis: true }) },
    { name: 'recreate', description: 'stop every v1 pod, then start v2', build: build({ strategy: { kind: 'recreate' }, next: template('v2'), analysis: true }) },
    {
      name: 'bad-rollback',
      description: 'rolling update to a v2 failing 20% of requests; analysis rolls it back',
      build: build({ strategy: rolling, next: template('v2-bad', BAD_ERROR_RATE), analysis: true }),
    },
    {
      name: 'bad-no-analysis',
      description: 'the same bad v2 without analysis: it rolls out completely',
      build: build({ strategy: rolling, next: template('v2-bad', BAD_ERROR_RATE), analysis: false }),
    },
  ],
  checks: [
    always('a rolling update keeps replicas - maxUnavailable pods ready', ({ system }) => {
      for (const rollout of system.controlPlane.rollouts('catalog')) {
        if (rollout.minReady < rollout.readyFloor) return `${rollout.kind} to ${rollout.toVersion} had ${rollout.minReady} ready pods, below ${rollout.readyFloor}`;
      }
      return true;
    }),
    eventually('every replica is ready on one version', ({ system }) => {
      const status = system.controlPlane.status('catalog');
      return status.ready === status.replicas && status.updatedReady === status.replicas && status.terminating === 0
        ? true
        : `${status.updatedReady}/${status.replicas} ready on ${status.version}, ${status.terminating} terminating`;
    }),
  ],
});
