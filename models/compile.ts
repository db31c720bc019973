// Compiles a validated model into what a TypeScript scenario file would write by hand: the nodes
// (registry, gateway, services, databases, broker) with their patterns, the workload, the faults
// and the checks, one variant per overlay.
import { ConfigError, scenario, type World, type NodeFactory, type Rng, type RequestSpec, type WorkloadSpec, type ScheduledFault, type Fault, type LinkOptions, type Scenario, type VariantDefinition, type NodeContext, type NodeOptions } from '../sim/index.ts';
import { registryNode } from '../services/routing/discovery.ts';
import { brokerNode } from '../services/messaging/broker.ts';
import { gateway, GATEWAY_METHOD, type HttpMethod } from '../services/routing/gateway.ts';
import type { CircuitBreaker } from '../services/resilience/breaker.ts';
import { buildPolicy } from './policies.ts';
import {
  BROKER_NODE, GATEWAY_NODE, QUERY_METHOD, REGISTRY_NODE,
  databaseNodeName, modelUsesBus, serviceNode, serviceNodeNames, toDistribution,
} from './service-node.ts';
import { modelChecks, type ModelSystem } from './checks.ts';
import { profileRate, type RatePoint } from './rate-profile.ts';
import { nearestKey } from './nearest.ts';
import type { CallPolicyModel, FaultModel, ServiceModel, SystemModel } from './schema.ts';

/** One variant to compile: its name and its model (the base with the variant's overlay applied). */
export interface ModelVariant {
  name: string;
  description: string;
  model: SystemModel;
}

/**
 * The scenario of a model: every variant shares the base model's workload, run length, network
 * and checks; each has its own architecture and faults. `rateProfile` is the resolved profile (a
 * CSV already read), if any; `file` names the model in errors.
 */
export function compileScenario(base: SystemModel, variants: ModelVariant[], rateProfile: RatePoint[] | undefined, file = base.name): Scenario<ModelSystem> {
  return scenario<ModelSystem>({
    name: base.name,
    description: base.description ?? `model ${base.name}`,
    durationMs: base.durationMs,
    ...(base.quiesceMs !== undefined ? { quiesceMs: base.quiesceMs } : {}),
    ...(base.network ? { network: compileLink(base.network) } : {}),
    workload: compileWorkload(base, rateProfile),
    variants: variants.map((variant): VariantDefinition<ModelSystem> => ({
      name: variant.name,
      description: variant.description,
      build: (world) => buildSystem(world, variant.model),
      faults: compileFaults(variant.model, `${file}: variant ${variant.name}`),
    })),
    checks: modelChecks(base.checks ?? []),
  });
}

function compileLink(link: NonNullable<SystemModel['network']>): LinkOptions {
  const { latencyMs, jitterMs, ...rest } = link;
  return {
    ...rest,
    ...(latencyMs !== undefined ? { latencyMs: toDistribution(latencyMs) } : {}),
    ...(jitterMs !== undefined ? { jitterMs: toDistribution(jitterMs) } : {}),
  };
}

