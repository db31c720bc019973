// A retry storm: frontend → api (3 instances) → dep, and dep turns 20× slower for 3 s. Retries at
// each layer multiply, dep's deep queue serves only calls whose callers already gave up, and the
// storm keeps it there after the fault ends: a metastable failure. Then its containment.
//
// What to look at: `amplificationInFault` (dep calls per page during the fault: up to 3 × 4 = 12),
// `depBacklogAtFaultEnd` and `depWastedQueries` (the queue the storm built, the work done for
// callers that had gone), `apiInFlightPeak` (api workers all stuck: 96 of them), `timeToRecoverMs`
// and `recovered` (full pages again once dep is fast?), availability. `naive-retries` never
// recovers while traffic lasts; `retry-budget` keeps the amplification near 1 and recovers soon
// after the fault, but fails pages during it; `breaker+budget` stops calling dep (the timeline
// shows `breaker.state` changes), serves degraded pages meanwhile (`degradedAnswers`) and full
// pages again within one open duration (500 ms) of the fault's end.
import { scenario, always, eventually, sometimes, slow } from '../sim/index.ts';
import type { NodeContext, NodeFactory, Request, World, SystemHandle } from '../sim/index.ts';
import { isTransientRpcError } from '../sim/index.ts';
import { registryNode } from '../services/routing/discovery.ts';
import { microservice } from '../services/routing/microservice.ts';
import { retry, RetryBudget } from '../services/resilience/retry.ts';
import { CircuitBreaker, ConsecutiveFailureStrategy, isBrokenCircuitError } from '../services/resilience/breaker.ts';
import { timeout } from '../services/resilience/timeout.ts';
import { fallback } from '../services/resilience/fallback.ts';
import { bulkhead, type BulkheadPolicy } from '../services/resilience/bulkhead.ts';
import { wrap } from '../services/resilience/wrap.ts';
import type { Policy } from '../services/resilience/policy.ts';
import { RecoveryMeter } from './lib/recovery.ts';

/** When dep turns slow, for how long, and how much. */
const FAULT_AT_MS = 4_000;
const FAULT_DURATION_MS = 3_000;
const FAULT_END_MS = FAULT_AT_MS + FAULT_DURATION_MS;
const SLOW_FACTOR = 20;
const DURATION_MS = 12_000;
/** Pages per virtual second, from 1 s on (the first second lets instances register). */
const PAGES_PER_SEC = 150;
const CLIENT_TIMEOUT_MS = 1_000;
/** Per-attempt timeouts: frontend → api, api → dep. */
const API_ATTEMPT_TIMEOUT_MS = 300;
const DEP_ATTEMPT_TIMEOUT_MS = 100;
/** Attempts at each layer (the first included): a page may cost up to 3 × 4 dep calls. */
const FRONTEND_ATTEMPTS = 3;
const API_ATTEMPTS = 4;
/** Fixed short pause between attempts, the same in every variant. */
const RETRY_DELAY_MS = 5;
const API_INSTANCES = ['api-1', 'api-2', 'api-3'];
/** Recovery: every 250 ms bucket after the fault serves at least 95% full pages. */
const RECOVERY_BUCKET_MS = 250;
const RECOVERY_THRESHOLD = 0.95;

/** What the frontend answers: a page built from dep's item, or a degraded one without it. */
interface Page {
  item: number;
  degraded: boolean;
}

/** Counters kept outside the nodes, read by `metrics()` and the checks. */
class StormMeter {
  pages = 0;
  fullPages = 0;
  degradedPages = 0;
  dependencyCalls = 0;
  dependencyCallsInFault = 0;
  pagesInFault = 0;
  breakerOpenings = 0;
  backlogAtFaultEnd = 0;
  /** Queries dep finished after their caller had stopped waiting: work thrown away. */
  wastedQueries = 0;
  /** Most pages the api instances held at once (in workers and queues; 96 workers in all). */
  apiInFlightPeak = 0;
  /** dep's connection pool (rebuilt if dep restarts). */
  pool: BulkheadPolicy | undefined;
  readonly recovery = new RecoveryMeter(RECOVERY_BUCKET_MS);
}

/** The system a variant builds, as checks and metrics see it. */
interface StormSystem extends SystemHandle {
  meter: StormMeter;
}

/** How a variant protects each hop: the policy each caller runs its calls under. */
interface Resilience {
  frontendToApi(ctx: NodeContext): Policy;
  apiToDep(ctx: NodeContext, meter: StormMeter): Policy;
}

const inFault = (nowMs: number): boolean => nowMs >= FAULT_AT_MS && nowMs < FAULT_END_MS;

