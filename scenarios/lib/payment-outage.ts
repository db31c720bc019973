// The flagship's builder (scenarios/payment-outage.ts), shared with payment-outage-slo.ts: the
// shop at a given size with its four variants and the 30 s payments outage.
import { crash, crashLoop, type Scenario } from '../../sim/index.ts';
import { shopVariant } from '../../services/shop/build.ts';
import { shopScenario, shopWith, type ShopScenarioSize } from '../../services/shop/preset.ts';
import { NodeSupervisor } from '../../services/deploy/node-supervisor.ts';
import type { ShopSystem } from '../../services/shop/system.ts';

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