/** Adds every node of the model to the world and returns the system handle. */
export function buildSystem(world: World, model: SystemModel): ModelSystem {
  const breakers: CircuitBreaker[] = [];
  let breakerOpenings = 0;
  const onBreaker = (breaker: CircuitBreaker): void => {
    breakers.push(breaker);
    breaker.onStateChange((change) => {
      if (change.to === 'open') breakerOpenings++;
    });
  };
  world.addNode(REGISTRY_NODE, registryNode({ ttlMs: 3000 }), { workers: 64, queueCapacity: 1000 });
  if (modelUsesBus(model)) {
    world.addNode(BROKER_NODE, brokerNode({ ...(model.broker ?? {}) }), { workers: 64, queueCapacity: 1000 });
  }
  for (const [name, service] of Object.entries(model.services)) {
    const factory = serviceNode(model, name, onBreaker);
    for (const node of serviceNodeNames(name, service.replicas ?? 1)) {
      world.addNode(node, factory, { ...serviceConcurrency(service), queueCapacity: service.queueCapacity ?? 64, labels: { service: name } });
    }
    if (service.database) {
      const queryMs = toDistribution(service.database.queryMs);
      const database: NodeFactory = () => ({ handlers: { [QUERY_METHOD]: { serviceTimeMs: queryMs, handle: () => null } } });
      world.addNode(databaseNodeName(name), database, { workers: service.database.connections ?? 8, queueCapacity: service.database.queueCapacity ?? 64, labels: { service: name } });
    }
  }
  if (model.gateway) world.addNode(GATEWAY_NODE, gatewayNode(model, onBreaker), { workers: model.gateway.workers ?? 512, queueCapacity: model.gateway.queueCapacity ?? 4000 });
  const firstCall = model.workload.mix.find((endpoint) => endpoint.call !== undefined)?.call;
  const firstService = firstCall?.slice(0, firstCall.indexOf('.'));
  return {
    entry: model.gateway || firstService === undefined ? GATEWAY_NODE : serviceNodeNames(firstService, model.services[firstService]!.replicas ?? 1)[0]!,
    metrics: () => ({
      breakerOpenings,
      breakerRejections: breakers.reduce((sum, breaker) => sum + breaker.stats().rejected, 0),
      shedRequests: world.allNodes().reduce((sum, node) => sum + node.stats.shed, 0),
    }),
  };
}

/** A replica's node options for CPU and concurrency: threads (or `workers`) or an event loop, on `cores` when given. */
export function serviceConcurrency(service: ServiceModel): Pick<NodeOptions, 'workers' | 'eventLoop' | 'cores'> {
  const cores = service.cores !== undefined ? { cores: service.cores } : {};
  const eventLoop = service.concurrency?.eventLoop;
  if (eventLoop !== undefined) return { eventLoop: eventLoop === true ? true : { ...eventLoop }, ...cores };
  return { workers: service.concurrency?.threads ?? service.workers ?? 8, ...cores };
}

function gatewayNode(model: SystemModel, onBreaker: (breaker: CircuitBreaker) => void): NodeFactory {
  const spec = model.gateway!;
  return gateway({
    registry: REGISTRY_NODE,
    ...(spec.processingMs !== undefined ? { processingMs: spec.processingMs } : {}),
    routes: spec.routes.map((route) => {
      const dot = route.to.indexOf('.');
      const service = route.to.slice(0, dot);
      return {
        prefix: route.prefix,
        service,
        rpcMethod: route.to.slice(dot + 1),
        public: true,
        balancer: model.services[service]!.balancer ?? 'round-robin',
        ...(route.policy?.timeoutMs !== undefined ? { timeoutMs: route.policy.timeoutMs } : {}),
        ...(route.cacheTtlMs !== undefined ? { cacheTtlMs: route.cacheTtlMs } : {}),
        ...(hasPolicies(route.policy) ? { policy: (ctx: NodeContext) => buildPolicy(ctx, route.policy, service, onBreaker)! } : {}),
      };
    }),
  });
}

/** True when a policy spec sets more than the per-attempt timeout. */
function hasPolicies(spec: CallPolicyModel | undefined): boolean {
  return spec !== undefined && (spec.retry !== undefined || spec.breaker !== undefined || spec.bulkhead !== undefined || spec.fallback !== undefined);
}

