// Shipping a change to checkout under steady traffic. As microservices only checkout's pods are
// replaced; as a monolith the same change is a new version of the whole process, every replica.
//
// What to look at: `podsReplaced`, `rolloutMs` and `surgeInstanceSeconds`. Both roll (surge 1,
// unavailable 0) and fail nothing, but the microservices replace 2 checkout pods (2 s boot each)
// and finish in seconds while catalog is never touched (`podsKept`); the monolith replaces every
// replica, one at a time, each booting both modules (4 s), so it takes several times longer and
// pays for the extra 2 GiB surge pod all that while. `p99DuringRolloutMs` is the gateway's tail
// while the rollout runs.
import { scenario, always, eventually, LatencyHistogram } from '../sim/index.ts';
import type { SystemHandle, World, Handler, HandlerSpec, TraceEvent } from '../sim/index.ts';
import { GATEWAY_METHOD } from '../services/routing/gateway.ts';
import { ControlPlane, GatewayOutcomeLog, instanceUnits, resolveTemplate, type RolloutStrategy } from '../services/deploy/index.ts';
import { CATALOG, CHECKOUT, MONOLITH, browse, checkout, cluster, moduleTemplate, storeRoutes, storeTraffic } from './lib/store.ts';

/** Traffic starts once the first pods are warm and in discovery. */
const WARMUP_MS = 5_000;
/** Run length; traffic stops a second before it. */
const DURATION_MS = 50_000;
/**
 * Arrivals end here so none is in flight when the run ends: once every eventually-check holds,
 * the runner ends the quiesce phase at once and would count open requests as failed.
 */
const TRAFFIC_END_MS = DURATION_MS - 1_000;
/** Steady arrivals: about 45% CPU on catalog's pods, 40% on the monolith's, 11% on checkout's. */
const RATE_PER_SEC = 150;
/** When the new version of checkout (and so of the monolith) starts rolling out. */
const ROLLOUT_AT_MS = 20_000;
/** Failures are counted until this long after the rollout ends: callers' discovery views catch up meanwhile. */
const SETTLE_MS = 2_000;

const ROLLING: RolloutStrategy = { kind: 'rolling', maxSurge: 1, maxUnavailable: 0 };

interface DeploySystem extends SystemHandle {
  controlPlane: ControlPlane;
  /** The deployment the change rolls out to: `checkout`, or `monolith`. */
  changed: string;
  outcomes: GatewayOutcomeLog;
}

/**
 * Watches one deployment's rollout from outside, through the trace: pods created while it runs,
 * how long they warmed up, pod-seconds above `replicas` (the surge), and the gateway's latency
 * while it runs. Memory: one histogram plus the pods still warming.
 */
class RolloutWatch {
  readonly latencyMs = new LatencyHistogram();
  podsCreated = 0;
  warmingMs = 0;
  private surgePodMs = 0;
  private livePods = 0;
  private lastCountChangeMs = 0;
  private readonly warmingSinceMs = new Map<string, number>();

  constructor(
    world: World,
    private readonly controlPlane: ControlPlane,
    private readonly deployment: string,
    private readonly replicas: number,
  ) {
    const podPrefix = `${deployment}-`;
    world.sim.trace.addFilteredSink(['pod.create', 'pod.ready', 'pod.terminated', 'span'], (event: TraceEvent) => {
      if (event.kind === 'span') {
        const span = event.span!;
        if (span.service === 'gateway' && span.name === GATEWAY_METHOD && span.parentSpanId === undefined && this.during(span.endMs)) {
          this.latencyMs.record(span.endMs - span.startMs);
        }
        return;
      }
      const pod = event.peer;
      if (pod === undefined || !pod.startsWith(podPrefix)) return;
      if (event.kind === 'pod.ready') {
        const sinceMs = this.warmingSinceMs.get(pod);
        if (sinceMs !== undefined) this.warmingMs += event.atMs - sinceMs;
        this.warmingSinceMs.delete(pod);
        return;
      }
      this.accrueSurge(event.atMs);
      this.livePods += event.kind === 'pod.create' ? 1 : -1;
      if (event.kind === 'pod.create' && this.during(event.atMs)) {
        this.podsCreated++;
        this.warmingSinceMs.set(pod, event.atMs);
      }
    });
  }

  /** The first rollout of the deployment, if it has started. */
  get rollout() {
    return this.controlPlane.rollouts(this.deployment)[0];
  }

  /** Pod-seconds above `replicas` so far (terminating pods count: they still hold their machine). */
  surgePodSeconds(nowMs: number): number {
    this.accrueSurge(nowMs);
    return this.surgePodMs / 1000;
  }

  private during(atMs: number): boolean {
    const rollout = this.rollout;
    return rollout !== undefined && atMs >= rollout.startedAtMs && (rollout.endedAtMs === undefined || atMs <= rollout.endedAtMs);
  }

