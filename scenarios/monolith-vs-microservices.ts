// The same shop as a monolith (3 replicas, one database, one ACID transaction per order) and as
// microservices (a database per service, orders as an orchestrated saga over RPC), on one seed and
// one workload, while a bug in payments crashes its process for 5 s and a heavy inventory query
// slows the inventory database ×100 for the last 8 s of the load.
//
// What to look at: availability per endpoint (`--json`: metrics.endpoints) — during the payments
// crash the monolith loses every endpoint (shared fate: every replica runs the payments code),
// the microservices only `POST /orders`; the slow inventory database is the monolith's only
// database, so every endpoint slows there. The monolith places an order faster (`POST /orders`
// p50: one local transaction against a saga of five hops), finalises it at once (time to final 0,
// no compensations) and costs fewer instance-seconds; the microservices pay for isolation with
// sagas, whose compensations and time to final show.
import { crash, slow, type Scenario, type ScheduledFault } from '../sim/index.ts';
import { serviceDatabaseNode, serviceFaultTargets, shopVariant } from '../services/shop/build.ts';
import { shopScenario, type ShopScenarioSize } from '../services/shop/preset.ts';
import type { ShopSystem } from '../services/shop/system.ts';

/** Size of the run (see ShopScenarioSize). */
export type MonolithVsMicroservicesOptions = ShopScenarioSize;

/** The scenario at a given size (default 40 s at 40 requests/s: the default export). */
export function monolithVsMicroservices(options: MonolithVsMicroservicesOptions = {}): Scenario<ShopSystem> {
  const durationMs = options.durationMs ?? 40_000;
  const paymentsBug = (nodes: string[]): ScheduledFault[] => nodes.map((node) => ({ atMs: 0.3 * durationMs, durationMs: Math.min(5_000, durationMs / 8), fault: crash(node) }));
  const slowDatabase = (node: string): ScheduledFault => ({ atMs: 0.8 * durationMs, durationMs: 0.2 * durationMs, fault: slow(node, 100) });
  return shopScenario({
    name: 'monolith-vs-microservices',
    description: 'The shop as a monolith and as microservices (orchestrated saga) on one workload, while payments crash and the inventory database slows down.',
    durationMs,
    ratePerSec: options.ratePerSec ?? 40,
    quiesceMs: 20_000,
    variants: [
      {
        name: 'monolith',
        description: '3 replicas of one process over one database; an order is one transaction',
        build: shopVariant('monolith'),
        // Every replica runs the payments module: its bug crashes them all. Inventory's tables live in the one database.
        faults: [...paymentsBug(serviceFaultTargets('monolith', 'payments')), slowDatabase(serviceDatabaseNode('monolith', 'inventory'))],
      },
      {
        name: 'microservices',
        description: 'a database per service (products ×2 over products-db), orders as an orchestrated saga over RPC',
        build: shopVariant('microservices-sync'),
        faults: [...paymentsBug(serviceFaultTargets('microservices-sync', 'payments')), slowDatabase(serviceDatabaseNode('microservices-sync', 'inventory'))],
      },
    ],
  });
}

export default monolithVsMicroservices();
