// Runs a scenario: for each variant, builds a world on the seed, drives the workload, applies the
// fault schedule, samples checks, heals, lets the system quiesce, and collects the result.
import { World, CLIENT } from '../world/world.ts';
import { installGuard } from '../engine/guard.ts';
import { Rng } from '../engine/rng.ts';
import { evaluate, type Failure } from './checks.ts';
import { drawSchedule, scheduleFaults, validateSchedule, describeScheduledFault, type ScheduledFault } from './faults.ts';
import { WorkloadDriver, WorkloadMetrics, type RequestSpec } from './workload.ts';
import { worldOptions, type Scenario, type SystemHandle, type VariantDefinition } from './scenario.ts';
import { ConfigError, errorMessage } from '../engine/errors.ts';
import type { NodeCpuSummary, ScenarioResult, TimelineEntry, VariantResult } from './result.ts';
import { Trace, type TraceSink } from '../engine/trace.ts';

/** Everything that decides a variant's run: replaying a plan reproduces the run exactly. */
export interface RunPlan {
  seed: number;
  variant: string;
  /** The concrete fault schedule (fixed faults plus those drawn from the regime). */
  faults: ScheduledFault[];
  /** Virtual run length before the quiesce phase. */
  durationMs: number;
  /** Cap on workload requests (shrinking lowers it). */
  maxRequests?: number;
  /** Swarm option values. */
  options: Record<string, number>;
}

/** Extra observers for one run. */
export interface RunObservers {
  /** Receive every trace event (determinism checks). */
  sinks?: TraceSink[];
  /** Receive only events of the given kinds (trace exports): much cheaper on the hot path. */
  filteredSinks?: { kinds: readonly string[]; sink: TraceSink }[];
}

/** Trace kinds kept in a result's timeline for charts. */
export const TIMELINE_KINDS = [
  'fault',
  'fault.end',
  'node.crash',
  'node.restart',
  'node.pause',
  'node.resume',
  'breaker.state',
  'saga.compensate',
  'saga.done',
  'scale',
  'deploy',
  'rollback',
];
const MAX_TIMELINE_ENTRIES = 2000;

/** Finds a variant by name; a ConfigError lists the names when there is none. */
export function findVariant<S extends SystemHandle>(definition: Scenario<S>, name: string): VariantDefinition<S> {
  const variant = definition.variants.find((candidate) => candidate.name === name);
  if (!variant) {
    throw new ConfigError(`unknown variant '${name}': ${definition.name} has ${definition.variants.map((v) => v.name).join(', ')}`);
  }
  return variant;
}

/** Draws swarm options for a seed; defaults (min) when `swarm` is false. */
export function drawOptions(definition: Scenario, seed: number, swarm: boolean): Record<string, number> {
  const rng = new Rng(seed, 'options').fork('options');
  const options: Record<string, number> = {};
  for (const [name, range] of Object.entries(definition.options)) {
    if (!swarm) {
      options[name] = range.default ?? range.min;
      continue;
    }
    const value = range.integer ? rng.int(range.min, range.max + 1) : rng.uniform(range.min, range.max);
    options[name] = value;
  }
  return options;
}

/**
 * The plan for one variant on one seed: the scenario's fixed faults, the variant's own, and (for a
 * regime) faults drawn from the seed's `faults` stream. Every variant draws the same regime faults.
 */