/** The workload: weighted picks from the mix, each to the gateway or to a replica of a service. */
export function compileWorkload(model: SystemModel, rateProfile: RatePoint[] | undefined): WorkloadSpec {
  const workload = model.workload;
  const choices = workload.mix.map((endpoint) => {
    const weight = endpoint.weight ?? 1;
    if (endpoint.path !== undefined) {
      const method = (endpoint.method ?? 'GET') as HttpMethod;
      const spec: RequestSpec = { endpoint: endpoint.endpoint ?? `${method} ${endpoint.path}`, method: GATEWAY_METHOD, payload: { path: endpoint.path, method }, to: GATEWAY_NODE };
      return { weight, pick: (): RequestSpec => spec };
    }
    const call = endpoint.call!;
    const dot = call.indexOf('.');
    const nodes = serviceNodeNames(call.slice(0, dot), model.services[call.slice(0, dot)]!.replicas ?? 1);
    const name = endpoint.endpoint ?? call;
    const specs = nodes.map((node): RequestSpec => ({ endpoint: name, method: call.slice(dot + 1), payload: null, to: node }));
    return { weight, pick: (rng: Rng): RequestSpec => (specs.length === 1 ? specs[0]! : specs[rng.int(0, specs.length)]!) };
  });
  const totalWeight = choices.reduce((sum, choice) => sum + choice.weight, 0);
  const request = (rng: Rng): RequestSpec => {
    let draw = rng.next() * totalWeight;
    for (const choice of choices) {
      draw -= choice.weight;
      if (draw < 0) return choice.pick(rng);
    }
    return choices[choices.length - 1]!.pick(rng);
  };
  const common = {
    request,
    ...(workload.timeoutMs !== undefined ? { timeoutMs: workload.timeoutMs } : {}),
    ...(workload.maxRequests !== undefined ? { maxRequests: workload.maxRequests } : {}),
  };
  if ((workload.kind ?? 'open') === 'closed') {
    if (workload.clients === undefined) throw new ConfigError('workload.clients is missing: a closed workload needs clients (and thinkTimeMs)');
    return { kind: 'closed', clients: workload.clients, thinkTimeMs: toDistribution(workload.thinkTimeMs ?? 0), ...common };
  }
  const rates = [workload.ratePerSec, workload.rateProfile, workload.rateCsv].filter((value) => value !== undefined).length;
  if (rates !== 1) throw new ConfigError(`workload: an open workload needs exactly one of ratePerSec, rateProfile, rateCsv (got ${rates})`);
  return { kind: 'open', ratePerSec: rateProfile ? profileRate(rateProfile) : workload.ratePerSec!, ...common };
}

/** Every node a model's variant has, for fault targets. */
function nodeNames(model: SystemModel): string[] {
  const names = [REGISTRY_NODE];
  if (model.gateway) names.push(GATEWAY_NODE);
  if (modelUsesBus(model)) names.push(BROKER_NODE);
  for (const [name, service] of Object.entries(model.services)) {
    names.push(...serviceNodeNames(name, service.replicas ?? 1));
    if (service.database) names.push(databaseNodeName(name));
  }
  return names;
}

/** The faults of a variant, with a service name standing for every replica of it. */
export function compileFaults(model: SystemModel, where: string): ScheduledFault[] {
  const nodes = new Set(nodeNames(model));
  const expand = (name: string, at: string): string[] => {
    if (nodes.has(name) || name === '*') return [name];
    const service = model.services[name];
    if (service) return serviceNodeNames(name, service.replicas ?? 1);
    const near = nearestKey(name, [...nodes, ...Object.keys(model.services)]);
    throw new ConfigError(`${where}: ${at}: no node or service "${name}"${near ? ` (did you mean "${near}"?)` : ''}`);
  };
  const scheduled: ScheduledFault[] = [];
  (model.faults ?? []).forEach((entry, index) => {
    const at = `faults[${index}].fault`;
    const timing = { atMs: entry.atMs, ...(entry.durationMs !== undefined ? { durationMs: entry.durationMs } : {}) };
    for (const fault of expandFault(entry.fault, (name) => expand(name, at))) scheduled.push({ ...timing, fault });
  });
  return scheduled;
}

function expandFault(fault: FaultModel, expand: (name: string) => string[]): Fault[] {
  switch (fault.kind) {
    case 'partition':
      return [{ ...fault, from: fault.from.flatMap(expand), to: fault.to.flatMap(expand) }];
    case 'heal':
      return [fault];
    case 'link':
      return [{ ...fault, link: compileLink(fault.link) }];
    case 'hold':
    case 'release':
      return [fault];
    default:
      return expand(fault.node).map((node) => ({ ...fault, node }) as Fault);
  }
}
