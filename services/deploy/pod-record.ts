// The control plane's record of one pod (its API-server object): phase, readiness, probes, restart
// history, request counters and metric windows. It outlives the pod's process across restarts.
import type { ResolvedDeploymentSpec } from './deployment.ts';
import { Probe, READY_METHOD, LIVENESS_METHOD } from './probes.ts';
import { MetricWindow } from './hpa.ts';
import type { RequestCounts } from './analysis.ts';

/**
 * Where a pod is in its life: `running` (process up; ready or not), `backoff` (crashed, waiting
 * out its restart back-off: CrashLoopBackOff), `terminating` (out of discovery, draining) and
 * `terminated` (removed from the world).
 */
export type PodPhase = 'running' | 'backoff' | 'terminating' | 'terminated';

/** A pod as tests and reports see it. */
export interface PodStatus {
  name: string;
  version: string;
  revision: number;
  phase: PodPhase;
  ready: boolean;
  restarts: number;
}

/** One pod's record. Mutated only by the control plane. */
export class PodRecord {
  phase: PodPhase = 'running';
  ready = false;
  /** Bumped on every start the control plane sees; probe answers from an older one are ignored. */
  incarnation = 0;
  /** The node's generation at the last look: a change means it restarted behind our back. */
  observedGeneration = -1;
  /** Control-plane time the current incarnation started. */
  startedAtMs = 0;
  /** Restarts the control plane made. */
  restarts = 0;
  /** Crashes in a row (a long healthy run resets it): drives the back-off. */
  consecutiveCrashes = 0;
  restartAtMs = 0;
  terminateAtMs = 0;
  /** Requests the service answered, probes excluded (rollout analysis). */
  readonly counts: RequestCounts = { ok: 0, errors: 0 };
  readiness: Probe;
  liveness: Probe;
  /** Busy workers / workers, sampled; with cores, CPU busy time / (cores × time) between samples. */
  readonly utilization: MetricWindow;
  /** The pod's CPU busy total at the last sample, for utilisation between samples (pods with cores). */
  cpuSample: { atMs: number; busyCoreMs: number } | undefined;
  /** Requests waiting for a worker, sampled. */
  readonly queueDepth: MetricWindow;

  constructor(
    readonly name: string,
    readonly spec: ResolvedDeploymentSpec,
    readonly revision: number,
    readonly version: string,
    /** Creation order within the deployment. */
    readonly seq: number,
    metricWindowMs: number,
  ) {
    this.readiness = new Probe(READY_METHOD, spec.readiness, 0);
    this.liveness = new Probe(LIVENESS_METHOD, spec.liveness, 0);
    this.utilization = new MetricWindow(metricWindowMs);
    this.queueDepth = new MetricWindow(metricWindowMs);
  }

  /** A new process of this pod started at `nowMs` (node generation `generation`): fresh probes and metrics. */
  beginIncarnation(nowMs: number, generation: number): void {
    this.incarnation++;
    this.phase = 'running';
    this.observedGeneration = generation;
    this.startedAtMs = nowMs;
    this.readiness = new Probe(READY_METHOD, this.spec.readiness, nowMs);
    this.liveness = new Probe(LIVENESS_METHOD, this.spec.liveness, nowMs);
    this.utilization.clear();
    this.queueDepth.clear();
    this.cpuSample = undefined;
  }

  /** Not terminating or gone. */
  get live(): boolean {
    return this.phase === 'running' || this.phase === 'backoff';
  }

  /** A snapshot for tests and reports. */
  status(): PodStatus {
    return { name: this.name, version: this.version, revision: this.revision, phase: this.phase, ready: this.ready, restarts: this.restarts };
  }
}
