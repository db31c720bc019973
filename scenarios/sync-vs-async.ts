// Orders in the microservices shop three ways, on one seed and one workload: an orchestrated saga
// over plain RPC (sync), the same under breaker + fallback + timeout + retry budget, and a
// choreographed saga over the event bus (async: accepted as PENDING, completed later). Payments
// crash for 5 s; a heavy query slows the inventory service ×100 for the last 8 s of the load.
//
// What to look at: `POST /orders` availability and the p99 — sync fails or times out during both
// faults (the client waits for the whole saga); with the breaker, calls fail fast and an open
// circuit parks the saga, so the order is answered PENDING and completes after recovery; async
// accepts every order at once. The price is consistency: many more orders are accepted but not
// final when the load stops (ordersNonFinalAtLoadEnd; sync runs at most one saga per orders
// worker), and the orders a fault catches take seconds to finish (timeToFinalP99Ms); all of them
// end once the faults heal. Sync also cancels more orders: its timed-out steps compensate, where
// the others wait. Every invariant holds in all three.
import { crash, slow, type Scenario } from '../sim/index.ts';
import { shopVariant } from '../services/shop/build.ts';
import { shopScenario, type ShopScenarioSize } from '../services/shop/preset.ts';
import type { ShopSystem } from '../services/shop/system.ts';

/** Size of the run (see ShopScenarioSize). */
export type SyncVsAsyncOptions = ShopScenarioSize;

/** The scenario at a given size (default 40 s at 40 requests/s: the default export). */
export function syncVsAsync(options: SyncVsAsyncOptions = {}): Scenario<ShopSystem> {
  const durationMs = options.durationMs ?? 40_000;
  return shopScenario({
    name: 'sync-vs-async',
    description: 'Orders as a sync saga over RPC, the same with breaker + fallback + timeout + retry budget, and an async choreography over the bus, while payments crash and inventory slows down.',
    durationMs,
    ratePerSec: options.ratePerSec ?? 40,
    quiesceMs: 20_000,
    variants: [
      { name: 'microservices-sync', description: 'orchestrated saga over RPC, no breaker', build: shopVariant('microservices-sync') },
      {
        name: 'microservices-sync+breaker',
        description: 'the same, step calls under fallback(retry with budget(breaker(timeout))); an open circuit parks the saga',
        build: shopVariant('microservices-sync+breaker'),
      },
      { name: 'microservices-async', description: 'choreographed saga over the event bus with an outbox per service', build: shopVariant('microservices-async') },
    ],
    faults: [
      { atMs: 0.3 * durationMs, durationMs: Math.min(5_000, durationMs / 8), fault: crash('payments') },
      { atMs: 0.8 * durationMs, durationMs: 0.2 * durationMs, fault: slow('inventory', 100) },
    ],
  });
}

export default syncVsAsync();
