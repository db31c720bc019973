// One entry point for building the shop in any of its architectures (a scenario variant's build).
import type { World } from '../../sim/world/world.ts';
import type { BuildEnv } from '../../sim/harness/scenario.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { buildMonolith, MONOLITH_DB, monolithReplicas } from './monolith.ts';
import { buildMicroservices, databaseNode, serviceNodes } from './microservices.ts';
import { resolveShopOptions, type ShopOptions, type ShopService } from './options.ts';
import { SHOP_ARCHITECTURES, type ShopArchitecture, type ShopSystem } from './system.ts';

/** Builds the shop as `architecture` in `world`; the ShopSystem it returns is the variant's handle. */
export function buildShop(world: World, env: BuildEnv, architecture: ShopArchitecture, options: ShopOptions = {}): ShopSystem {
  if (!SHOP_ARCHITECTURES.includes(architecture)) throw new ConfigError(`unknown shop architecture '${String(architecture)}': use ${SHOP_ARCHITECTURES.join(', ')}`);
  return architecture === 'monolith' ? buildMonolith(world, env, options) : buildMicroservices(world, env, architecture, options);
}

/** A variant's `build` for `architecture`: `{ name: 'monolith', build: shopVariant('monolith') }`. */
export function shopVariant(architecture: ShopArchitecture, options: ShopOptions = {}): (world: World, env: BuildEnv) => ShopSystem {
  return (world, env) => buildShop(world, env, architecture, options);
}

/**
 * The nodes a fault in `service` hits: its instances as microservices, and every replica of the
 * monolith (they all run every module: a crash or a bug in payments takes the whole process
 * down). Pass the same options the variant was built with.
 */
export function serviceFaultTargets(architecture: ShopArchitecture, service: ShopService, options: ShopOptions = {}): string[] {
  const resolved = resolveShopOptions(options);
  return architecture === 'monolith' ? monolithReplicas(resolved.replicas) : serviceNodes(service, resolved.instances[service]);
}

/** The node holding `service`'s data: the monolith's one database, or the service's own database node. */
export function serviceDatabaseNode(architecture: ShopArchitecture, service: ShopService, options: ShopOptions = {}): string {
  return architecture === 'monolith' ? MONOLITH_DB : databaseNode(service, resolveShopOptions(options).instances[service]);
}
