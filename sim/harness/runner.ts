// Runs a scenario: for each variant, builds a world on the seed, drives the workload, applies the
// fault schedule, samples checks, heals, lets the system quiesce, and collects the result.
import { World, CLIENT } from '../world/world.ts';
import { installGuard, SIMULATION_EPOCH_MS } from '../engine/guard.ts';
import { Rng } from '../engine/rng.ts';
import { evaluate, type Check, type CheckContext, type Failure } from './checks.ts';
import type { ClientObserver } from '../world/client.ts';
import { drawSchedule, scheduleFaults, validateSchedule, describeScheduledFault, type ScheduledFault } from './faults.ts';
import { WorkloadDriver, WorkloadMetrics, type RequestSpec } from './workload.ts';
import { worldOptions, type Scenario, type SystemHandle, type VariantDefinition } from './scenario.ts';
import { ConfigError, EngineInvariantError, errorMessage } from '../engine/errors.ts';
import { isDsimOwnError } from '../world/service-errors.ts';
import { serviceFailures, serviceFigures } from './service-failures.ts';
import { SloMonitor } from './slo.ts';
import { nodeFigures } from './node-figures.ts';
import { TimelineRecorder } from './timeline-recorder.ts';
import type { NodeCpuSummary, ScenarioResult, TimelineEntry, VariantResult } from './result.ts';
import { timelineKinds } from './timeline.ts';
import { failureEvents } from './failure-events.ts';
import { Trace, type TraceSink } from '../engine/trace.ts';
import { variantStarting } from './run-progress.ts';

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
  /** Indexes of the only workload requests sent (shrinking keeps the few a failure needs). */
  onlyRequests?: number[];
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

/** Failures recorded from failure events; beyond it they are counted in the trace only. */
const MAX_EVENT_FAILURES = 100;

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
  variantStarting({ scenario: definition.name, seed: plan.seed, variant: variant.name });
  const world = new World(plan.seed, worldOptions(definition));
  attachObservers(world, observers);
  const timeline = recordTimeline(world);
  const metrics = new WorkloadMetrics(definition.bucketMs);
  world.observeClients(countScriptedRequests(metrics));
  const checks = new CheckSampler(definition.checks);
  const slos = new SloMonitor(definition.checks, plan.faults, plan.durationMs);
  slos.attach(metrics);
  recordFailureEvents(world, checks);
  const uninstall = guardRun(world);
  let system: SystemHandle | undefined;
  try {
    system = buildSystem(variant, world, plan);
    await drive(definition, plan, world, system, metrics, checks);
  } catch (error) {
    // Bad input and dsim's own bugs stop the run; anything else is a bug in the user's code.
    if (error instanceof ConfigError || error instanceof EngineInvariantError || isDsimOwnError(error)) {
      uninstall();
      throw error;
    }
    checks.failures.push({ kind: 'crash', check: 'simulator', atMs: world.nowMs, message: errorMessage(error) });
  }
  // metrics() is simulated code too: it still runs under the guard.
  let consistency: Record<string, number>;
  try {
    consistency = readSystemMetrics(system, checks, { world, nowMs: world.nowMs, metrics });
  } finally {
    uninstall();
  }
  // The system's own figures close the trace: state that differs between runs without ever being
  // sent (a counter kept across runs) still changes the hash, and the check names this event.
  world.sim.trace.emitData(world.nowMs, 'run.metrics', 'scenario', undefined, undefined, undefined, consistency);
  const service = serviceFigures(world);
  // A guard refusal stops the run (a 'simulator' failure) and, thrown in service code, is also a
  // bug the world grouped by node and method: report it once, the way that names where it was.
  const grouped = new Set(service.errors.filter((group) => group.bug).map((group) => group.message));
  checks.failures = checks.failures.filter((failure) => !(failure.check === 'simulator' && grouped.has(failure.message)));
  checks.failures.push(...serviceFailures(world, service, definition.tolerateServiceErrors ?? false));
  const endpointNames = metrics.endpoints.names();
  checks.failures.push(...slos.evaluate(world.nowMs, endpointNames, plan.maxRequests === undefined));
  const result = collectResult(variant.name, plan, world, metrics, checks, consistency, timeline.entries);
  result.errors = service.errors;
  result.hungRequests = service.hungRequests;
  if (system?.history) {
    try {
      result.history = system.history();
    } catch (error) {
      checks.failures.push({ kind: 'crash', check: 'history', atMs: world.nowMs, message: errorMessage(error) });
      result.ok = false;
    }
  }
  return result;
}

function attachObservers(world: World, observers: RunObservers): void {
  for (const sink of observers.sinks ?? []) world.sim.trace.addSink(sink);
  for (const { kinds, sink } of observers.filteredSinks ?? []) world.sim.trace.addFilteredSink(kinds, sink);
}