/** Short fixed-delay retries: what a naive client library does. */
function shortRetries(ctx: NodeContext, maxAttempts: number, budget?: RetryBudget, isRetryable = isTransientRpcError): Policy {
  return retry(ctx, { maxAttempts, baseDelayMs: RETRY_DELAY_MS, multiplier: 1, jitter: 'none', isRetryable, ...(budget ? { budget } : {}) });
}

/** A budget per calling node: retries may add 20% to its calls, plus 5 per second. */
const nodeBudget = (): RetryBudget => new RetryBudget({ budgetRatio: 0.2, minRetriesPerSec: 5, windowMs: 2_000 });

const NAIVE: Resilience = {
  frontendToApi: (ctx) => shortRetries(ctx, FRONTEND_ATTEMPTS),
  apiToDep: (ctx) => shortRetries(ctx, API_ATTEMPTS),
};

const BUDGETED: Resilience = {
  frontendToApi: (ctx) => shortRetries(ctx, FRONTEND_ATTEMPTS, nodeBudget()),
  apiToDep: (ctx) => shortRetries(ctx, API_ATTEMPTS, nodeBudget()),
};

const BREAKER_AND_BUDGET: Resilience = {
  frontendToApi: (ctx) => shortRetries(ctx, FRONTEND_ATTEMPTS, nodeBudget()),
  apiToDep: (ctx, meter) => {
    const breaker = new CircuitBreaker(ctx, {
      strategy: new ConsecutiveFailureStrategy({ failureThreshold: 5 }),
      openDurationMs: 500,
      peer: 'dep',
    });
    breaker.onStateChange((change) => {
      if (change.to === 'open') meter.breakerOpenings++;
    });
    // Outermost first: a degraded page on any failure; the whole dep step within 250 ms, so the api
    // answers before the frontend's 300 ms attempt timeout; retries that skip an open circuit.
    return wrap(
      fallback(ctx, { fallback: (): Page => ({ item: -1, degraded: true }) }),
      timeout(ctx, { timeoutMs: 250 }),
      shortRetries(ctx, API_ATTEMPTS, nodeBudget(), (error) => isTransientRpcError(error) && !isBrokenCircuitError(error)),
      breaker,
    );
  },
};

/**
 * dep: an async server in front of a pool of 4 database connections (~4 ms a query: ≈ 1000
 * queries/s, 50/s when 20× slower). Like most connection pools, it queues FIFO without knowing
 * how long its callers wait: a deep queue keeps serving calls whose callers gave up long ago.
 */
function depService(world: World, meter: StormMeter): NodeFactory {
  return microservice({ registry: 'registry', service: 'dep' }, (ctx) => {
    const pool = bulkhead(ctx, { maxConcurrent: 4, maxQueued: 400 });
    meter.pool = pool;
    return {
      handlers: {
        item: async (body: { item: number }, request: Request): Promise<Page> => {
          await pool.execute(() => ctx.cpu(ctx.rng.lognormal(4, 0.25)));
          if (world.nowMs > request.deadlineMs) meter.wastedQueries++;
          return { item: body.item, degraded: false };
        },
      },
    };
  });
}

/** An api instance: builds a page from dep's item, calling dep under the variant's policy. */
function apiService(world: World, meter: StormMeter, resilience: Resilience): NodeFactory {
  return microservice({ registry: 'registry', service: 'api', calls: { dep: { timeoutMs: DEP_ATTEMPT_TIMEOUT_MS } } }, (ctx, { clients: { dep } }) => {
    const policy = resilience.apiToDep(ctx, meter);
    return {
      handlers: {
        page: async (body: { item: number }, request: Request): Promise<Page> => {
          const inFlight = API_INSTANCES.reduce((sum, instance) => sum + world.node(instance).load, 0);
          if (inFlight > meter.apiInFlightPeak) meter.apiInFlightPeak = inFlight;
          await request.cpu(0.5);
          return policy.execute<Page>((attempt) => {
            meter.dependencyCalls++;
            if (inFault(world.nowMs)) meter.dependencyCallsInFault++;
            return dep.call<Page>('item', body, { parent: request, ...(attempt.deadlineMs !== undefined ? { deadlineMs: attempt.deadlineMs } : {}) });
          });
        },
      },
    };
  });
}

/** The frontend: an async proxy to the api instances that counts full, degraded and on-time pages. */
function frontendService(world: World, meter: StormMeter, resilience: Resilience): NodeFactory {
  const api = (ctx: NodeContext) => ({ balancer: 'round-robin' as const, policy: resilience.frontendToApi(ctx), timeoutMs: API_ATTEMPT_TIMEOUT_MS });
  return microservice({ registry: 'registry', calls: { api } }, (_ctx, { clients }) => ({
    handlers: {
      page: async (body: { item: number }, request: Request): Promise<Page> => {
        meter.pages++;
        if (inFault(world.nowMs)) meter.pagesInFault++;
        let page: Page | undefined;
        try {
          page = await clients.api.call<Page>('page', body, { parent: request });
          return page;
        } finally {
          const onTime = world.nowMs < request.deadlineMs;
          const full = page !== undefined && !page.degraded && onTime;
          if (full) meter.fullPages++;
          if (page?.degraded && onTime) meter.degradedPages++;
          meter.recovery.record(world.nowMs, full);
        }
      },
    },
  }));
}

