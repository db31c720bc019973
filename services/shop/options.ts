// Settings of a shop deployment: sizes, costs and time limits, each with a documented default,
// resolved once at build time.
import { ConfigError } from '../../sim/engine/errors.ts';
import type { DatabaseOptions } from '../data/database.ts';
import type { CatalogueOptions } from './catalogue.ts';
import type { PaymentsOptions } from './payments.ts';

/** The shop's microservices. */
export const SHOP_SERVICES = ['users', 'products', 'orders', 'payments', 'inventory', 'shipping'] as const;

/** One of the shop's microservices. */
export type ShopService = (typeof SHOP_SERVICES)[number];

/** Settings of a shop deployment; every field has a default. */
export interface ShopOptions {
  catalogue?: CatalogueOptions;
  payments?: PaymentsOptions;
  /** Monolith replicas behind the gateway's balancer. Default 3. */
  replicas?: number;
  /**
   * Microservice instances per service. One instance keeps its database embedded on its own disk
   * (node `<service>`); more share a database node (`<service>-db` + `<service>-1…`). Default:
   * products 2 (the read path scales out over products-db), every other service 1.
   */
  instances?: Partial<Record<ShopService, number>>;
  /**
   * Cost model of every database (sync is always `'always'`: acknowledged data survives crashes).
   * Default: reads free (their cost is in `queryMs`), 0.05 ms per written row, 0.2 ms per commit, 0.5 ms per fsync.
   */
  databaseOptions?: Omit<DatabaseOptions, 'sync'>;
  /** CPU one module spends on one request, ms (a monolith order runs four modules' worth). Default 0.3. */
  moduleCpuMs?: number;
  /** Gateway CPU per request, ms. Default 0 (the gateway is I/O bound). */
  gatewayCpuMs?: number;
  /** How long the gateway caches `GET /api/products…` answers, ms. Default 1000. */
  productsCacheTtlMs?: number;
  /** CPU a database node spends per procedure call (parsing, planning, reading), ms. Default 0.2. */
  queryMs?: number;
  /** Timeout of a call to a database node, ms. Default 1000. */
  dbTimeoutMs?: number;
  /** Time limit of one saga step (orchestrator) or one event handling (choreography), ms. Default 1000. */
  stepTimeoutMs?: number;
  /** Per-attempt timeout of step calls under the breaker policy (sync+breaker), ms. Default 300. */
  breakerAttemptTimeoutMs?: number;
  /** An order still pending after this long is cancelled and compensated, ms. Default 20 000. */
  sagaTimeoutMs?: number;
  /** Worker slots of service instances and monolith replicas. Default 16. */
  workers?: number;
}

/** Shop settings with every default filled. */
export interface ResolvedShopOptions {
  catalogue: CatalogueOptions;
  payments: PaymentsOptions;
  replicas: number;
  instances: Record<ShopService, number>;
  databaseOptions: DatabaseOptions;
  moduleCpuMs: number;
  gatewayCpuMs: number;
  productsCacheTtlMs: number;
  queryMs: number;
  dbTimeoutMs: number;
  stepTimeoutMs: number;
  breakerAttemptTimeoutMs: number;
  sagaTimeoutMs: number;
  workers: number;
}

const DEFAULT_INSTANCES: Record<ShopService, number> = { users: 1, products: 2, orders: 1, payments: 1, inventory: 1, shipping: 1 };

/** Fills defaults and validates; throws ConfigError naming the bad setting. */
export function resolveShopOptions(options: ShopOptions = {}): ResolvedShopOptions {
  const instances = { ...DEFAULT_INSTANCES, ...options.instances };
  for (const [service, count] of Object.entries(instances)) {
    if (!(SHOP_SERVICES as readonly string[]).includes(service)) throw new ConfigError(`shop instances: unknown service '${service}'; use ${SHOP_SERVICES.join(', ')}`);
    if (!Number.isInteger(count) || count < 1) throw new ConfigError(`shop instances of ${service} is ${count}; use a whole number >= 1`);
  }
  const resolved: ResolvedShopOptions = {
    catalogue: options.catalogue ?? {},
    payments: options.payments ?? {},
    replicas: options.replicas ?? 3,
    instances,
    // Reads are charged in the per-call query cost (one event per call rather than one per row).
    databaseOptions: { readMs: 0, writeMs: 0.05, commitMs: 0.2, syncMs: 0.5, ...options.databaseOptions, sync: 'always' },
    moduleCpuMs: options.moduleCpuMs ?? 0.3,
    gatewayCpuMs: options.gatewayCpuMs ?? 0,
    productsCacheTtlMs: options.productsCacheTtlMs ?? 1000,
    queryMs: options.queryMs ?? 0.2,
    dbTimeoutMs: options.dbTimeoutMs ?? 1000,
    stepTimeoutMs: options.stepTimeoutMs ?? 1000,
    breakerAttemptTimeoutMs: options.breakerAttemptTimeoutMs ?? 300,
    sagaTimeoutMs: options.sagaTimeoutMs ?? 20_000,
    workers: options.workers ?? 16,
  };
  if (!Number.isInteger(resolved.replicas) || resolved.replicas < 1) throw new ConfigError(`shop replicas is ${resolved.replicas}; use a whole number >= 1`);
  if (!Number.isInteger(resolved.workers) || resolved.workers < 1) throw new ConfigError(`shop workers is ${resolved.workers}; use a whole number >= 1`);
  for (const key of ['moduleCpuMs', 'gatewayCpuMs', 'productsCacheTtlMs', 'queryMs'] as const) {
    if (!(resolved[key] >= 0 && Number.isFinite(resolved[key]))) throw new ConfigError(`shop ${key} is ${resolved[key]}; use a finite number of ms >= 0`);
  }
  for (const key of ['dbTimeoutMs', 'stepTimeoutMs', 'breakerAttemptTimeoutMs', 'sagaTimeoutMs'] as const) {
    if (!(resolved[key] > 0 && Number.isFinite(resolved[key]))) throw new ConfigError(`shop ${key} is ${resolved[key]}; use a finite number of ms > 0`);
  }
  const rate = resolved.payments.declineRate ?? 0;
  if (!(rate >= 0 && rate <= 1)) throw new ConfigError(`shop payments.declineRate is ${rate}; use a fraction between 0 and 1`);
  return resolved;
}
