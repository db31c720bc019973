// The tail at scale: a search fans out to 10 shards and needs every answer, so one slow shard call
// makes the whole request slow. Each shard has two replicas with a heavy-tailed service time, and
// one replica is gray-failing (10× slower) for the whole run. Hedged requests cut the tail.
//
// What to look at: p99 / p99.9 (and p50: the gray replica drags even the median without hedging),
// `shardCallP99Ms` (one shard call's tail, which fan-out turns into the request's typical case),
// and the price: `backendCallsPerRequest` (10 without hedging) and `hedgesPerRequest`.
// `hedged+least-loaded` also picks the replica with fewer calls in flight, which steers first
// attempts away from the gray replica (`grayReplicaFirstShare`: ½ for a random pick), so it needs
// fewer hedges and has a lower median for about the same p99.
import { scenario, always, eventually, slow } from '../sim/index.ts';
import type { NodeContext, NodeFactory, Request, World, SystemHandle } from '../sim/index.ts';
import { LatencyHistogram } from '../sim/index.ts';
import { hedge, type HedgePolicy } from '../services/resilience/hedge.ts';
import { LeastConnectionsBalancer, RandomBalancer, type Balancer } from '../services/routing/balancer.ts';
import { newInstance, type ServiceInstance } from '../services/routing/instance.ts';

const SHARDS = 10;
const REPLICAS = ['a', 'b'] as const;
/** The gray-failing replica: up and answering, 10× slower than its twin. */
const GRAY_REPLICA = 'shard-7b';
const GRAY_FACTOR = 10;
const SEARCHES_PER_SEC = 100;
/** Start a hedge when a shard has not answered for this long: about the p95 of a healthy shard call. */
const HEDGE_DELAY_MS = 8;
const SHARD_TIMEOUT_MS = 300;
/** Longest hiccup (a pause is bounded; an uncapped Pareto draw could last minutes). */
const MAX_HICCUP_MS = 250;

/** What a shard answers: its hits for the query. */
interface ShardAnswer {
  shard: number;
  hits: number;
}

/** Counters kept outside the nodes, read by `metrics()` and the checks. */
class FanOutMeter {
  searches = 0;
  shardCalls = 0;
  backendRequests = 0;
  /** First attempts of calls to the gray replica's shard, and how many of them went to the gray one. */
  grayShardCalls = 0;
  grayFirstPicks = 0;
  readonly shardLatency = new LatencyHistogram();
  /** The frontend's hedge policies (one per frontend incarnation), for their counters. */
  readonly hedges: HedgePolicy[] = [];
  /** The frontend's replica records, whose `inFlight` the checks read. */
  replicas: ServiceInstance[][] = [];
}

/** The system a variant builds, as checks and metrics see it. */
interface FanOutSystem extends SystemHandle {
  meter: FanOutMeter;
}

/** How the frontend picks replicas and whether it hedges. */
interface Strategy {
  balancer(ctx: NodeContext): Balancer;
  hedged: boolean;
}

/**
 * A shard replica: ~2 ms of work (lognormal), and 1% of calls hit a hiccup (a GC pause, a cold
 * cache) with a Pareto tail from 15 ms up to a cap of 250 ms. Both are CPU time, so the gray
 * failure scales them.
 */
function shardReplica(shard: number) {
  return (ctx: NodeContext) => ({
    handlers: {
      search: async (_query: { term: number }, request: Request): Promise<ShardAnswer> => {
        const rng = ctx.rng;
        await request.cpu(rng.chance(0.01) ? Math.min(MAX_HICCUP_MS, rng.pareto(15, 1.5)) : rng.lognormal(2, 0.5));
        return { shard, hits: rng.int(0, 20) };
      },
    },
  });
}