/** Records the registered timeline kinds, bounded per kind (see TimelineRecorder). */
function recordTimeline(world: World): TimelineRecorder {
  const timeline = new TimelineRecorder();
  world.sim.trace.addFilteredSink(timelineKinds(), timeline.sink);
  return timeline;
}

/** Registered failure events (a component that gave up) become failures, the first MAX_EVENT_FAILURES of them. */
function recordFailureEvents(world: World, checks: CheckSampler): void {
  const registered = failureEvents();
  if (registered.size === 0) return;
  let recorded = 0;
  world.sim.trace.addFilteredSink(registered.keys(), (event) => {
    if (recorded++ >= MAX_EVENT_FAILURES) return;
    checks.failures.push({ kind: registered.get(event.kind)!, check: event.kind, atMs: event.atMs, message: `${event.node}: ${event.detail ?? ''}`.trim() });
  });
}

/** Scripted clients' requests count in the metrics exactly like the workload's. */
function countScriptedRequests(metrics: WorkloadMetrics): ClientObserver {
  return {
    sent: () => {
      metrics.sent++;
    },
    finished: (endpoint, startMs, endMs, outcome) => metrics.record(endpoint, startMs, endMs, outcome),
  };
}

/** Replaces real time and Math.random with the run's clock and a stream of its seed; returns the undo. */
function guardRun(world: World): () => void {
  const sim = world.sim;
  const guardRandom = sim.rng.fork('Math.random');
  // A refusal stops the run even when simulated code catches the error it throws.
  return installGuard({ random: () => guardRandom.next(), nowMs: () => sim.nowMs, epochMs: SIMULATION_EPOCH_MS, onRefusal: (error) => sim.fail(error) });
}

function buildSystem(variant: VariantDefinition, world: World, plan: RunPlan): SystemHandle {
  const system = variant.build(world, { seed: plan.seed, rng: world.sim.rng.fork('build'), options: plan.options, variant: variant.name });
  if (!system || (typeof system.entry !== 'string' && typeof system.entry !== 'function')) {
    throw new ConfigError(`variant '${variant.name}' build() must return an object with an entry node name`);
  }
  if (typeof system.entry === 'string' && !world.hasNode(system.entry)) world.node(system.entry);
  validateSchedule(plan.faults, world);
  return system;
}

/**
 * Samples checks during a run: `always` checks record their first failure, `sometimes` checks
 * whether they were ever reached; `eventually` checks are settled by `quiesce`.
 */
class CheckSampler {
  failures: Failure[] = [];
  readonly failed = new Set<string>();
  readonly coverage: Record<string, boolean> = {};

  constructor(readonly checks: readonly Check<SystemHandle>[]) {
    for (const check of checks) if (check.kind === 'sometimes') this.coverage[check.name] = false;
  }

  sample(run: CheckContext<SystemHandle>): void {
    for (const check of this.checks) {
      if (check.kind === 'sometimes') {
        if (!this.coverage[check.name] && evaluate(check, run).holds) this.coverage[check.name] = true;
        continue;
      }
      if (check.kind !== 'always' || this.failed.has(check.name)) continue;
      const verdict = evaluate(check, run);
      if (!verdict.holds) this.fail('correctness', check.name, run.nowMs, verdict.message, verdict.witness);
    }
  }

  fail(kind: Failure['kind'], check: string, atMs: number, message: string, witness?: Failure['witness']): void {
    this.failed.add(check);
    const failure: Failure = { kind, check, atMs, message };
    if (witness) failure.witness = witness;
    this.failures.push(failure);
  }
}

/** The load phase (workload, faults, sampled checks), then the quiesce phase. */
async function drive(definition: Scenario, plan: RunPlan, world: World, system: SystemHandle, metrics: WorkloadMetrics, checks: CheckSampler): Promise<void> {
  const sim = world.sim;
  const entryOf = typeof system.entry === 'string' ? constantEntry(system.entry) : system.entry;
  const workload = {
    ...definition.workload,
    ...(plan.maxRequests !== undefined ? { maxRequests: plan.maxRequests } : {}),
    ...(plan.onlyRequests !== undefined ? { onlyRequests: plan.onlyRequests } : {}),
  };
  const driver = new WorkloadDriver(world, workload, entryOf, metrics, plan.durationMs);
  const healAll = scheduleFaults(world, plan.faults);
  const sample = (): void => checks.sample({ system, world, nowMs: sim.nowMs, metrics });
  const sampler = (): void => {
    sample();
    sim.daemon(definition.checkIntervalMs, sampler);
  };
  sim.daemon(definition.checkIntervalMs, sampler);
  driver.start();

  // The whole duration runs, background work included, even when the workload leaves gaps.
  const mainStop = await sim.run({ untilMs: plan.durationMs, maxEvents: definition.maxEvents, stopWhenIdle: false });
  if (mainStop.reason === 'budget') {
    checks.failures.push(budgetFailure(definition.maxEvents, sim.nowMs, plan.durationMs));
    return;
  }
  sample();
  // Quiesce: the workload stops, every fault heals, crashed nodes come back.
  driver.stop();
  healAll();
  for (const node of world.allNodes()) if (node.status === 'down' && !node.removed) world.restart(node.name);
  system.onQuiesce?.();
  await quiesce(definition, world, system, metrics, checks);
}

