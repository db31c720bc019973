// payment-outage with an SLO on placing orders while payments is down: at least 95% of
// `POST /orders` sent during the outage succeed, with a median under 100 ms. A separate scenario,
// so the flagship keeps passing: here the sync variant misses the SLO (exit 1) — its clients wait
// for the saga and time out — while the breaker, async and self-healing designs meet it.
//
// The SLO judges requests sent while a scheduled fault is active (for self-healing: from the
// crash-loop on, to the end of the run, since that fault has no fixed end).
import { scenario, slo, type Scenario } from '../sim/index.ts';
import { shopInvariants } from '../services/shop/invariants.ts';
import type { ShopSystem } from '../services/shop/system.ts';
import { paymentOutage, type PaymentOutageOptions } from './lib/payment-outage.ts';

/** The SLO this scenario adds to payment-outage's invariants. */
export const ORDERS_DURING_OUTAGE = slo({ endpoint: 'POST /orders', availability: 0.95, p50Ms: 100, phase: 'during-faults' });

/** payment-outage at a given size, with the SLO. */
export function paymentOutageSlo(options: PaymentOutageOptions = {}): Scenario<ShopSystem> {
  const base = paymentOutage(options);
  return scenario<ShopSystem>({
    ...base,
    name: 'payment-outage-slo',
    description: `${base.description} SLO: 95% of orders placed during the outage succeed, median under 100 ms.`,
    checks: [...shopInvariants(), ORDERS_DURING_OUTAGE],
  });
}

export default paymentOutageSlo();
