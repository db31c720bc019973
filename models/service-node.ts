// A modelled service as a node factory: it registers with the registry, calls its dependencies
// through discovery, a balancer and its policies, publishes on the bus, queries its own database,
// and runs each operation as CPU time followed by its steps (sequential, parallel, by chance).
import { RpcError, type NodeContext, type NodeFactory, type Request, type ServiceDefinition, type Distribution } from '../sim/index.ts';
import { registered } from '../services/routing/registration.ts';
import { DiscoveryClient } from '../services/routing/discovery-client.ts';
import { ServiceClient } from '../services/routing/client.ts';
import { busClient, type BusClient } from '../services/messaging/bus-client.ts';
import { buildPolicy, type BreakerObserver } from './policies.ts';
import type { DistributionModel, OperationModel, StepInput, SystemModel } from './schema.ts';

/** Node names the compiler gives to shared infrastructure. */
export const REGISTRY_NODE = 'registry';
export const BROKER_NODE = 'broker';
export const GATEWAY_NODE = 'gateway';
/** The database node's RPC method. */
export const QUERY_METHOD = 'query';
/** Discovery is warmed this long after a start, once the instances' registrations have landed. */
const WARM_UP_DELAY_MS = 10;

/** A model distribution as the engine's: a plain number is a constant. */
export function toDistribution(value: DistributionModel): Distribution {
  return typeof value === 'number' ? { kind: 'constant', value } : (value as Distribution);
}

/** The nodes of a service: `<service>` alone, or `<service>-1…<service>-n`. */
export function serviceNodeNames(service: string, replicas: number): string[] {
  return replicas === 1 ? [service] : Array.from({ length: replicas }, (_, index) => `${service}-${index + 1}`);
}

/** The node of a service's database. */
export function databaseNodeName(service: string): string {
  return `${service}-db`;
}

/** What one running instance needs to run operations. */
interface Instance {
  ctx: NodeContext;
  service: string;
  operations: Map<string, CompiledOperation>;
  client(service: string): ServiceClient;
  bus: BusClient | undefined;
}

/** An operation with its distributions resolved once. */
interface CompiledOperation {
  name: string;
  cpuMs: Distribution;
  steps: CompiledStep[];
  errorRate: number;
}

type CompiledStep = { probability: number } & (
  | { kind: 'call'; service: string; operation: string }
  | { kind: 'publish'; topic: string }
  | { kind: 'parallel'; steps: CompiledStep[] }
  | { kind: 'queries'; count: number }
  | { kind: 'cpu'; cpuMs: Distribution }
);

function compileStep(step: StepInput): CompiledStep {
  const probability = step.probability ?? 1;
  if (step.call !== undefined) {
    const dot = step.call.indexOf('.');
    return { probability, kind: 'call', service: step.call.slice(0, dot), operation: step.call.slice(dot + 1) };
  }
  if (step.publish !== undefined) return { probability, kind: 'publish', topic: step.publish };
  if (step.parallel !== undefined) return { probability, kind: 'parallel', steps: step.parallel.map(compileStep) };
  if (step.queries !== undefined) return { probability, kind: 'queries', count: step.queries };
  return { probability, kind: 'cpu', cpuMs: toDistribution(step.cpuMs!) };
}

function compileOperation(name: string, operation: OperationModel): CompiledOperation {
  return { name, cpuMs: toDistribution(operation.cpuMs), steps: (operation.steps ?? []).map(compileStep), errorRate: operation.errorRate ?? 0 };
}