/** The system's own figures for the report; a throwing `metrics()` is a crash failure. */
function readSystemMetrics(system: SystemHandle | undefined, checks: CheckSampler, run: Omit<CheckContext, 'system'>): Record<string, number> {
  if (!system?.metrics) return {};
  try {
    return system.metrics({ ...run, system });
  } catch (error) {
    checks.failures.push({ kind: 'crash', check: 'metrics', atMs: run.nowMs, message: errorMessage(error) });
    return {};
  }
}

function collectResult(
  name: string,
  plan: RunPlan,
  world: World,
  metrics: WorkloadMetrics,
  checks: CheckSampler,
  consistency: Record<string, number>,
  timeline: TimelineEntry[],
): VariantResult {
  const sim = world.sim;
  const totals = { total: metrics.sent, ok: metrics.ok, failed: metrics.failed };
  // Requests still open at the very end never answered: they count as failed.
  totals.failed += Math.max(0, metrics.sent - (metrics.ok + metrics.failed));
  const latency = metrics.latency.summary();
  const successLatency = metrics.successLatency.summary();
  const costMs = world.allNodes().reduce((sum, node) => sum + node.uptimeMs(), 0);
  const result: VariantResult = {
    name,
    ok: checks.failures.length === 0,
    traceHash: sim.trace.hash,
    simulatedMs: sim.nowMs,
    events: sim.events,
    failures: checks.failures,
    metrics: {
      requests: totals,
      latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, p999: latency.p999, max: latency.max, mean: latency.mean },
      successLatencyMs: { p50: successLatency.p50, p90: successLatency.p90, p99: successLatency.p99, p999: successLatency.p999, max: successLatency.max, mean: successLatency.mean },
      availability: totals.total === 0 ? 1 : totals.ok / totals.total,
      throughputPerSec: totals.ok / (plan.durationMs / 1000),
      costInstanceSeconds: costMs / 1000,
      errors: Object.fromEntries(metrics.errors),
      endpoints: metrics.endpoints.endpoints(),
      consistency,
      processErrors: world.processErrors,
      nodes: nodeFigures(world.allNodes(), sim.nowMs),
    },
    faultSchedule: plan.faults,
    faults: plan.faults.map(describeScheduledFault),
    coverage: checks.coverage,
    options: plan.options,
    series: metrics.series.buckets(),
    timeline,
  };
  if (plan.maxRequests !== undefined) result.maxRequests = plan.maxRequests;
  const cpu = cpuSummaries(world);
  if (cpu.length > 0) result.metrics.cpu = cpu;
  return result;
}

/**
 * After the load: lets in-flight requests finish and background work run until every eventually
 * check holds (or `quiesceMs` runs out, a liveness failure per check still pending).
 */
async function quiesce(definition: Scenario, world: World, system: SystemHandle, metrics: WorkloadMetrics, checks: CheckSampler): Promise<void> {
  const sim = world.sim;
  const healedAtMs = sim.nowMs;
  const endMs = healedAtMs + definition.quiesceMs;
  const run = (): CheckContext<SystemHandle> => ({ system, world, nowMs: sim.nowMs, metrics });
  /** Workload requests sent and not yet answered: the quiesce phase lets them finish. */
  const inFlight = (): number => metrics.sent - metrics.ok - metrics.failed;
  const pending = definition.checks.filter((check) => check.kind === 'eventually');
  const lastMessage = new Map<string, string>();
  const settle = (): void => {
    for (let index = pending.length - 1; index >= 0; index--) {
      const check = pending[index]!;
      const verdict = evaluate(check, run());
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
      checks.failures.push(budgetFailure(definition.maxEvents, sim.nowMs, endMs));
      return;
    }
    settle();
    for (const check of pending) {
      if (check.withinMs !== undefined && sim.nowMs - healedAtMs > check.withinMs && !checks.failed.has(check.name)) {
        checks.fail('liveness', check.name, sim.nowMs, `not reached within ${check.withinMs} ms after faults healed: ${lastMessage.get(check.name) ?? ''}`.trim());
      }
    }
    // Idle: nothing is left at all (run() stops on idle only without pending checks, or when the
    // queue is empty and unbounded), so waiting longer cannot change anything.
    if (stop.reason === 'idle') break;
  }
  checks.sample(run());
  for (const check of pending) {
    if (checks.failed.has(check.name)) continue;
    checks.fail('liveness', check.name, sim.nowMs, `not reached ${Math.round(sim.nowMs - healedAtMs)} ms after faults healed: ${lastMessage.get(check.name) ?? ''}`.trim());
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
