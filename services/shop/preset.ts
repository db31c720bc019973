// The shop scenarios' common ground in one call: the shop's traffic (30% orders) through an open
// workload, a fast network, sparse check samples, and every shop invariant. A scenario then says
// only what is its own: its size, its variants and its faults.
import { scenario, type Scenario, type ScheduledFault, type VariantDefinition, type BuildEnv, type World } from '../../sim/index.ts';
import { shopInvariants } from './invariants.ts';
import { SHOP_FIGURES } from './figures.ts';
import { shopTraffic } from './workload.ts';
import { shopVariant } from './build.ts';
import type { ShopOptions } from './options.ts';
import type { ShopArchitecture, ShopSystem } from './system.ts';

/** The size of a shop scenario's run: tests run a smaller one; fault times scale with the duration. */
export interface ShopScenarioSize {
  /** Virtual run length, ms. */
  durationMs?: number;
  /** Requests per virtual second (30% of them place orders). */
  ratePerSec?: number;
}

/** What a shop scenario declares of its own. */
export interface ShopScenarioOptions {
  name: string;
  description: string;
  durationMs: number;
  /** Requests per virtual second (30% of them place orders). */
  ratePerSec: number;
  /** How long after faults heal every order has to become final. */
  quiesceMs: number;
  variants: VariantDefinition<ShopSystem>[];
  faults?: ScheduledFault[];
}

/** A shop scenario: 2 s client timeouts, ~0.5 ms links, invariants sampled every 2 s. */
export function shopScenario(options: ShopScenarioOptions): Scenario<ShopSystem> {
  return scenario<ShopSystem>({
    name: options.name,
    description: options.description,
    durationMs: options.durationMs,
    quiesceMs: options.quiesceMs,
    checkIntervalMs: 2000,
    network: { latencyMs: { kind: 'lognormal', median: 0.5, sigma: 0.3 } },
    workload: { kind: 'open', ratePerSec: options.ratePerSec, timeoutMs: 2000, request: shopTraffic() },
    variants: options.variants,
    ...(options.faults ? { faults: options.faults } : {}),
    checks: shopInvariants(),
    figures: SHOP_FIGURES,
  });
}

/**
 * A shop variant's build with something added after it (a meter, a supervisor): `extra` runs once
 * the shop is built and returns the figures it adds to the shop's own at the end of the run.
 */
export function shopWith(
  architecture: ShopArchitecture,
  options: ShopOptions,
  extra: (world: World, system: ShopSystem) => () => Record<string, number>,
): (world: World, env: BuildEnv) => ShopSystem {
  return (world, env) => {
    const system = shopVariant(architecture, options)(world, env);
    const figures = extra(world, system);
    const shopMetrics = system.metrics.bind(system);
    system.metrics = () => ({ ...shopMetrics(), ...figures() });
    return system;
  };
}
