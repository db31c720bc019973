// Deployment specs as a scenario writes them (pod template, replicas, strategy, probes, back-off),
// and their resolution: defaults filled once at the edge, bad values rejected with a ConfigError.
import type { NodeFactory } from '../../sim/world/node.ts';
import { validateDistribution, type Distribution } from '../../sim/engine/rng.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { resolveBackoff, type BackoffOptions, type ResolvedBackoff } from './backoff.ts';
import { resolveProbe, READINESS_DEFAULTS, LIVENESS_DEFAULTS, type ProbeOptions, type ResolvedProbe } from './probes.ts';
import { resolveAnalysis, type AnalysisOptions, type ResolvedAnalysis } from './analysis.ts';

/** What one pod asks of its machine. */
export interface ResourceRequests {
  /** CPU share per worker, in (0, 1]: 0.5 doubles every request's CPU time. Default 1. */
  cpu?: number;
  /** Memory the pod reserves, MiB. Only cost uses it (a pod occupies max(cpu, GiB) instances). Default 1024. */
  memoryMiB?: number;
}

/** One version of a service's pods: what a rollout moves between. */
export interface PodTemplate {
  /** Version label (`v1`); part of pod names, so letters, digits, `.`, `_`, `-` only. */
  version: string;
  /** The service, as a node factory (runs again on every pod restart). */
  factory: NodeFactory;
  /** Worker slots per pod. Default: the world's node default. */
  workers?: number;
  /** CPU cores per pod, shared by processor sharing (see NodeOptions.cores). Default: not modelled. */
  cores?: number;
  /** Event-loop pods instead of thread-per-request (see NodeOptions.eventLoop). */
  eventLoop?: boolean | { maxInFlight?: number };
  /** Request queue per pod. Default: the world's node default. */
  queueCapacity?: number;
  /** Default outgoing call timeout per pod. */
  defaultTimeoutMs?: number;
  resources?: ResourceRequests;
  /** Warm-up after each start during which the pod is not ready (a number, or drawn per start). Default 0. */
  coldStartMs?: number | Distribution;
}

/** How a new version replaces the old. */
export type RolloutStrategy =
  | {
      kind: 'rolling';
      /** Pods above `replicas` allowed during the rollout: a count or `'25%'` (rounded up). Default 25%. */
      maxSurge?: number | string;
      /** Ready pods below `replicas` allowed: a count or `'25%'` (rounded down). Default 25%. */
      maxUnavailable?: number | string;
    }
  | { kind: 'recreate' };

/** A Deployment, as a scenario declares it. */
export interface DeploymentSpec {
  /** Deployment name; pods are named `<name>-<version>-<n>`. */
  name: string;
  /** The service name in discovery and the pods' `service` label. Default: `name`. */
  service?: string;
  replicas: number;
  template: PodTemplate;
  /** Default: rolling, 25% surge, 25% unavailable. */
  strategy?: RolloutStrategy;
  readiness?: ProbeOptions;
  liveness?: ProbeOptions;
  restartBackoff?: BackoffOptions;
  /**
   * A pod leaving (scale-in, rollout) is first taken out of discovery, then stopped this much
   * later, so callers' cached views stop sending to it before it goes (a preStop drain). Default 2000 ms.
   */
  terminationGraceMs?: number;
  /** Error-rate analysis of a new version during and after its rollout; false turns it off. Default on. */
  analysis?: AnalysisOptions | false;
}

/** A pod template with defaults filled. */
export interface ResolvedTemplate {
  version: string;
  factory: NodeFactory;
  workers: number | undefined;
  cores: number | undefined;
  eventLoop: boolean | { maxInFlight?: number } | undefined;
  queueCapacity: number | undefined;
  defaultTimeoutMs: number | undefined;
  cpu: number;
  memoryMiB: number;
  coldStartMs: number | Distribution;
}

/** A deployment spec with defaults filled. */
export interface ResolvedDeploymentSpec {
  name: string;
  service: string;
  replicas: number;
  template: ResolvedTemplate;
  strategy: RolloutStrategy;
  readiness: ResolvedProbe;
  liveness: ResolvedProbe;
  restartBackoff: ResolvedBackoff;
  terminationGraceMs: number;
  analysis: ResolvedAnalysis | undefined;
}

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Fills a deployment's defaults and validates it; throws ConfigError naming the field and the fix. */
export function resolveDeployment(spec: DeploymentSpec): ResolvedDeploymentSpec {
  if (!spec || typeof spec.name !== 'string' || !NAME_PATTERN.test(spec.name)) {
    throw new ConfigError(`deployment name '${spec?.name}' is invalid: use letters, digits, '.', '_' and '-' only`);
  }
  const where = `deployment ${spec.name}`;
  checkReplicas(spec.replicas, where);
  const strategy = spec.strategy ?? { kind: 'rolling' };
  if (strategy.kind !== 'rolling' && strategy.kind !== 'recreate') {
    throw new ConfigError(`${where}: strategy kind must be 'rolling' or 'recreate'`);
  }
  if (strategy.kind === 'rolling') rollingLimits(strategy, Math.max(1, spec.replicas), where);
  const terminationGraceMs = spec.terminationGraceMs ?? 2000;
  if (!(terminationGraceMs >= 0 && Number.isFinite(terminationGraceMs))) {
    throw new ConfigError(`${where}: terminationGraceMs is ${terminationGraceMs}; use a finite number of ms >= 0`);
  }
  return {
    name: spec.name,
    service: spec.service ?? spec.name,
    replicas: spec.replicas,
    template: resolveTemplate(spec.template, where),
    strategy,
    readiness: resolveProbe(spec.readiness, READINESS_DEFAULTS, `${where} readiness probe`),
    liveness: resolveProbe(spec.liveness, LIVENESS_DEFAULTS, `${where} liveness probe`),
    restartBackoff: resolveBackoff(spec.restartBackoff, `${where} restart back-off`),
    terminationGraceMs,
    analysis: spec.analysis === false ? undefined : resolveAnalysis(spec.analysis ?? {}, `${where} analysis`),
  };
}

