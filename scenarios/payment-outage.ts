// The flagship: payments goes down for 30 s in the middle of steady order traffic, and four designs
// of the microservices shop take it differently — on one seed, one workload, side by side.
//
//   sync               orders call payments over RPC inside an orchestrated saga, no breaker
//   sync+breaker       the same calls under breaker + fallback + timeout + retry budget
//   async              orders accepted as PENDING; a choreographed saga over the event bus
//   sync+self-healing  no 30 s crash: payments crash-loops on a bad config for 5 starts and a
//                      supervisor restarts it with exponential back-off (CrashLoopBackOff)
//
// What to look at: sync loses availability on `POST /orders` for the whole outage (clients wait
// for the saga and time out); the breaker fails fast and parks sagas, so orders are answered
// PENDING and availability stays up; async accepts every order and pays in consistency instead —
// see timeToFinalP50Ms and timeToFinalP99Ms: orders caught by the outage finish only after
// payments is back, and those still waiting when the saga timeout (20 s) runs out are cancelled
// and compensated (ordersCancelled). Self-healing shortens the outage to the back-off sum
// (~16 s). In every design money is conserved, nothing is charged twice and every order ends
// CONFIRMED or CANCELLED.
import { crash, crashLoop, type Scenario } from '../sim/index.ts';
import { shopVariant } from '../services/shop/build.ts';
import { shopScenario, shopWith, type ShopScenarioSize } from '../services/shop/preset.ts';
import { NodeSupervisor } from '../services/deploy/node-supervisor.ts';
import type { ShopSystem } from '../services/shop/system.ts';

/** Size of the run (see ShopScenarioSize). */
export type PaymentOutageOptions = ShopScenarioSize;

/** The sync+breaker shop with a supervisor that restarts payments with back-off. */
const selfHealing = shopWith('microservices-sync+breaker', {}, (world) => {
  const supervisor = new NodeSupervisor(world, ['payments'], { backoff: { initialMs: 500, capMs: 8000 } });
  return () => ({ selfHealingRestarts: supervisor.stats.restarts, longestBackoffMs: supervisor.stats.longestBackoffMs });
});

/** The scenario at a given size (default 50 s at 20 requests/s: the default export). */
export function paymentOutage(options: PaymentOutageOptions = {}): Scenario<ShopSystem> {
  const durationMs = options.durationMs ?? 50_000;
  const outage = { atMs: 0.2 * durationMs, durationMs: 0.6 * durationMs, fault: crash('payments') };
  return shopScenario({
    name: 'payment-outage',
    description: `Payments is down for ${Math.round(outage.durationMs / 1000)} s in the middle of steady order traffic: sync, sync with breaker and fallback, async over the bus, and a crash-loop healed by restarts with back-off.`,
    durationMs,
    ratePerSec: options.ratePerSec ?? 20,
    quiesceMs: 30_000,
    variants: [
      { name: 'sync', description: 'orchestrated saga over RPC, no breaker', build: shopVariant('microservices-sync'), faults: [outage] },
      { name: 'sync+breaker', description: 'step calls under fallback(retry with budget(breaker(timeout))); an open circuit parks the saga', build: shopVariant('microservices-sync+breaker'), faults: [outage] },
      { name: 'async', description: 'choreographed saga over the event bus, an outbox per service', build: shopVariant('microservices-async'), faults: [outage] },
      {
        name: 'sync+self-healing',
        description: 'sync+breaker; payments crash-loops for 5 starts and a supervisor restarts it with back-off',
        build: selfHealing,
        faults: [{ atMs: outage.atMs, fault: crashLoop('payments', 5) }],
      },
    ],
  });
}

export default paymentOutage();
