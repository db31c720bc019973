// The scenario API: what a scenario file default-exports. A scenario holds a workload, variants that
// share the seed and the workload, faults and checks; `scenario({...})` validates it once.
import type { World, WorldOptions } from '../world/world.ts';
import type { Rng } from '../engine/rng.ts';
import type { LinkOptions } from '../world/network.ts';
import type { NodeOptions } from '../world/node.ts';
import type { Check, CheckContext, WitnessOperation } from './checks.ts';
import type { ScheduledFault, FaultRegime } from './faults.ts';
import { validateRegime } from './faults.ts';
import type { RequestSpec, WorkloadSpec } from './workload.ts';
import { validateWorkload } from './workload.ts';
import { resolveLink } from '../world/network.ts';
import { ConfigError } from '../engine/errors.ts';

/** What a variant's build returns: where traffic enters, plus figures read from outside at the end. */
export interface SystemHandle {
  /** The node a workload request goes to when it names none (a front door, a balancer, the monolith). */
  entry: string | ((request: RequestSpec) => string);
  /** Consistency figures for the report (orders non-final, stale reads…), read at the end of the run. */
  metrics?(run: CheckContext): Record<string, number>;
  /** Called when the workload stops and faults heal, before the quiesce phase (e.g. to stop a load generator). */
  onQuiesce?(): void;
  /** A client-side history to keep in the result (`VariantResult.history`), read at the end; a system asks for it by having this. */
  history?(): WitnessOperation[];
}

/** Context for building a variant. */
export interface BuildEnv {
  seed: number;
  /** The variant's `build` stream, for random choices while building. */
  rng: Rng;
  /** Swarm options drawn for this seed (empty when the scenario declares none). */
  options: Readonly<Record<string, number>>;
  /** The variant being built. */
  variant: string;
}

/** One architecture to compare. Every variant of a scenario runs on the same seed and workload. */
export interface VariantDefinition<S extends SystemHandle = SystemHandle> {
  name: string;
  description?: string;
  build(world: World, env: BuildEnv): S;
  /** Faults for this variant only, added to the scenario's. */
  faults?: ScheduledFault[];
}

/** A swarm option: a range each seed draws from (integers when `integer`). */
export interface OptionRange {
  min: number;
  max: number;
  integer?: boolean;
  /** Value used by `sim run` without `--swarm`; default: min. */
  default?: number;
}

/** A scenario as written in a scenario file. */
export interface ScenarioDefinition<S extends SystemHandle = SystemHandle> {
  name: string;
  description: string;
  /** Virtual run length with workload and faults. */
  durationMs: number;
  /** After the run: workload stops, faults heal, `eventually` checks get this long. Default 10000. */
  quiesceMs?: number;
  /** Event budget per variant; exceeding it is a liveness failure. Default 20,000,000. */
  maxEvents?: number;
  /** How often `always` checks are sampled, in virtual ms. Default 250. */
  checkIntervalMs?: number;
  /** Width of report time buckets. Default 1000. */
  bucketMs?: number;
  /** Default link for every pair of nodes. */
  network?: LinkOptions;
  /** Defaults for nodes that set none. */
  nodeDefaults?: NodeOptions;
  workload: WorkloadSpec;
  variants: VariantDefinition<S>[];
  faults?: ScheduledFault[];
  /** Random faults drawn per seed, added to `faults`. */
  faultRegime?: FaultRegime;
  checks?: Check<S>[];
  /** Swarm options: each seed draws its own values (see `sim sweep --swarm`). */
  options?: Record<string, OptionRange>;
  /**
   * Which way each custom figure (a key of `SystemHandle.metrics()`) is better, for `sim compare`'s
   * verdicts: `{ ordersConfirmed: 'higher', compensations: 'lower' }`. Undeclared ones are only
   * called higher or lower.
   */
  figures?: Record<string, 'higher' | 'lower' | 'neither'>;
  /**
   * Programmer errors thrown by service code (a TypeError, a plain Error…: anything but a
   * ServiceError or RpcError) fail the run by default. Set true only for a scenario that plants
   * such bugs on purpose: they then fail just their requests and are still listed in `errors`.
   */
  tolerateServiceErrors?: boolean;
}