/** The search node: fans each query out to every shard, one replica each (and a hedge when the strategy has it). */
function searchService(world: World, meter: FanOutMeter, strategy: Strategy): NodeFactory {
  return (ctx) => {
    const balancer = strategy.balancer(ctx);
    const policy = strategy.hedged ? hedge(ctx, { delayMs: HEDGE_DELAY_MS, maxHedges: 1 }) : undefined;
    if (policy) meter.hedges.push(policy);
    const replicas = Array.from({ length: SHARDS }, (_, shard) => REPLICAS.map((replica) => newInstance(`shard-${shard}`, `shard-${shard}${replica}`)));
    meter.replicas = replicas;

    const send = (replica: ServiceInstance, query: unknown, request: Request): Promise<ShardAnswer> => {
      meter.backendRequests++;
      replica.inFlight++;
      return request.call<ShardAnswer>(replica.name, 'search', query, { timeoutMs: SHARD_TIMEOUT_MS }).finally(() => {
        replica.inFlight--;
      });
    };
    // A hedge goes to the other replica: asking the same slow one twice would not help.
    const callShard = async (shard: number, query: unknown, request: Request): Promise<ShardAnswer> => {
      const startMs = world.nowMs;
      const pair = replicas[shard]!;
      const first = balancer.pick(pair)!;
      if (pair.some((replica) => replica.name === GRAY_REPLICA)) {
        meter.grayShardCalls++;
        if (first.name === GRAY_REPLICA) meter.grayFirstPicks++;
      }
      const answer = policy
        ? await policy.execute<ShardAnswer>((attempt) => send(attempt.attempt === 1 ? first : pair.find((replica) => replica !== first)!, query, request), {
            attempt: 1,
            deadlineMs: request.deadlineMs,
          })
        : await send(first, query, request);
      meter.shardCalls++;
      meter.shardLatency.record(world.nowMs - startMs);
      return answer;
    };
    return {
      handlers: {
        search: async (query: { term: number }, request: Request) => {
          meter.searches++;
          await request.cpu(0.2);
          const answers = await Promise.all(Array.from({ length: SHARDS }, (_, shard) => callShard(shard, query, request)));
          return { hits: answers.reduce((sum, answer) => sum + answer.hits, 0) };
        },
      },
    };
  };
}

/** The figures the report shows (see the header for what to look at). */
function fanOutFigures(meter: FanOutMeter): Record<string, number> {
  const shard = meter.shardLatency.summary();
  const hedges = meter.hedges.reduce((sum, policy) => sum + policy.stats().hedges, 0);
  const wonByHedge = meter.hedges.reduce((sum, policy) => sum + policy.stats().wonByHedge, 0);
  return {
    backendCallsPerRequest: meter.searches === 0 ? 0 : meter.backendRequests / meter.searches,
    hedgesPerRequest: meter.searches === 0 ? 0 : hedges / meter.searches,
    hedgesWon: wonByHedge,
    grayReplicaFirstShare: meter.grayShardCalls === 0 ? 0 : meter.grayFirstPicks / meter.grayShardCalls,
    shardCallP50Ms: shard.p50,
    shardCallP99Ms: shard.p99,
    shardCallP999Ms: shard.p999,
  };
}

function build(strategy: Strategy) {
  return (world: World): FanOutSystem => {
    const meter = new FanOutMeter();
    for (let shard = 0; shard < SHARDS; shard++) {
      for (const replica of REPLICAS) world.addNode(`shard-${shard}${replica}`, shardReplica(shard), { workers: 4, queueCapacity: 64 });
    }
    world.addNode('search', searchService(world, meter, strategy), { workers: 10_000, queueCapacity: 0 });
    return { entry: 'search', meter, metrics: () => fanOutFigures(meter) };
  };
}

export default scenario<FanOutSystem>({
  name: 'tail-latency',
  description: `A search fans out to ${SHARDS} shards × 2 replicas and needs every answer; ${GRAY_REPLICA} is ${GRAY_FACTOR}× slower all along. Without hedging, hedged after ${HEDGE_DELAY_MS} ms, and hedged with least-loaded replica selection.`,
  durationMs: 10_000,
  quiesceMs: 2_000,
  network: { latencyMs: { kind: 'lognormal', median: 0.5, sigma: 0.3 } },
  workload: {
    kind: 'open',
    ratePerSec: SEARCHES_PER_SEC,
    timeoutMs: 1_000,
    request: (rng) => ({ endpoint: 'GET /search', method: 'search', payload: { term: rng.int(0, 10_000) } }),
  },
  variants: [
    { name: 'single', description: 'one call per shard to a random replica', build: build({ balancer: (ctx) => new RandomBalancer(ctx.rng), hedged: false }) },
    { name: 'hedged', description: `a random replica first, the other one after ${HEDGE_DELAY_MS} ms without an answer`, build: build({ balancer: (ctx) => new RandomBalancer(ctx.rng), hedged: true }) },
    { name: 'hedged+least-loaded', description: 'the replica with fewer calls in flight first, hedged to the other', build: build({ balancer: () => new LeastConnectionsBalancer(), hedged: true }) },
  ],
  faults: [{ atMs: 0, fault: slow(GRAY_REPLICA, GRAY_FACTOR) }],
  checks: [
    always('a shard call costs at most two backend requests', ({ system }) => {
      const { backendRequests, searches } = system.meter;
      return backendRequests <= 2 * SHARDS * searches || `${backendRequests} backend requests for ${searches} searches`;
    }),
    eventually('no backend call is left in flight', ({ system }) => {
      const inFlight = system.meter.replicas.flat().reduce((sum, replica) => sum + replica.inFlight, 0);
      return inFlight === 0 || `${inFlight} backend calls still in flight`;
    }),
  ],
});
