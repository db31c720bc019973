// The controller of one Deployment: its revisions, its pods, its rollouts and autoscaler. Each
// control-plane tick it supervises the pods, samples their load, lets the autoscaler and the
// rollout analysis decide, and takes one rollout/scaling step.
import { registerTimelineKinds } from '../../sim/harness/timeline.ts';
import type { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import type { SimNode } from '../../sim/world/node.ts';
import { instanceUnits, rollingLimits, type ResolvedDeploymentSpec, type ResolvedTemplate } from './deployment.ts';
import { PodRecord, type PodStatus } from './pod-record.ts';
import { podFactory } from './pod.ts';
import { supervise, terminate, type SupervisorHost } from './self-healing.ts';
import { planRecreate, planRolling, rolloutComplete, type PodView } from './rollout.ts';
import { analyse, type RequestCounts } from './analysis.ts';
import { Autoscaler, type HpaDecision, type ResolvedHpa } from './hpa.ts';

// Scaling, rollouts and rollbacks show on the timeline.
registerTimelineKinds('scale', 'deploy', 'rollback', 'hpa.decision', 'pod.create', 'pod.ready', 'pod.unready', 'pod.crash', 'pod.restart', 'pod.terminating', 'pod.terminated', 'pod.liveness-failed', 'heal.crash', 'heal.restart', 'service.endpoint-add', 'service.endpoint-remove');

/** What a deployment controller needs from the control plane around it. */
export interface DeploymentHost {
  readonly world: World;
  /** The control plane node's current context. */
  readonly ctx: NodeContext;
  /** How long a crashing start runs before it dies (crash-loop faults). */
  readonly crashAfterMs: number;
}

/** One rollout (an update or a rollback), kept for reports and checks. */
export interface RolloutRecord {
  kind: 'update' | 'rollback';
  fromVersion: string;
  toVersion: string;
  fromRevision: number;
  toRevision: number;
  /** Control-plane time it started. */
  startedAtMs: number;
  /** When it completed, was rolled back or superseded; undefined while it runs. */
  endedAtMs: number | undefined;
  outcome: 'progressing' | 'complete' | 'rolled-back' | 'superseded';
  /** Fewest ready pods while it ran (exact: updated on every readiness change). */
  minReady: number;
  /** `replicas − maxUnavailable` when it started (0 for a recreate). */
  readyFloor: number;
}

/** A deployment as tests and reports see it. */
export interface DeploymentStatus {
  name: string;
  service: string;
  /** Desired replicas. */
  replicas: number;
  /** Version and revision pods should run. */
  version: string;
  revision: number;
  /** Pods running or in back-off (not terminating). */
  pods: number;
  ready: number;
  /** Live pods of the target revision, and how many of them are ready. */
  updated: number;
  updatedReady: number;
  terminating: number;
  /** Restarts the control plane made, over all pods ever. */
  restarts: number;
  rollbacks: number;
  peakReplicas: number;
  rollout: RolloutRecord | undefined;
}

/** Reconciles one deployment. Built by the control plane; its state outlives control-plane restarts. */
export class DeploymentController implements SupervisorHost {
  replicas: number;
  /** Templates by revision − 1. */
  readonly revisions: ResolvedTemplate[];
  targetRevision = 1;
  /** Pods not yet removed from the world, in creation order. */
  readonly pods = new Map<string, PodRecord>();
  readonly rollouts: RolloutRecord[] = [];
  autoscaler: Autoscaler | undefined;
  /** Revisions that failed analysis: never analysed or rolled back to again. */
  private readonly badRevisions = new Set<number>();
  private metricWindowMs = 2000;
  private seq = 0;
  private lastProgress = '';
  private retiredUptimeMs = 0;
  private retiredSizedMs = 0;
  private retiredRestarts = 0;
  private rollbackCount = 0;
  private peakReplicas: number;

  constructor(
    readonly spec: ResolvedDeploymentSpec,
    private readonly host: DeploymentHost,
  ) {
    this.replicas = spec.replicas;
    this.peakReplicas = spec.replicas;
    this.revisions = [spec.template];
  }

  get world(): World {
    return this.host.world;
  }

  get ctx(): NodeContext {
    return this.host.ctx;
  }

  /** The template pods should run. */
  get target(): ResolvedTemplate {
    return this.revisions[this.targetRevision - 1]!;
  }

  /** The latest rollout, if any. */
  get currentRollout(): RolloutRecord | undefined {
    return this.rollouts[this.rollouts.length - 1];
  }

  /** One reconcile pass at control-plane time `nowMs`. */
  reconcile(nowMs: number): void {
    for (const pod of this.pods.values()) {
      supervise(pod, this, nowMs);
      if (pod.phase === 'terminated') this.retire(pod);
    }
    if (this.autoscaler !== undefined) this.autoscale(this.autoscaler, nowMs);
    this.analyse(nowMs);
    this.step(nowMs);
  }

  /** Starts a rolling update (or recreate) to a new template; returns its revision. */
  update(template: ResolvedTemplate, nowMs: number): number {
    this.revisions.push(template);
    const revision = this.revisions.length;
    this.startRollout('update', revision, nowMs);
    const strategy = this.spec.strategy;
    const how = strategy.kind === 'recreate' ? 'recreate' : describeLimits(rollingLimits(strategy, Math.max(1, this.replicas)));
    this.ctx.emit('deploy', `${this.spec.name} ${this.rollouts.at(-1)!.fromVersion} -> ${template.version} started (${how})`);
    return revision;
  }

  /** Rolls back to the revision before the current rollout's target. */
  rollback(nowMs: number, reason: string): void {
    const rollout = this.currentRollout;
    if (rollout === undefined || rollout.kind !== 'update' || rollout.outcome === 'rolled-back') return;
    this.badRevisions.add(rollout.toRevision);
    this.rollbackCount++;
    this.ctx.emit('rollback', `${this.spec.name} ${rollout.toVersion} -> ${rollout.fromVersion}: ${reason}`);
    this.startRollout('rollback', rollout.fromRevision, nowMs);
    rollout.outcome = 'rolled-back';
  }

  /** Sets the desired replica count; trace event `scale` (detail `name 2->4`). */
  scaleTo(replicas: number): void {
    if (replicas === this.replicas) return;
    this.ctx.emit('scale', `${this.spec.name} ${this.replicas}->${replicas}`);
    this.replicas = replicas;
    this.peakReplicas = Math.max(this.peakReplicas, replicas);
  }

  /** Attaches an autoscaler; pods' metric windows follow its window. */
  attachAutoscaler(options: ResolvedHpa, nowMs: number): void {
    this.autoscaler = new Autoscaler(options, nowMs);
    this.metricWindowMs = options.metricWindowMs;
    for (const pod of this.pods.values()) {
      pod.utilization.windowMs = options.metricWindowMs;
      pod.queueDepth.windowMs = options.metricWindowMs;
    }
  }

  /** Crash-loop fault: every live pod crashes now and on each of its next `starts` starts. */
  crashLoop(starts: number): void {
    for (const pod of this.pods.values()) {
      if (pod.live) this.world.crashLoop(pod.name, starts, this.host.crashAfterMs);
    }
  }

  /** Changes a pod's readiness: the one path, so availability during a rollout is tracked exactly. */
  setReady(pod: PodRecord, ready: boolean, reason: string): void {
    if (pod.ready === ready) return;
    pod.ready = ready;
    this.ctx.emit(ready ? 'pod.ready' : 'pod.unready', `${pod.name}: ${reason}`, pod.name);
    const rollout = this.currentRollout;
    if (!ready && rollout !== undefined && rollout.outcome === 'progressing') rollout.minReady = Math.min(rollout.minReady, this.readyCount());
  }

  /** Ready pods now (they are in discovery). */
  readyCount(): number {
    let count = 0;
    for (const pod of this.pods.values()) if (pod.ready) count++;
    return count;
  }

  /** Names of ready pods, in creation order. */
  readyPods(): string[] {
    const names: string[] = [];
    for (const pod of this.pods.values()) if (pod.ready) names.push(pod.name);
    return names;
  }

  /** A snapshot for tests, checks and reports. */
  status(): DeploymentStatus {
    let pods = 0;
    let updated = 0;
    let updatedReady = 0;
    let terminating = 0;
    let restarts = this.retiredRestarts;
    for (const pod of this.pods.values()) {
      restarts += pod.restarts;
      if (pod.phase === 'terminating') terminating++;
      if (!pod.live) continue;
      pods++;
      if (pod.revision === this.targetRevision) {
        updated++;
        if (pod.ready) updatedReady++;
      }
    }
    return {
      name: this.spec.name,
      service: this.spec.service,
      replicas: this.replicas,
      version: this.target.version,
      revision: this.targetRevision,
      pods,
      ready: this.readyCount(),
      updated,
      updatedReady,
      terminating,
      restarts,
      rollbacks: this.rollbackCount,
      peakReplicas: this.peakReplicas,
      rollout: this.currentRollout,
    };
  }

  /** Pod snapshots, in creation order (terminated pods are gone). */
  podStatuses(): PodStatus[] {
    return [...this.pods.values()].map((pod) => pod.status());
  }

  /** Cost so far: pod uptime in seconds, plain and sized by each pod's dominant resource. */
  cost(): { podSeconds: number; sizedInstanceSeconds: number } {
    let uptimeMs = this.retiredUptimeMs;
    let sizedMs = this.retiredSizedMs;
    for (const pod of this.pods.values()) {
      const podUptimeMs = this.world.node(pod.name).uptimeMs();
      uptimeMs += podUptimeMs;
      sizedMs += podUptimeMs * instanceUnits(this.revisions[pod.revision - 1]!);
    }
    return { podSeconds: uptimeMs / 1000, sizedInstanceSeconds: sizedMs / 1000 };
  }

  private startRollout(kind: RolloutRecord['kind'], toRevision: number, nowMs: number): void {
    const previous = this.currentRollout;
    if (previous !== undefined && previous.outcome === 'progressing') {
      previous.outcome = 'superseded';
      previous.endedAtMs = nowMs;
    }
    const fromRevision = this.targetRevision;
    const strategy = this.spec.strategy;
    const readyFloor = strategy.kind === 'rolling' ? Math.max(0, this.replicas - rollingLimits(strategy, Math.max(1, this.replicas)).maxUnavailable) : 0;
    this.rollouts.push({
      kind,
      fromVersion: this.revisions[fromRevision - 1]!.version,
      toVersion: this.revisions[toRevision - 1]!.version,
      fromRevision,
      toRevision,
      startedAtMs: nowMs,
      endedAtMs: undefined,
      outcome: 'progressing',
      minReady: this.readyCount(),
      readyFloor,
    });
    this.targetRevision = toRevision;
    this.lastProgress = '';
  }

  private autoscale(autoscaler: Autoscaler, nowMs: number): void {
    const metric = autoscaler.options.metric.kind;
    const averages: number[] = [];
    for (const pod of this.pods.values()) {
      if (!pod.ready || pod.phase !== 'running') continue;
      const node = this.world.node(pod.name);
      pod.utilization.add(nowMs, utilizationSample(pod, node, nowMs));
      pod.queueDepth.add(nowMs, node.waiting.length);
    }
    if (!autoscaler.due(nowMs)) return;
    for (const pod of this.pods.values()) {
      if (!pod.ready || pod.phase !== 'running') continue;
      const average = (metric === 'cpu' ? pod.utilization : pod.queueDepth).average();
      if (average !== undefined) averages.push(average);
    }
    const decision = autoscaler.decide(nowMs, averages, this.replicas);
    if (decision === undefined) return;
    if (decision.desired !== this.replicas) this.ctx.emit('hpa.decision', describeDecision(this.spec.name, metric, decision));
    this.scaleTo(decision.desired);
  }

  private analyse(nowMs: number): void {
    const options = this.spec.analysis;
    const rollout = this.currentRollout;
    if (options === undefined || rollout === undefined || rollout.kind !== 'update' || rollout.outcome === 'rolled-back' || rollout.outcome === 'superseded') return;
    if (rollout.endedAtMs !== undefined && nowMs >= rollout.endedAtMs + options.afterRolloutMs) return;
    const counts: RequestCounts[] = [];
    for (const pod of this.pods.values()) if (pod.revision === rollout.toRevision) counts.push(pod.counts);
    const verdict = analyse(counts, options);
    if (!verdict.failed) return;
    const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
    this.rollback(nowMs, `error rate ${percent(verdict.errorRate)} over ${verdict.requests} requests > ${percent(options.maxErrorRate)}`);
  }

  private step(nowMs: number): void {
    const views: PodView[] = [];
    let terminatingOld = 0;
    for (const pod of this.pods.values()) {
      if (pod.live) views.push({ name: pod.name, revision: pod.revision, ready: pod.ready, seq: pod.seq });
      else if (pod.phase === 'terminating' && pod.revision !== this.targetRevision) terminatingOld++;
    }
    const strategy = this.spec.strategy;
    const plan =
      strategy.kind === 'recreate'
        ? planRecreate(views, terminatingOld, this.replicas, this.targetRevision)
        : planRolling(views, this.replicas, rollingLimits(strategy, Math.max(1, this.replicas)), this.targetRevision);
    for (const name of plan.remove) terminate(this.pods.get(name)!, this, nowMs);
    for (let index = 0; index < plan.create; index++) this.createPod(nowMs);
    this.reportProgress(nowMs);
  }

  private reportProgress(nowMs: number): void {
    const rollout = this.currentRollout;
    if (rollout === undefined || rollout.outcome !== 'progressing') return;
    const views: PodView[] = [];
    let old = 0;
    let freshReady = 0;
    for (const pod of this.pods.values()) {
      if (!pod.live) continue;
      views.push({ name: pod.name, revision: pod.revision, ready: pod.ready, seq: pod.seq });
      if (pod.revision !== this.targetRevision) old++;
      else if (pod.ready) freshReady++;
    }
    if (rolloutComplete(views, this.replicas, this.targetRevision)) {
      rollout.outcome = 'complete';
      rollout.endedAtMs = nowMs;
      const seconds = ((nowMs - rollout.startedAtMs) / 1000).toFixed(1);
      const what = rollout.kind === 'rollback' ? `rolled back to ${rollout.toVersion}` : `${rollout.toVersion} complete`;
      this.ctx.emit('deploy', `${this.spec.name} ${what} in ${seconds}s`);
      return;
    }
    const progress = `${this.spec.name} ${rollout.toVersion}: ${freshReady}/${this.replicas} ready, ${old} old`;
    if (progress === this.lastProgress) return;
    this.lastProgress = progress;
    this.ctx.emit('deploy', progress);
  }

  private createPod(nowMs: number): void {
    const template = this.target;
    const seq = ++this.seq;
    const name = `${this.spec.name}-${template.version}-${seq}`;
    const pod = new PodRecord(name, this.spec, this.targetRevision, template.version, seq, this.metricWindowMs);
    this.pods.set(name, pod);
    const world = this.world;
    const factory = podFactory(template.factory, {
      coldStartMs: template.coldStartMs,
      counts: pod.counts,
    });
    const node = world.addNode(name, factory, {
      workers: template.workers,
      ...(template.cores !== undefined ? { cores: template.cores } : {}),
      ...(template.eventLoop !== undefined ? { eventLoop: template.eventLoop } : {}),
      queueCapacity: template.queueCapacity,
      defaultTimeoutMs: template.defaultTimeoutMs,
      labels: { service: this.spec.service, version: template.version, deployment: this.spec.name },
    });
    node.cpuShare = template.cpu;
    pod.beginIncarnation(nowMs, node.generation);
    this.ctx.emit('pod.create', name, name);
  }

  private retire(pod: PodRecord): void {
    const uptimeMs = this.world.node(pod.name).uptimeMs();
    this.retiredUptimeMs += uptimeMs;
    this.retiredSizedMs += uptimeMs * instanceUnits(this.revisions[pod.revision - 1]!);
    this.retiredRestarts += pod.restarts;
    this.pods.delete(pod.name);
  }
}

function describeLimits(limits: { maxSurge: number; maxUnavailable: number }): string {
  return `rolling: surge ${limits.maxSurge}, unavailable ${limits.maxUnavailable}`;
}

function describeDecision(name: string, metric: string, decision: HpaDecision): string {
  return `${name} ${metric} ${decision.average.toFixed(2)} over ${decision.pods} ready pods: recommend ${decision.recommended}, set ${decision.desired}`;
}

/**
 * One utilisation sample of a pod: busy workers / workers, or, when the pod models `cores`, the CPU
 * busy time since the previous sample over cores × elapsed time (workers blocked on calls are not
 * busy: only CPU counts). The first sample after a start is the instantaneous share of busy cores.
 */
function utilizationSample(pod: PodRecord, node: SimNode, nowMs: number): number {
  const cpu = node.cpu;
  if (!cpu) return node.busyWorkers / node.options.workers;
  const busyCoreMs = cpu.busyCoreMs();
  const previous = pod.cpuSample;
  pod.cpuSample = { atMs: nowMs, busyCoreMs };
  if (previous === undefined || nowMs <= previous.atMs) return Math.min(cpu.running, cpu.cores) / cpu.cores;
  return (busyCoreMs - previous.busyCoreMs) / (cpu.cores * (nowMs - previous.atMs));
}
