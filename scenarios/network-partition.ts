// A network partition in the microservices shop: orders is cut off from inventory (its two
// instances and its database) for 15 s, then one inventory instance loses the registry while it
// keeps serving, so the registry drops it and the clients' cached discovery views disagree.
//
// What to look at: `POST /orders` availability and p99 — the sync saga waits on calls that cross
// the cut until their deadline, then compensates; the breaker fails fast and parks the sagas
// (answered PENDING, completed after the heal); async never calls inventory from orders at all
// (the bus carries the events), so the cut only delays orders: timeToFinalP99Ms. Then
// discoveryDivergedMs / registryExpiries / viewChanges: how long the views disagreed, by
// registry TTL and client refresh. Every invariant holds in all three.
import { partition, type Scenario } from '../sim/index.ts';
import { shopScenario, shopWith, type ShopScenarioSize } from '../services/shop/preset.ts';
import type { ShopArchitecture, ShopSystem } from '../services/shop/system.ts';
import { ViewDivergenceMeter } from './lib/view-divergence.ts';

/** Size of the run (see ShopScenarioSize). */
export type NetworkPartitionOptions = ShopScenarioSize;

const INVENTORY = ['inventory-db', 'inventory-1', 'inventory-2'];

/** The shop with two inventory instances, and a meter on the views of inventory. */
function withDivergence(architecture: Exclude<ShopArchitecture, 'monolith'>) {
  return shopWith(architecture, { instances: { inventory: 2 } }, (world) => {
    const meter = new ViewDivergenceMeter(world, 'inventory');
    return () => {
      const divergence = meter.figures();
      return { discoveryDivergedMs: divergence.divergedMs, registryExpiries: divergence.expiries, viewChanges: divergence.viewChanges };
    };
  });
}

/** The scenario at a given size (default 40 s at 25 requests/s: the default export). */
export function networkPartition(options: NetworkPartitionOptions = {}): Scenario<ShopSystem> {
  const durationMs = options.durationMs ?? 40_000;
  return shopScenario({
    name: 'network-partition',
    description: 'Orders cut off from inventory for a while, then one inventory instance cut off from the registry: sync, sync with breaker, async.',
    durationMs,
    ratePerSec: options.ratePerSec ?? 25,
    quiesceMs: 30_000,
    variants: [
      { name: 'sync', description: 'orchestrated saga over RPC, no breaker', build: withDivergence('microservices-sync') },
      { name: 'sync+breaker', description: 'step calls under fallback(retry(breaker(timeout))); an open circuit parks the saga', build: withDivergence('microservices-sync+breaker') },
      { name: 'async', description: 'choreographed saga over the event bus', build: withDivergence('microservices-async') },
    ],
    faults: [
      { atMs: 0.25 * durationMs, durationMs: 0.375 * durationMs, fault: partition(['orders'], INVENTORY) },
      { atMs: 0.7 * durationMs, durationMs: 0.2 * durationMs, fault: partition(['inventory-2'], ['registry']) },
    ],
  });
}

export default networkPartition();