/** A validated scenario with its defaults filled in. */
export interface Scenario<S extends SystemHandle = SystemHandle> extends ScenarioDefinition<S> {
  readonly kind: 'dsim.scenario';
  quiesceMs: number;
  maxEvents: number;
  checkIntervalMs: number;
  bucketMs: number;
  faults: ScheduledFault[];
  checks: Check<S>[];
  options: Record<string, OptionRange>;
}

/** Validates a scenario definition and fills its defaults; throws ConfigError on bad input. */
export function scenario<S extends SystemHandle>(definition: ScenarioDefinition<S>): Scenario<S> {
  const where = `scenario '${definition?.name ?? '?'}'`;
  if (!definition || typeof definition !== 'object') throw new ConfigError('scenario() needs an object with name, workload and variants');
  if (typeof definition.name !== 'string' || definition.name.trim() === '') throw new ConfigError('scenario name is missing: give it a non-empty name');
  if (!(definition.durationMs > 0 && Number.isFinite(definition.durationMs))) {
    throw new ConfigError(`${where}: durationMs is ${definition.durationMs}; use a finite number of ms > 0`);
  }
  if (!Array.isArray(definition.variants) || definition.variants.length === 0) {
    throw new ConfigError(`${where} has no variants: declare at least one { name, build }`);
  }
  const names = new Set<string>();
  for (const variant of definition.variants) {
    if (!variant || typeof variant.name !== 'string' || typeof variant.build !== 'function') {
      throw new ConfigError(`${where}: each variant needs a name and a build(world, env) function`);
    }
    if (names.has(variant.name)) throw new ConfigError(`${where}: variant name '${variant.name}' is used twice; names must be unique`);
    names.add(variant.name);
  }
  if (!definition.workload) throw new ConfigError(`${where} has no workload: declare an open or closed workload`);
  validateWorkload(definition.workload);
  if (definition.network) resolveLink(definition.network, undefined, `${where} network`);
  if (definition.faultRegime) validateRegime(definition.faultRegime);
  const checkNames = new Set<string>();
  for (const check of definition.checks ?? []) {
    if (checkNames.has(check.name)) throw new ConfigError(`${where}: check name '${check.name}' is used twice; names must be unique`);
    checkNames.add(check.name);
  }
  for (const [name, better] of Object.entries(definition.figures ?? {})) {
    if (better !== 'higher' && better !== 'lower' && better !== 'neither') throw new ConfigError(`${where}: figures.${name} is '${String(better)}'; use 'higher', 'lower' or 'neither'`);
  }
  for (const [name, range] of Object.entries(definition.options ?? {})) {
    if (!(range.min <= range.max) || !Number.isFinite(range.min) || !Number.isFinite(range.max)) {
      throw new ConfigError(`${where}: option '${name}' needs finite min <= max`);
    }
  }
  const positive = (value: number | undefined, fallback: number, field: string): number => {
    const resolved = value ?? fallback;
    if (!(resolved > 0 && Number.isFinite(resolved))) throw new ConfigError(`${where}: ${field} is ${resolved}; use a finite number > 0`);
    return resolved;
  };
  return {
    ...definition,
    kind: 'dsim.scenario',
    quiesceMs: value0(definition.quiesceMs, 10_000, `${where}: quiesceMs`),
    maxEvents: positive(definition.maxEvents, 20_000_000, 'maxEvents'),
    checkIntervalMs: positive(definition.checkIntervalMs, 250, 'checkIntervalMs'),
    bucketMs: positive(definition.bucketMs, 1000, 'bucketMs'),
    faults: definition.faults ?? [],
    checks: definition.checks ?? [],
    options: definition.options ?? {},
  };
}

function value0(value: number | undefined, fallback: number, where: string): number {
  const resolved = value ?? fallback;
  if (!(resolved >= 0 && Number.isFinite(resolved))) throw new ConfigError(`${where} is ${resolved}; use a finite number >= 0`);
  return resolved;
}

/** True for a value made by `scenario()`. */
export function isScenario(value: unknown): value is Scenario {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'dsim.scenario';
}

/** The world options a scenario implies. */
export function worldOptions(definition: Scenario): WorldOptions {
  return {
    ...(definition.network ? { network: definition.network } : {}),
    ...(definition.nodeDefaults ? { nodeDefaults: definition.nodeDefaults } : {}),
  };
}
