// The shop as microservices, each service with its own database: a replicated service is a
// `<service>-db` database node plus stateless instances `<service>-1…`; a single-instance service
// is one node `<service>` with its database embedded on its disk. Either way its data survives
// instance crashes. Orders run as an orchestrated saga over RPC (sync, optionally under breaker +
// fallback + timeout + retry budget) or as a choreography over the event bus (async: accepted as
// PENDING, completed later).
import type { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import type { NodeFactory, ServiceDefinition } from '../../sim/world/node.ts';
import type { BuildEnv } from '../../sim/harness/scenario.ts';
import { ConfigError, isTransientRpcError } from '../../sim/engine/errors.ts';
import { DatabaseRegistry } from '../data/database.ts';
import { dbServerNode, nodeServiceLabels, openProcedureDatabase, remoteProcedures, type ProcedureDatabaseOptions, type ProcedureRunner, type Procedures } from '../data/db-node.ts';
import { registered } from '../routing/registration.ts';
import { DiscoveryClient } from '../routing/discovery-client.ts';
import { ServiceClient } from '../routing/client.ts';
import { brokerNode } from '../messaging/broker.ts';
import { busClient } from '../messaging/bus-client.ts';
import { circuitBreaker, CountWindowStrategy, isBrokenCircuitError } from '../resilience/breaker.ts';
import { fallback } from '../resilience/fallback.ts';
import { retry, RetryBudget } from '../resilience/retry.ts';
import { timeout } from '../resilience/timeout.ts';
import { wrap } from '../resilience/wrap.ts';
import type { Policy } from '../resilience/policy.ts';
import { SagaOrchestrator, SagaStepDeferred } from '../sagas/orchestrator.ts';
import { HTTP_METHODS, ordersHttp, productsHttp, usersHttp, type OrderPlacer } from './api.ts';
import { loaders, makeCatalogue, type ShopCatalogue } from './catalogue.ts';
import { productsProcedures, usersProcedures } from './catalogue-procedures.ts';
import { addGateway, addRegistry, REGISTRY, WARM_UP_DELAY_MS, withCpu } from './infra.ts';
import { inventoryProcedures } from './inventory.ts';
import { TABLES, type OrderReceipt, type StepAnswer } from './model.ts';
import { ShopMetrics } from './observer.ts';
import { resolveShopOptions, SHOP_SERVICES, type ResolvedShopOptions, type ShopOptions, type ShopService } from './options.ts';
import { ordersProcedures } from './orders.ts';
import { eventedProcedures, initiateOrderChoreography, joinOrderChoreography, ORDER_CHOREOGRAPHY, type ChoreographedStep } from './order-choreography.ts';
import { orderSaga, receiptFromOutcome, shopSagaLog, type StepService } from './order-saga.ts';
import { paymentsProcedures } from './payments.ts';
import { shippingProcedures } from './shipping.ts';
import { diskState, shopSystem, type ShopArchitecture, type ShopSystem, type TableLocation } from './system.ts';

/** The broker node of the async deployment. */
export const BROKER = 'broker';

/** The nodes running a service: `<service>` alone (embedded database), or `<service>-1…<service>-n`. */
export function serviceNodes(service: ShopService, count: number): string[] {
  if (count === 1) return [service];
  return Array.from({ length: count }, (_, index) => `${service}-${index + 1}`);
}

/** The node holding a service's database: `<service>-db` when replicated, else the service's one node. */
export function databaseNode(service: ShopService, count: number): string {
  return count === 1 ? service : `${service}-db`;
}

/** Which service's database holds each table. */
const TABLE_OWNERS: Record<string, ShopService> = {
  [TABLES.users]: 'users',
  [TABLES.products]: 'products',
  [TABLES.orders]: 'orders',
  [TABLES.payments]: 'payments',
  [TABLES.accounts]: 'payments',
  [TABLES.stock]: 'inventory',
  [TABLES.reservations]: 'inventory',
  [TABLES.shipments]: 'shipping',
};

const STEP_OF: Partial<Record<ShopService, ChoreographedStep>> = { payments: 'payment', inventory: 'inventory', shipping: 'shipping' };

/** Builds one microservices variant of the shop. */
export function buildMicroservices(world: World, env: BuildEnv, architecture: Exclude<ShopArchitecture, 'monolith'>, shopOptions: ShopOptions = {}): ShopSystem {
  const options = resolveShopOptions(shopOptions);
  const catalogue = makeCatalogue(env.rng.fork('catalogue'), options.catalogue);
  const observer = new ShopMetrics(() => world.nowMs);
  const registry = new DatabaseRegistry();
  const async = architecture === 'microservices-async';
  addRegistry(world);
  if (async) {
    world.addNode(
      BROKER,
      brokerNode({ partitionsPerTopic: 4, ackTimeoutMs: 1000, maxDeliveries: Infinity, redeliveryDelayMs: 100, sessionTimeoutMs: 2000, retentionMs: 5000 }),
      { workers: 256, queueCapacity: 4000 },
    );
  }
  const callerService = nodeServiceLabels(world);
  const procedures = serviceProcedures(observer, options, async);
  for (const service of SHOP_SERVICES) {
    const count = options.instances[service];
    const load = service in loaders ? loaders[service as keyof typeof loaders](catalogue) : undefined;
    const database: ProcedureDatabaseOptions = {
      registry,
      database: service,
      procedures: procedures[service],
      databaseOptions: options.databaseOptions,
      ...(load ? { initialize: load } : {}),
      ...(async && service !== 'users' && service !== 'products' ? { outboxBroker: BROKER } : {}),
    };
    let runnerOf: (ctx: NodeContext) => { runner: ProcedureRunner; callCostMs: number };
    if (count === 1) {
      // Embedded: the query cost is paid by the service's own handler, with its module CPU.
      runnerOf = (ctx) => ({ runner: openProcedureDatabase(ctx, database).runner, callCostMs: options.queryMs });
    } else {
      world.addNode(databaseNode(service, count), dbServerNode({ ...database, service, callOverheadMs: options.queryMs, callerService }), {
        labels: { service },
        workers: 64,
        queueCapacity: 2000,
      });
      runnerOf = (ctx) => ({ runner: remoteProcedures(ctx, databaseNode(service, count), { timeoutMs: options.dbTimeoutMs }), callCostMs: 0 });
    }
    const factory = instanceFactory(service, architecture, catalogue, options, runnerOf);
    for (const name of serviceNodes(service, count)) {
      world.addNode(name, registered({ registry: REGISTRY, service }, factory), { labels: { service }, workers: options.workers, queueCapacity: 500 });
    }
  }
  addGateway(world, catalogue, (module) => module, options);
  const locate = (table: string): TableLocation => {
    const service = TABLE_OWNERS[table];
    if (service === undefined) throw new ConfigError(`shop table '${table}' has no owning service`);
    return { node: databaseNode(service, options.instances[service]), database: service };
  };
  return shopSystem(world, architecture, catalogue, diskState(world, locate), observer);
}

/** Each service's database procedures; the async deployment adds the evented (outbox) ones. */
function serviceProcedures(observer: ShopMetrics, options: ResolvedShopOptions, async: boolean): Record<ShopService, Procedures> {
  const topics = { created: ORDER_CHOREOGRAPHY.started, expired: ORDER_CHOREOGRAPHY.aborted! };
  const procedures: Record<ShopService, Procedures> = {
    users: usersProcedures(),
    products: productsProcedures(),
    orders: ordersProcedures(observer, topics),
    payments: paymentsProcedures(observer, options.payments),
    inventory: inventoryProcedures(observer),
    shipping: shippingProcedures(observer),
  };
  if (async) {
    procedures.payments = eventedProcedures('payment', procedures.payments);
    procedures.inventory = eventedProcedures('inventory', procedures.inventory);
    procedures.shipping = eventedProcedures('shipping', procedures.shipping);
  }
  return procedures;
}

/** The node factory of one service's instances; `runnerOf` opens (embedded) or reaches (remote) its database. */
function instanceFactory(
  service: ShopService,
  architecture: Exclude<ShopArchitecture, 'monolith'>,
  catalogue: ShopCatalogue,
  options: ResolvedShopOptions,
  runnerOf: (ctx: NodeContext) => { runner: ProcedureRunner; callCostMs: number },
): NodeFactory {
  return (ctx) => {
    const { runner, callCostMs } = runnerOf(ctx);
    // One CPU charge per request: the module's work plus, when embedded, the query.
    const cpu = options.moduleCpuMs + callCostMs;
    switch (service) {
      case 'users':
        return { handlers: { [HTTP_METHODS.users]: withCpu(cpu, usersHttp(runner)) } };
      case 'products':
        return { handlers: { [HTTP_METHODS.products]: withCpu(cpu, productsHttp(runner)) } };
      case 'orders':
        return architecture === 'microservices-async' ? asyncOrders(ctx, runner, catalogue, options, cpu) : syncOrders(ctx, runner, catalogue, options, cpu, architecture === 'microservices-sync+breaker');
      default:
        return architecture === 'microservices-async' ? asyncStep(ctx, runner, STEP_OF[service]!, options, cpu) : syncStep(service, runner, cpu);
    }
  };
}

/** RPC methods of the step services, and the procedure each runs. */
const STEP_METHODS: Record<StepService, Record<string, string>> = {
  payments: { charge: 'payments.charge', refund: 'payments.refund' },
  inventory: { reserve: 'inventory.reserve', release: 'inventory.release' },
  shipping: { schedule: 'shipping.schedule', cancel: 'shipping.cancel' },
};

/** A step service answering the orchestrator's RPCs. */
function syncStep(service: ShopService, runner: ProcedureRunner, cpuMs: number): ServiceDefinition {
  const handlers: ServiceDefinition['handlers'] = {};
  for (const [method, procedure] of Object.entries(STEP_METHODS[service as StepService])) {
    handlers[method] = withCpu(cpuMs, (args: unknown, request) => runner.run(procedure, args, { parent: request }));
  }
  return { handlers };
}

/** A step service reacting to the choreography's events. */
function asyncStep(ctx: NodeContext, runner: ProcedureRunner, step: ChoreographedStep, options: ResolvedShopOptions, cpuMs: number): ServiceDefinition {
  const bus = busClient(ctx, { broker: BROKER, heartbeatIntervalMs: 500 });
  const charged = cpuCharged(ctx, runner, cpuMs);
  return {
    handlers: { ...bus.handlers },
    onStart: () => joinOrderChoreography(ctx, bus, charged, step, options.stepTimeoutMs),
  };
}

/** The orders service as the saga's orchestrator: POST /orders waits for the saga (or its parking). */
function syncOrders(ctx: NodeContext, runner: ProcedureRunner, catalogue: ShopCatalogue, options: ResolvedShopOptions, cpuMs: number, withBreaker: boolean): ServiceDefinition {
  const discovery = new DiscoveryClient(ctx, { registry: REGISTRY, refreshMs: 1000 });
  const clients = new Map<StepService, ServiceClient>();
  for (const service of ['payments', 'inventory', 'shipping'] as const) {
    clients.set(service, new ServiceClient(ctx, { service, discovery, ...(withBreaker ? { policy: breakerPolicy(ctx, service, options) } : {}) }));
  }
  const orchestrator = new SagaOrchestrator(
    ctx,
    orderSaga((service, method, args, deadlineMs) => clients.get(service)!.call<StepAnswer<string>>(method, args, { deadlineMs })),
    shopSagaLog(runner, options.dbTimeoutMs),
    { stepTimeoutMs: options.stepTimeoutMs, sagaTimeoutMs: options.sagaTimeoutMs, recoveryIntervalMs: 1000, deferDelayMs: 250, maxRetryDelayMs: 2000 },
  );
  const place: OrderPlacer = async (details) => receiptFromOutcome(await orchestrator.start(details.orderId, details));
  return {
    handlers: { [HTTP_METHODS.orders]: withCpu(cpuMs, ordersHttp(runner, catalogue, place)) },
    onStart: () => {
      orchestrator.startRecovery();
      ctx.setTimer(WARM_UP_DELAY_MS, () => {
        for (const service of clients.keys()) void discovery.resolve(service);
      });
    },
  };
}

/**
 * Calls to a step service under `fallback(retry(breaker(timeout)))`: each attempt has its own
 * timeout; the breaker opens on a failure or slow-call rate over the last 20 calls; transient
 * failures are retried once within a shared budget; and an open circuit falls back to parking the
 * saga step (SagaStepDeferred) — the order is answered PENDING and completes once the service is back.
 */
function breakerPolicy(ctx: NodeContext, service: StepService, options: ResolvedShopOptions): Policy {
  const attemptMs = options.breakerAttemptTimeoutMs;
  return wrap(
    fallback(ctx, {
      shouldHandle: isBrokenCircuitError,
      failWith: () => new SagaStepDeferred(`${service} circuit open`),
    }),
    retry(ctx, {
      maxAttempts: 2,
      baseDelayMs: 20,
      maxDelayMs: 100,
      budget: new RetryBudget({ budgetRatio: 0.1, minRetriesPerSec: 5 }),
      isRetryable: (error) => isTransientRpcError(error) && !isBrokenCircuitError(error),
    }),
    circuitBreaker(ctx, {
      strategy: new CountWindowStrategy({ windowSize: 20, minimumCalls: 10, failureRateThreshold: 0.5, slowCallRateThreshold: 0.5 }),
      slowCallDurationMs: attemptMs / 2,
      openDurationMs: 1000,
      halfOpenProbes: 2,
      peer: service,
    }),
    timeout(ctx, { timeoutMs: attemptMs }),
  );
}

/** The orders service as the choreography's initiator: POST /orders answers PENDING at once. */
function asyncOrders(ctx: NodeContext, runner: ProcedureRunner, catalogue: ShopCatalogue, options: ResolvedShopOptions, cpuMs: number): ServiceDefinition {
  const bus = busClient(ctx, { broker: BROKER, heartbeatIntervalMs: 500 });
  const place: OrderPlacer = (details, request) => runner.run<OrderReceipt>('orders.place', { order: details }, { parent: request });
  const charged = cpuCharged(ctx, runner, cpuMs);
  // Orders past their deadline are aborted: the choreography compensates them from the last step.
  const sweepMs = Math.min(1000, options.sagaTimeoutMs / 4);
  const sweep = (): void => {
    ctx.spawn(async () => {
      await runner.run('orders.expire', { maxAgeMs: options.sagaTimeoutMs }).catch(() => undefined);
    });
    ctx.setTimer(sweepMs, sweep, { daemon: true });
  };
  return {
    handlers: { [HTTP_METHODS.orders]: withCpu(cpuMs, ordersHttp(runner, catalogue, place)), ...bus.handlers },
    onStart: () => {
      initiateOrderChoreography(ctx, bus, charged, options.stepTimeoutMs);
      ctx.setTimer(sweepMs, sweep, { daemon: true });
    },
  };
}

/** A runner that spends the module's CPU before each procedure call (event handling costs CPU too). */
function cpuCharged(ctx: NodeContext, runner: ProcedureRunner, cpuMs: number): ProcedureRunner {
  if (cpuMs <= 0) return runner;
  return {
    run: async (name, args, callOptions) => {
      await ctx.cpu(cpuMs);
      return runner.run(name, args, callOptions);
    },
  };
}