export function planFor(definition: Scenario, seed: number, variantName: string, swarm = false): RunPlan {
  const variant = findVariant(definition, variantName);
  const faults = [...definition.faults, ...(variant.faults ?? [])];
  if (definition.faultRegime) {
    const rng = new Rng(seed, 'plan').fork('faults');
    faults.push(...drawSchedule(definition.faultRegime, definition.durationMs, rng));
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  const plan: RunPlan = { seed, variant: variantName, faults, durationMs: definition.durationMs, options: drawOptions(definition, seed, swarm) };
  if (definition.workload.maxRequests !== undefined) plan.maxRequests = definition.workload.maxRequests;
  return plan;
}

/** Runs one variant according to a plan. The nondeterminism guard is held for the whole run. */
export async function runVariant(definition: Scenario, plan: RunPlan, observers: RunObservers = {}): Promise<VariantResult> {
  const variant = findVariant(definition, plan.variant);
  const world = new World(plan.seed, worldOptions(definition));
  const sim = world.sim;
  for (const sink of observers.sinks ?? []) sim.trace.addSink(sink);
  for (const { kinds, sink } of observers.filteredSinks ?? []) sim.trace.addFilteredSink(kinds, sink);
  const timeline: TimelineEntry[] = [];
  sim.trace.addFilteredSink(TIMELINE_KINDS, (event) => {
    if (timeline.length < MAX_TIMELINE_ENTRIES) {
      timeline.push({ atMs: event.atMs, kind: event.kind, node: event.node, detail: event.detail ?? event.peer ?? '' });
    }
  });
  const guardRandom = sim.rng.fork('Math.random');
  const uninstall = installGuard({ random: () => guardRandom.next(), nowMs: () => sim.nowMs, epochMs: Date.UTC(2030, 0, 1) });
  const failures: Failure[] = [];
  const failedChecks = new Set<string>();
  const coverage: Record<string, boolean> = {};
  const metrics = new WorkloadMetrics(definition.bucketMs);
  let system: SystemHandle | undefined;
  try {
    system = variant.build(world, { seed: plan.seed, rng: sim.rng.fork('build'), options: plan.options, variant: variant.name });
    if (!system || (typeof system.entry !== 'string' && typeof system.entry !== 'function')) {
      throw new ConfigError(`variant '${variant.name}' build() must return an object with an entry node name`);
    }
    if (typeof system.entry === 'string' && !world.hasNode(system.entry)) world.node(system.entry);
    validateSchedule(plan.faults, world);
    const built = system;
    const entryOf = typeof built.entry === 'string' ? constantEntry(built.entry) : built.entry;
    const workload = { ...definition.workload, ...(plan.maxRequests !== undefined ? { maxRequests: plan.maxRequests } : {}) };
    const driver = new WorkloadDriver(world, workload, entryOf, metrics, plan.durationMs);
    const healAll = scheduleFaults(world, plan.faults);

    for (const check of definition.checks) if (check.kind === 'sometimes') coverage[check.name] = false;
    const sample = (phaseAtMs: number): void => {
      for (const check of definition.checks) {
        if (check.kind === 'sometimes') {
          if (!coverage[check.name] && evaluate(check, built, phaseAtMs).holds) coverage[check.name] = true;
          continue;
        }
        if (check.kind !== 'always' || failedChecks.has(check.name)) continue;
        const verdict = evaluate(check, built, phaseAtMs);
        if (!verdict.holds) {
          failedChecks.add(check.name);
          failures.push({ kind: 'correctness', check: check.name, atMs: phaseAtMs, message: verdict.message });
        }
      }
    };
    const sampler = (): void => {
      sample(sim.nowMs);
      sim.daemon(definition.checkIntervalMs, sampler);
    };
    sim.daemon(definition.checkIntervalMs, sampler);
    driver.start();

    const budget = definition.maxEvents;
    // The whole duration runs, background work included, even when the workload leaves gaps.
    const mainStop = await sim.run({ untilMs: plan.durationMs, maxEvents: budget, stopWhenIdle: false });
    if (mainStop.reason === 'budget') {
      failures.push(budgetFailure(budget, sim.nowMs, plan.durationMs));
    } else {
      sample(sim.nowMs);
      // Quiesce: the workload stops, every fault heals, crashed nodes come back.
      driver.stop();
      healAll();
      for (const node of world.allNodes()) if (node.status === 'down' && !node.removed) world.restart(node.name);
      built.onQuiesce?.();
      await quiesce(definition, world, built, failures, failedChecks, sample, () => metrics.sent - metrics.ok - metrics.failed);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    failures.push({ kind: 'crash', check: 'simulator', atMs: sim.nowMs, message: errorMessage(error) });
  } finally {
    uninstall();
  }

  const totals = { total: metrics.sent, ok: metrics.ok, failed: metrics.failed };
  const finished = metrics.ok + metrics.failed;
  // Requests still open at the very end never answered: they count as failed.
  totals.failed += Math.max(0, metrics.sent - finished);
  const latency = metrics.latency.summary();
  const costMs = world.allNodes().reduce((sum, node) => sum + node.uptimeMs(), 0);
  let consistency: Record<string, number> = {};
  if (system?.metrics) {
    try {
      consistency = system.metrics();
    } catch (error) {
      failures.push({ kind: 'crash', check: 'metrics', atMs: sim.nowMs, message: errorMessage(error) });
    }
  }
  const result: VariantResult = {
    name: variant.name,
    ok: failures.length === 0,
    traceHash: sim.trace.hash,
    simulatedMs: sim.nowMs,
    events: sim.events,
    failures,
    metrics: {
      requests: totals,
      latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, p999: latency.p999, max: latency.max, mean: latency.mean },
      availability: totals.total === 0 ? 1 : totals.ok / totals.total,
      throughputPerSec: totals.ok / (plan.durationMs / 1000),
      costInstanceSeconds: costMs / 1000,
      errors: Object.fromEntries(metrics.errors),
      endpoints: metrics.endpoints.endpoints(),
      consistency,
      processErrors: world.processErrors,
    },
    faultSchedule: plan.faults,
    faults: plan.faults.map(describeScheduledFault),
    coverage,
    options: plan.options,
    series: metrics.series.buckets(),
    timeline,
  };
  if (plan.maxRequests !== undefined) result.maxRequests = plan.maxRequests;
  const cpu = cpuSummaries(world);
  if (cpu.length > 0) result.metrics.cpu = cpu;
  return result;
}

async function quiesce(
  definition: Scenario,
  world: World,
  system: SystemHandle,
  failures: Failure[],
  failedChecks: Set<string>,
  sample: (atMs: number) => void,
  /** Workload requests sent and not yet answered: the quiesce phase lets them finish. */
  inFlight: () => number,
): Promise<void> {
  const sim = world.sim;
  const healedAtMs = sim.nowMs;
  const endMs = healedAtMs + definition.quiesceMs;
  const pending = definition.checks.filter((check) => check.kind === 'eventually');
  const lastMessage = new Map<string, string>();
  const settle = (): void => {
    for (let index = pending.length - 1; index >= 0; index--) {
      const check = pending[index]!;
      const verdict = evaluate(check, system, sim.nowMs);
      if (verdict.holds) pending.splice(index, 1);
      else lastMessage.set(check.name, verdict.message);
    }
  };
  const hadEventually = pending.length > 0;
  settle();
  while (sim.nowMs < endMs) {
    // Settled: every eventually-check holds and every workload request has its answer, or (with no
    // eventually-check declared) only background work is left.
    if (pending.length === 0 && inFlight() === 0 && (hadEventually || sim.idle)) break;
    // While checks wait, background work (heartbeats, polls) keeps running: it is often what makes
    // them come true. Without pending checks the run may stop as soon as only daemons are left.
    const stop = await sim.run({
      untilMs: Math.min(endMs, sim.nowMs + definition.checkIntervalMs),
      maxEvents: definition.maxEvents,
      stopWhenIdle: pending.length === 0,
    });
    if (stop.reason === 'budget') {
      failures.push(budgetFailure(definition.maxEvents, sim.nowMs, endMs));
      return;
    }
    settle();
    for (const check of pending) {
      if (check.withinMs !== undefined && sim.nowMs - healedAtMs > check.withinMs && !failedChecks.has(check.name)) {
        failedChecks.add(check.name);
        failures.push({ kind: 'liveness', check: check.name, atMs: sim.nowMs, message: `not reached within ${check.withinMs} ms after faults healed: ${lastMessage.get(check.name) ?? ''}`.trim() });
      }
    }
    // Idle: nothing is left at all (run() stops on idle only without pending checks, or when the
    // queue is empty and unbounded), so waiting longer cannot change anything.
    if (stop.reason === 'idle') break;
  }
  sample(sim.nowMs);
  for (const check of pending) {
    if (failedChecks.has(check.name)) continue;
    failedChecks.add(check.name);
    failures.push({
      kind: 'liveness',
      check: check.name,
      atMs: sim.nowMs,
      message: `not reached ${Math.round(sim.nowMs - healedAtMs)} ms after faults healed: ${lastMessage.get(check.name) ?? ''}`.trim(),
    });
  }
}

/** CPU figures of the nodes that model cores, in the order they were added. */
function cpuSummaries(world: World): NodeCpuSummary[] {
  const summaries: NodeCpuSummary[] = [];
  for (const node of world.allNodes()) {
    if (!node.cpu) continue;
    summaries.push({ node: node.name, cores: node.cpu.cores, busyCoreMs: node.cpu.busyCoreMs(), utilization: node.cpuUtilization() ?? 0 });
  }
  return summaries;
}

function budgetFailure(budget: number, atMs: number, targetMs: number): Failure {
  return {
    kind: 'liveness',
    check: 'event-budget',
    atMs,
    message: `event budget of ${budget} events spent at ${Math.round(atMs)} ms, before ${Math.round(targetMs)} ms: raise maxEvents or look for a livelock`,
  };
}

function constantEntry(name: string): (request: RequestSpec) => string {
  return () => name;
}

/** Options of `runScenario`. */
export interface ScenarioRunOptions {
  /** Run only this variant. */
  variant?: string;
  /** Draw swarm options from the seed. */
  swarm?: boolean;
  /** Extra observers per variant run. */
  observersFor?: (variant: string) => RunObservers;
}

/** Runs every variant of a scenario (or one) on one seed. */
export async function runScenario(definition: Scenario, seed: number, options: ScenarioRunOptions = {}): Promise<ScenarioResult> {
  const names = options.variant !== undefined ? [findVariant(definition, options.variant).name] : definition.variants.map((v) => v.name);
  const variants: VariantResult[] = [];
  for (const name of names) {
    const plan = planFor(definition, seed, name, options.swarm ?? false);
    variants.push(await runVariant(definition, plan, options.observersFor?.(name) ?? {}));
  }
  return assembleResult(definition, seed, variants);
}

/** Builds a scenario result from variant results (also used by replay). */
export function assembleResult(definition: Scenario, seed: number, variants: VariantResult[]): ScenarioResult {
  const combined = new Trace();
  for (const variant of variants) combined.emit(0, 'variant', variant.name, undefined, undefined, variant.traceHash);
  return {
    scenario: definition.name,
    description: definition.description,
    seed,
    ok: variants.every((variant) => variant.ok),
    traceHash: combined.hash,
    variants,
  };
}

export { CLIENT };