/** Fills a pod template's defaults and validates it. */
export function resolveTemplate(template: PodTemplate, where: string): ResolvedTemplate {
  if (!template || typeof template.factory !== 'function') throw new ConfigError(`${where}: the pod template needs a factory (a node factory)`);
  if (typeof template.version !== 'string' || !NAME_PATTERN.test(template.version)) {
    throw new ConfigError(`${where}: template version '${template.version}' is invalid: use letters, digits, '.', '_' and '-' only`);
  }
  const cpu = template.resources?.cpu ?? 1;
  if (!(cpu > 0 && cpu <= 1)) throw new ConfigError(`${where}: resources.cpu is ${cpu}; use a share in (0, 1] (more CPU = more workers)`);
  const memoryMiB = template.resources?.memoryMiB ?? 1024;
  if (!(memoryMiB > 0 && Number.isFinite(memoryMiB))) throw new ConfigError(`${where}: resources.memoryMiB is ${memoryMiB}; use a finite number > 0`);
  const coldStartMs = template.coldStartMs ?? 0;
  if (typeof coldStartMs === 'number') {
    if (!(coldStartMs >= 0 && Number.isFinite(coldStartMs))) throw new ConfigError(`${where}: coldStartMs is ${coldStartMs}; use a finite number of ms >= 0`);
  } else {
    validateDistribution(coldStartMs, `${where} coldStartMs`);
  }
  return {
    version: template.version,
    factory: template.factory,
    workers: template.workers,
    cores: template.cores,
    eventLoop: template.eventLoop,
    queueCapacity: template.queueCapacity,
    defaultTimeoutMs: template.defaultTimeoutMs,
    cpu,
    memoryMiB,
    coldStartMs,
  };
}

/** Throws ConfigError unless `replicas` is a whole number >= 0. */
export function checkReplicas(replicas: number, where: string): void {
  if (!Number.isInteger(replicas) || replicas < 0) throw new ConfigError(`${where}: replicas is ${replicas}; use a whole number >= 0`);
}

/** Surge and unavailability of a rolling update, as pod counts for `replicas`. */
export interface RollingLimits {
  maxSurge: number;
  maxUnavailable: number;
}

/**
 * Resolves maxSurge/maxUnavailable for a replica count: percentages round surge up and
 * unavailability down, as Kubernetes does; when both come to 0, one pod may be unavailable.
 */
export function rollingLimits(strategy: Extract<RolloutStrategy, { kind: 'rolling' }>, replicas: number, where = 'rolling strategy'): RollingLimits {
  const maxSurge = limitCount(strategy.maxSurge ?? '25%', replicas, Math.ceil, `${where}: maxSurge`);
  const maxUnavailable = limitCount(strategy.maxUnavailable ?? '25%', replicas, Math.floor, `${where}: maxUnavailable`);
  if (maxSurge === 0 && maxUnavailable === 0) {
    if (typeof strategy.maxSurge === 'number' && typeof strategy.maxUnavailable === 'number') {
      throw new ConfigError(`${where}: maxSurge and maxUnavailable are both 0, so no pod could ever be replaced; allow at least one of them`);
    }
    return { maxSurge: 0, maxUnavailable: 1 };
  }
  return { maxSurge, maxUnavailable };
}

function limitCount(value: number | string, replicas: number, round: (value: number) => number, where: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${where} is ${value}; use a whole number >= 0 or a percentage like '25%'`);
    return value;
  }
  const match = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (!match) throw new ConfigError(`${where} is '${value}'; use a whole number >= 0 or a percentage like '25%'`);
  return round((Number(match[1]) / 100) * replicas);
}

/**
 * How many standard instances (1 CPU, 1 GiB) a pod of this template occupies: its dominant
 * resource, max(cpu, GiB). Cost in sized instance-seconds is uptime times this.
 */
export function instanceUnits(template: ResolvedTemplate): number {
  return Math.max(template.cpu, template.memoryMiB / 1024);
}