  private accrueSurge(nowMs: number): void {
    this.surgePodMs += Math.max(0, this.livePods - this.replicas) * (nowMs - this.lastCountChangeMs);
    this.lastCountChangeMs = nowMs;
  }
}

interface Layout {
  routes: { catalog: string; checkout: string };
  deployments: { name: string; replicas: number; handlers: Record<string, Handler | HandlerSpec>; module: { memoryMiB: number; bootMs: number } }[];
  /** The deployment the checkout change ships in. */
  changed: string;
}

function build(layout: Layout) {
  return (world: World): DeploySystem => {
    const controlPlane = cluster(world, storeRoutes(layout.routes));
    for (const deployment of layout.deployments) {
      controlPlane.deploy({ name: deployment.name, replicas: deployment.replicas, template: moduleTemplate('v1', deployment.handlers, deployment.module), strategy: ROLLING, analysis: false });
    }
    const changed = layout.deployments.find((deployment) => deployment.name === layout.changed)!;
    const next = moduleTemplate('v2', changed.handlers, changed.module);
    world.sim.at(ROLLOUT_AT_MS, () => controlPlane.rollout(changed.name, next));
    const outcomes = new GatewayOutcomeLog(world.sim.trace);
    const watch = new RolloutWatch(world, controlPlane, changed.name, changed.replicas);
    const sizedUnits = instanceUnits(resolveTemplate(next, `deployment ${changed.name}`));
    return {
      entry: 'gateway',
      controlPlane,
      changed: changed.name,
      outcomes,
      metrics: () => {
        const rollout = watch.rollout;
        const startMs = rollout?.startedAtMs ?? world.nowMs;
        const endMs = rollout?.endedAtMs ?? world.nowMs;
        let sizedInstanceSeconds = 0;
        let podsKept = 0;
        for (const name of controlPlane.deployments()) {
          sizedInstanceSeconds += controlPlane.cost(name).sizedInstanceSeconds;
          podsKept += controlPlane.pods(name).filter((pod) => pod.version === 'v1' && pod.phase === 'running').length;
        }
        return {
          podsReplaced: watch.podsCreated,
          podsKept,
          rolloutMs: endMs - startMs,
          failedDuringRollout: outcomes.failedBetween(startMs, endMs + SETTLE_MS),
          p99DuringRolloutMs: watch.latencyMs.summary().p99,
          warmingPodSecondsDuringRollout: watch.warmingMs / 1000,
          surgeInstanceSeconds: Math.round(watch.surgePodSeconds(world.nowMs) * sizedUnits * 10) / 10,
          sizedInstanceSeconds: Math.round(sizedInstanceSeconds),
        };
      },
    };
  };
}

export default scenario<DeploySystem>({
  name: 'independent-deploys',
  description: `A change to checkout ships at 20 s under ${RATE_PER_SEC} req/s (10% checkouts), rolling (surge 1, unavailable 0): as microservices only checkout's pods are replaced, as a monolith every replica.`,
  durationMs: DURATION_MS,
  quiesceMs: 2_000,
  workload: {
    kind: 'open',
    ratePerSec: (nowMs) => (nowMs < WARMUP_MS || nowMs >= TRAFFIC_END_MS ? 0 : RATE_PER_SEC),
    timeoutMs: 2_000,
    request: storeTraffic,
  },
  variants: [
    {
      name: 'microservices',
      description: 'catalog x3 stays on v1; checkout x2 (1.5 GiB, 2 s boot) rolls to v2',
      build: build({
        routes: { catalog: 'catalog', checkout: 'checkout' },
        deployments: [
          { name: 'catalog', replicas: 3, handlers: { browse }, module: CATALOG },
          { name: 'checkout', replicas: 2, handlers: { checkout }, module: CHECKOUT },
        ],
        changed: 'checkout',
      }),
    },
    {
      name: 'monolith',
      description: 'monolith x4 (2 GiB, 4 s boot) rolls to v2: every replica is replaced',
      build: build({
        routes: { catalog: 'monolith', checkout: 'monolith' },
        deployments: [{ name: 'monolith', replicas: 4, handlers: { browse, checkout }, module: MONOLITH }],
        changed: 'monolith',
      }),
    },
  ],
  checks: [
    always('no request fails once the rolling update has started', ({ system }) => {
      const failed = system.outcomes.failedBetween(ROLLOUT_AT_MS, Number.POSITIVE_INFINITY);
      return failed === 0 ? true : `${failed} requests failed since the rollout of ${system.changed} started`;
    }),
    eventually('the rollout completes: every replica ready on v2', ({ system }) => {
      const status = system.controlPlane.status(system.changed);
      const rollout = system.controlPlane.rollouts(system.changed)[0];
      return rollout?.outcome === 'complete' && status.updatedReady === status.replicas && status.terminating === 0
        ? true
        : `${system.changed}: rollout ${rollout?.outcome ?? 'not started'}, ${status.updatedReady}/${status.replicas} ready on ${status.version}, ${status.terminating} terminating`;
    }),
  ],
});