/** The figures the report shows (see the header for what to look at). */
function stormFigures(meter: StormMeter): Record<string, number> {
  const recovery = meter.recovery.recoveryAfter(FAULT_END_MS, DURATION_MS, RECOVERY_THRESHOLD);
  return {
    depCalls: meter.dependencyCalls,
    depCallsPerRequest: meter.pages === 0 ? 0 : meter.dependencyCalls / meter.pages,
    amplificationInFault: meter.pagesInFault === 0 ? 0 : meter.dependencyCallsInFault / meter.pagesInFault,
    depRejected: meter.pool?.stats().rejected ?? 0,
    depWastedQueries: meter.wastedQueries,
    depBacklogAtFaultEnd: meter.backlogAtFaultEnd,
    apiInFlightPeak: meter.apiInFlightPeak,
    degradedAnswers: meter.degradedPages,
    breakerOpenings: meter.breakerOpenings,
    timeToRecoverMs: recovery.timeToRecoverMs,
    recovered: recovery.recovered ? 1 : 0,
  };
}

function build(resilience: Resilience) {
  return (world: World): StormSystem => {
    const meter = new StormMeter();
    world.addNode('registry', registryNode({ ttlMs: 3_000 }), { workers: 8 });
    world.addNode('dep', depService(world, meter), { workers: 10_000, queueCapacity: 0 });
    for (const name of API_INSTANCES) world.addNode(name, apiService(world, meter, resilience), { workers: 32, queueCapacity: 32 });
    // Async: the frontend takes every page at once (no queueing of its own).
    world.addNode('frontend', frontendService(world, meter, resilience), { workers: 10_000, queueCapacity: 0 });
    world.sim.at(FAULT_END_MS, () => {
      meter.backlogAtFaultEnd = (meter.pool?.running ?? 0) + (meter.pool?.queued ?? 0);
    });
    return { entry: 'frontend', meter, metrics: () => stormFigures(meter) };
  };
}

export default scenario<StormSystem>({
  name: 'retry-storm',
  description: `frontend → api ×3 → dep; dep is ${SLOW_FACTOR}× slower for ${FAULT_DURATION_MS / 1000} s. Naive retries at every layer vs a retry budget vs breaker + budget + fallback.`,
  durationMs: DURATION_MS,
  quiesceMs: 3_000,
  network: { latencyMs: { kind: 'lognormal', median: 1, sigma: 0.3 } },
  workload: {
    kind: 'open',
    // No pages in the first second: the instances register and the callers' discovery views fill.
    ratePerSec: (nowMs) => (nowMs < 500 ? 0 : PAGES_PER_SEC),
    timeoutMs: CLIENT_TIMEOUT_MS,
    request: (rng) => ({ endpoint: 'GET /page', method: 'page', payload: { item: rng.int(0, 1_000) } }),
  },
  variants: [
    { name: 'naive-retries', description: `${FRONTEND_ATTEMPTS} attempts at the frontend, ${API_ATTEMPTS} at the api, ${RETRY_DELAY_MS} ms apart, no limit`, build: build(NAIVE) },
    { name: 'retry-budget', description: 'the same retries under a per-node retry budget (20% + 5/s)', build: build(BUDGETED) },
    { name: 'breaker+budget', description: 'budgeted retries, a circuit breaker per api instance, a 250 ms step timeout and a degraded-page fallback', build: build(BREAKER_AND_BUDGET) },
  ],
  faults: [{ atMs: FAULT_AT_MS, durationMs: FAULT_DURATION_MS, fault: slow('dep', SLOW_FACTOR) }],
  checks: [
    always('dep calls stay within the attempt limits', ({ system }) => {
      const limit = system.meter.pages * FRONTEND_ATTEMPTS * API_ATTEMPTS;
      return system.meter.dependencyCalls <= limit || `${system.meter.dependencyCalls} dep calls for ${system.meter.pages} pages exceed ${FRONTEND_ATTEMPTS}×${API_ATTEMPTS} each`;
    }),
    eventually('every queue drains once the load stops', ({ world }) => {
      for (const node of world.allNodes()) if (node.load > 0) return `${node.name} still holds ${node.load} requests`;
      return true;
    }),
    sometimes('a breaker opened', ({ system }) => system.meter.breakerOpenings > 0),
  ],
});
