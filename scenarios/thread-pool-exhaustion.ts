// Thread-pool exhaustion: a shop with two endpoints, `checkout` (calls inventory) and `browse`
// (CPU only), and inventory answering 1.5 s late for 8 s (a per-call latency fault). The same
// slow dependency against a thread-per-request shop and an event-loop shop, with and without a
// bulkhead around the inventory call.
//
// What to look at: availability per endpoint (`GET /browse`, `POST /checkout`), `shopBusyPeak`
// (slots held at once), `shopShed` (requests turned away by a full queue) and
// `checkoutRejectedByBulkhead`. With `threads`, checkouts hold all 32 threads while they wait, the
// queue fills, and browse fails too although it never touches inventory: the cascade. The bulkhead
// caps the threads checkout may hold (16), so browse keeps its own and checkout fails fast beyond
// the cap. The `event-loop` shop holds nothing while a checkout waits: browse is untouched and
// checkouts succeed, slowly; a bulkhead there only turns slow checkouts into rejected ones.
// `shopCpuUtilization` is CPU busy time over cores × time: low everywhere, as waiting is not CPU work.
import { scenario, always, eventually, callLatency, onMethod } from '../sim/index.ts';
import type { NodeOptions, Request, World } from '../sim/index.ts';
import { bulkhead, type BulkheadPolicy } from '../services/resilience/bulkhead.ts';

const DURATION_MS = 20_000;
const SLOW_AT_MS = 5_000;
const SLOW_FOR_MS = 8_000;
/** How late inventory answers during the fault. */
const INVENTORY_DELAY_MS = 1_500;
/** Requests per virtual second, half checkout, half browse. */
const REQUESTS_PER_SEC = 200;
const CLIENT_TIMEOUT_MS = 3_000;
const INVENTORY_TIMEOUT_MS = 2_000;
const SHOP_THREADS = 32;
const SHOP_CORES = 4;
/** Checkouts allowed at once with a bulkhead: half the threads. */
const CHECKOUT_BULKHEAD = 16;

/** Figures kept outside the nodes, read by `metrics()`. */
class ExhaustionMeter {
  /** Most requests holding a shop slot at once (threads, or in-flight for the event loop). */
  busyPeak = 0;
  /** The shop's checkout bulkhead, when the variant has one (rebuilt if the shop restarts). */
  bulkhead: BulkheadPolicy | undefined;
}

interface ExhaustionSystem {
  entry: string;
  world: World;
  meter: ExhaustionMeter;
  metrics(): Record<string, number>;
}

/** Builds a variant: the shop's concurrency model, and whether checkout runs in a bulkhead. */
function build(shopOptions: NodeOptions, withBulkhead: boolean) {
  return (world: World): ExhaustionSystem => {
    const meter = new ExhaustionMeter();
    world.addNode('inventory', () => ({ handlers: { reserve: async (_: unknown, request: Request) => request.cpu(1) } }), { eventLoop: true, cores: 4 });
    world.addNode('shop', (ctx) => {
      const guard = withBulkhead ? bulkhead(ctx, { maxConcurrent: CHECKOUT_BULKHEAD, maxQueued: 0 }) : undefined;
      meter.bulkhead = guard;
      const reserve = (request: Request): Promise<unknown> => request.call('inventory', 'reserve', undefined, { timeoutMs: INVENTORY_TIMEOUT_MS });
      return {
        handlers: {
          checkout: async (_: unknown, request: Request) => {
            meter.busyPeak = Math.max(meter.busyPeak, world.node('shop').busyWorkers);
            await (guard ? guard.execute(() => reserve(request)) : reserve(request));
            await request.cpu(2);
            return 'ordered';
          },
          browse: async (_: unknown, request: Request) => {
            await request.cpu(2);
            return 'page';
          },
        },
      };
    }, { ...shopOptions, queueCapacity: 64 });
    const shop = world.node('shop');
    return {
      entry: 'shop',
      world,
      meter,
      metrics: () => ({
        shopBusyPeak: meter.busyPeak,
        shopShed: shop.stats.shed,
        checkoutRejectedByBulkhead: meter.bulkhead?.stats().rejected ?? 0,
        shopCpuUtilization: shop.cpuUtilization() ?? 0,
      }),
    };
  };
}

function variant(name: string, description: string, shopOptions: NodeOptions, withBulkhead: boolean) {
  return { name, description, build: build(shopOptions, withBulkhead) };
}

export default scenario<ExhaustionSystem>({
  name: 'thread-pool-exhaustion',
  description: `inventory answers ${INVENTORY_DELAY_MS / 1000} s late for ${SLOW_FOR_MS / 1000} s: a thread-per-request shop (${SHOP_THREADS} threads) vs an event-loop shop, with and without a bulkhead on checkout.`,
  durationMs: DURATION_MS,
  quiesceMs: 5_000,
  network: { latencyMs: { kind: 'lognormal', median: 1, sigma: 0.3 } },
  workload: {
    kind: 'open',
    ratePerSec: REQUESTS_PER_SEC,
    timeoutMs: CLIENT_TIMEOUT_MS,
    request: (rng) => (rng.chance(0.5) ? { endpoint: 'POST /checkout', method: 'checkout' } : { endpoint: 'GET /browse', method: 'browse' }),
  },
  variants: [
    variant('threads', `${SHOP_THREADS} threads on ${SHOP_CORES} cores: a waiting checkout holds its thread`, { threads: SHOP_THREADS, cores: SHOP_CORES }, false),
    variant('threads+bulkhead', `the same, checkout limited to ${CHECKOUT_BULKHEAD} threads at once`, { threads: SHOP_THREADS, cores: SHOP_CORES }, true),
    variant('event-loop', `an event loop on ${SHOP_CORES} cores: a waiting checkout holds nothing`, { eventLoop: { maxInFlight: 1_000 }, cores: SHOP_CORES }, false),
    variant('event-loop+bulkhead', `the same, checkout limited to ${CHECKOUT_BULKHEAD} at once`, { eventLoop: { maxInFlight: 1_000 }, cores: SHOP_CORES }, true),
  ],
  faults: [{ atMs: SLOW_AT_MS, durationMs: SLOW_FOR_MS, fault: callLatency(onMethod('inventory', 'reserve'), { kind: 'constant', value: INVENTORY_DELAY_MS }) }],
  checks: [
    always('shop CPU utilisation is a share', (system) => {
      const utilization = system.world.node('shop').cpuUtilization() ?? 0;
      return (utilization >= 0 && utilization <= 1) || `utilisation ${utilization}`;
    }),
    eventually('the shop drains once the load stops', (system) => system.world.node('shop').load === 0 || `shop still holds ${system.world.node('shop').load} requests`),
  ],
});