/** The factory of one instance of `serviceName` (every replica shares it). */
export function serviceNode(model: SystemModel, serviceName: string, onBreaker?: BreakerObserver): NodeFactory {
  const spec = model.services[serviceName]!;
  const operations = new Map(Object.entries(spec.operations).map(([name, operation]) => [name, compileOperation(name, operation)]));
  const usesBus = modelUsesBus(model);
  const dependencies = new Set<string>();
  for (const operation of operations.values()) collectCalls(operation.steps, dependencies);
  return registered({ registry: REGISTRY_NODE, service: serviceName }, (ctx): ServiceDefinition => {
    const discovery = new DiscoveryClient(ctx, { registry: REGISTRY_NODE });
    const clients = new Map<string, ServiceClient>();
    const client = (service: string): ServiceClient => {
      let made = clients.get(service);
      if (made === undefined) {
        const policy = spec.calls?.[service];
        made = new ServiceClient(ctx, {
          service,
          discovery,
          balancer: model.services[service]?.balancer ?? 'round-robin',
          policy: buildPolicy(ctx, policy, service, onBreaker),
          timeoutMs: policy?.timeoutMs,
        });
        clients.set(service, made);
      }
      return made;
    };
    // Clients are made now, not on first use: their breakers exist (and are counted) from the start.
    for (const service of dependencies) client(service);
    const bus = usesBus ? busClient(ctx, { broker: BROKER_NODE }) : undefined;
    const instance: Instance = { ctx, service: serviceName, operations, client, bus };
    const handlers: ServiceDefinition['handlers'] = { ...(bus?.handlers ?? {}) };
    for (const operation of operations.values()) {
      handlers[operation.name] = (_payload: unknown, request: Request) => runOperation(instance, operation, request);
    }
    return {
      handlers,
      onStart() {
        ctx.setTimer(WARM_UP_DELAY_MS, () => {
          for (const service of dependencies) void discovery.resolve(service).then(undefined, () => undefined);
        });
        for (const [topic, operation] of Object.entries(spec.subscribes ?? {})) {
          bus!.subscribe(topic, { group: serviceName }, async () => {
            await runOperation(instance, operations.get(operation)!, undefined);
          });
        }
      },
    };
  });
}

/** True when some operation publishes or some service subscribes: the model needs a broker. */
export function modelUsesBus(model: SystemModel): boolean {
  const publishes = (steps: readonly StepInput[]): boolean => steps.some((step) => step.publish !== undefined || (step.parallel !== undefined && publishes(step.parallel)));
  return Object.values(model.services).some((service) => Object.keys(service.subscribes ?? {}).length > 0 || Object.values(service.operations).some((operation) => publishes(operation.steps ?? [])));
}

function collectCalls(steps: readonly CompiledStep[], into: Set<string>): void {
  for (const step of steps) {
    if (step.kind === 'call') into.add(step.service);
    if (step.kind === 'parallel') collectCalls(step.steps, into);
  }
}

/** CPU first, then the steps in order; an own error at the end with probability `errorRate`. */
async function runOperation(instance: Instance, operation: CompiledOperation, request: Request | undefined): Promise<null> {
  const { ctx } = instance;
  await ctx.cpu(ctx.rng.sample(operation.cpuMs));
  for (const step of operation.steps) await runStep(instance, step, request);
  if (operation.errorRate > 0 && ctx.rng.chance(operation.errorRate)) {
    throw new RpcError('application', `${instance.service}.${operation.name} failed (its errorRate)`, ctx.name);
  }
  return null;
}

async function runStep(instance: Instance, step: CompiledStep, request: Request | undefined): Promise<void> {
  const { ctx } = instance;
  if (step.probability < 1 && !ctx.rng.chance(step.probability)) return;
  switch (step.kind) {
    case 'call':
      await instance.client(step.service).call(step.operation, null, request ? { parent: request } : {});
      return;
    case 'parallel':
      await Promise.all(step.steps.map((inner) => runStep(instance, inner, request)));
      return;
    case 'queries':
      for (let query = 0; query < step.count; query++) {
        const to = databaseNodeName(instance.service);
        await (request ? request.call(to, QUERY_METHOD, null) : ctx.call(to, QUERY_METHOD, null));
      }
      return;
    case 'publish':
      await instance.bus!.publish(step.topic, request?.spanId ?? ctx.name, null, request ? { traceId: request.traceId } : {});
      return;
    case 'cpu':
      await ctx.cpu(ctx.rng.sample(step.cpuMs));
      return;
  }
}
