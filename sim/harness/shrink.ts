// Shrinking a failing run plan by delta debugging: the seed stays, the fault schedule, the workload
// and the run length get smaller while the caller's `stillFails` says the same check still fails.
import type { RunPlan } from './runner.ts';
import type { ScheduledFault } from './faults.ts';
import { isCallFault } from './call-faults.ts';

/** Reruns a candidate plan; true when it still fails the way the original did. */
export type StillFails = (plan: RunPlan) => Promise<boolean>;

/** How big a plan is, for "before → after" lines. */
export interface PlanSize {
  /** Faults in the schedule. */
  faults: number;
  /** Sum of the faults' durations, ms (a fault without a duration counts 0). */
  faultMs: number;
  /** Requests the workload may send: the cap, or how many requests shrinking kept; undefined when the plan has no cap. */
  maxRequests: number | undefined;
  /** Virtual run length before the quiesce phase, ms. */
  durationMs: number;
}

/** Options of `shrinkPlan`. */
export interface ShrinkOptions {
  /** Most candidate runs; the smallest failing plan found so far is returned when they run out. Default 300. */
  maxRuns?: number;
  /**
   * Requests the failing run sent, used as the starting cap when the plan has no `maxRequests`,
   * so the workload can shrink too.
   */
  requestsSent?: number;
  /** Called after each accepted reduction, with the runs spent so far. */
  onReduced?: (plan: RunPlan, runs: number) => void;
}

/** What `shrinkPlan` found. */
export interface ShrinkOutcome {
  /** The smallest plan found that still fails. */
  plan: RunPlan;
  /** Candidate runs spent (repeated candidates are not rerun). */
  runs: number;
  /** True when `maxRuns` stopped the search early. */
  budgetSpent: boolean;
  before: PlanSize;
  after: PlanSize;
}

/** The size of a plan. */
export function planSize(plan: RunPlan): PlanSize {
  return {
    faults: plan.faults.length,
    faultMs: plan.faults.reduce((sum, scheduled) => sum + (scheduled.durationMs ?? 0), 0),
    maxRequests: plan.onlyRequests !== undefined && plan.maxRequests !== undefined ? Math.min(plan.maxRequests, plan.onlyRequests.length) : plan.maxRequests,
    durationMs: plan.durationMs,
  };
}

/** Most shrinking rounds; each round runs every pass once, and a round that changes nothing ends the search. */
const MAX_ROUNDS = 4;

/**
 * Shrinks a failing plan. Passes, repeated until none makes progress: drop faults (ddmin over the
 * schedule), cut the run length, shorten each fault, lower each per-call fault's injection rate,
 * move each fault earlier, lower the request cap, keep only the requests the failure needs (ddmin
 * over request indexes). Every accepted candidate was confirmed failing by `stillFails`, so the
 * result always fails.
 * The seed and variant never change: a replay of the result reproduces the failure exactly.
 */
export async function shrinkPlan(original: RunPlan, stillFails: StillFails, options: ShrinkOptions = {}): Promise<ShrinkOutcome> {
  const maxRuns = options.maxRuns ?? 300;
  const tried = new Map<string, boolean>();
  let runs = 0;
  let budgetSpent = false;
  let current = clonePlan(original);

  // A candidate that is tried twice is answered from memory; past the budget every candidate "passes".
  const fails = async (candidate: RunPlan): Promise<boolean> => {
    const key = JSON.stringify(candidate);
    const known = tried.get(key);
    if (known !== undefined) return known;
    if (runs >= maxRuns) {
      budgetSpent = true;
      return false;
    }
    runs++;
    const verdict = await stillFails(candidate);
    tried.set(key, verdict);
    if (verdict) options.onReduced?.(candidate, runs);
    return verdict;
  };
  tried.set(JSON.stringify(current), true);
  // A cap equal to what the run sent should change nothing; it is kept only once a run confirms it.
  if (current.maxRequests === undefined && options.requestsSent !== undefined) {
    const capped = { ...current, maxRequests: options.requestsSent };
    if (await fails(capped)) current = capped;
  }

  for (let round = 0; round < MAX_ROUNDS && !budgetSpent; round++) {
    const start = JSON.stringify(current);
    current = await dropFaults(current, fails);
    current = await cutDuration(current, fails);
    current = await shortenFaults(current, fails);
    current = await lowerInjectionRates(current, fails);
    current = await moveFaultsEarlier(current, fails);
    current = await lowerRequestCap(current, fails);
    current = await dropRequests(current, fails);
    if (JSON.stringify(current) === start) break;
  }
  const before = planSize(original);
  // Without a cap, the requests the failing run sent are its workload size.
  before.maxRequests ??= options.requestsSent;
  return { plan: current, runs, budgetSpent, before, after: planSize(current) };
}

/**
 * Minimal failing subset by delta debugging (Zeller's ddmin): tries chunks, then complements, at
 * ever finer granularity. Tries the empty list first, since a failure may need no item at all.
 */
export async function ddmin<T>(items: readonly T[], fails: (subset: T[]) => Promise<boolean>): Promise<T[]> {
  let current = [...items];
  if (current.length === 0) return current;
  if (await fails([])) return [];
  let granularity = 2;
  while (current.length >= 2) {
    const chunks = split(current, granularity);
    let reduced = false;
    for (const chunk of chunks) {
      if (await fails(chunk)) {
        current = chunk;
        granularity = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && granularity > 2) {
      for (let index = 0; index < chunks.length; index++) {
        const complement = chunks.filter((_, other) => other !== index).flat();
        if (await fails(complement)) {
          current = complement;
          granularity = Math.max(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (reduced) continue;
    if (granularity >= current.length) break;
    granularity = Math.min(granularity * 2, current.length);
  }
  return current;
}

/** Splits a list into `parts` contiguous chunks of near-equal size, none empty. */
function split<T>(items: T[], parts: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let part = 0; part < parts; part++) {
    const end = start + Math.ceil((items.length - start) / (parts - part));
    if (end > start) chunks.push(items.slice(start, end));
    start = end;
  }
  return chunks;
}

/**
 * The smallest value in [floor, value] that still fails, by bisection (exact for a monotone
 * failure; otherwise still a value confirmed failing). Stops when the gap is within `slack(hi)`.
 */
export async function lowestFailing(value: number, floor: number, fails: (candidate: number) => Promise<boolean>, slack: (hi: number) => number = () => 1): Promise<number> {
  if (value <= floor) return value;
  if (await fails(floor)) return floor;
  let low = floor;
  let high = value;
  while (high - low > Math.max(1, slack(high))) {
    const middle = Math.floor((low + high) / 2);
    if (middle <= low || middle >= high) break;
    if (await fails(middle)) high = middle;
    else low = middle;
  }
  return high;
}

type Fails = (plan: RunPlan) => Promise<boolean>;

async function dropFaults(plan: RunPlan, fails: Fails): Promise<RunPlan> {
  const kept = await ddmin(plan.faults, (subset) => fails({ ...plan, faults: subset }));
  return { ...plan, faults: kept };
}

/** Run length: no shorter than needed for every remaining fault to start. */
async function cutDuration(plan: RunPlan, fails: Fails): Promise<RunPlan> {
  const floor = Math.max(1, ...plan.faults.map((scheduled) => Math.floor(scheduled.atMs) + 1));
  const durationMs = await lowestFailing(plan.durationMs, floor, (candidate) => fails({ ...plan, durationMs: candidate }), (high) => high / 32);
  return { ...plan, durationMs };
}

async function shortenFaults(plan: RunPlan, fails: Fails): Promise<RunPlan> {
  let current = plan;
  for (let index = 0; index < current.faults.length; index++) {
    const scheduled = current.faults[index]!;
    if (scheduled.durationMs === undefined || scheduled.durationMs <= 1) continue;
    const base = current;
    const durationMs = await lowestFailing(scheduled.durationMs, 1, (candidate) => fails(withFault(base, index, { ...scheduled, durationMs: candidate })), (high) => high / 16);
    current = withFault(base, index, { ...scheduled, durationMs });
  }
  return current;
}

/** Per-call faults: the lowest injection rate (in steps of 0.001) that still fails. */
async function lowerInjectionRates(plan: RunPlan, fails: Fails): Promise<RunPlan> {
  let current = plan;
  for (let index = 0; index < current.faults.length; index++) {
    const scheduled = current.faults[index]!;
    const fault = scheduled.fault;
    const steps = isCallFault(fault) ? Math.round(fault.rate * RATE_STEPS) : 0;
    if (!isCallFault(fault) || steps <= 1) continue;
    const base = current;
    // Dividing whole steps keeps rates printable (0.3, not 0.30000000000000004).
    const withRate = (candidate: number): ScheduledFault => ({ ...scheduled, fault: { ...fault, rate: candidate / RATE_STEPS } });
    const lowest = await lowestFailing(steps, 1, (candidate) => fails(withFault(base, index, withRate(candidate))), (high) => high / 16);
    if (lowest < steps) current = withFault(base, index, withRate(lowest));
  }
  return current;
}

/** Injection rates are shrunk in steps of 1 / RATE_STEPS. */
const RATE_STEPS = 1000;

async function moveFaultsEarlier(plan: RunPlan, fails: Fails): Promise<RunPlan> {
  let current = plan;
  // Faults are identified by position in the sorted schedule; moving one may reorder it, so walk
  // a snapshot of the faults and look each up again.
  for (const scheduled of [...plan.faults]) {
    const index = current.faults.indexOf(scheduled);
    if (index < 0 || scheduled.atMs <= 0) continue;
    const base = current;
    const atMs = await lowestFailing(scheduled.atMs, 0, (candidate) => fails(withFault(base, index, { ...scheduled, atMs: candidate })), (high) => high / 16);
    if (atMs !== scheduled.atMs) current = withFault(base, index, { ...scheduled, atMs });
  }
  return current;
}

async function lowerRequestCap(plan: RunPlan, fails: Fails): Promise<RunPlan> {
  if (plan.maxRequests === undefined) return plan;
  // Below the last kept request the cap would only repeat what dropping requests decided.
  const floor = (plan.onlyRequests ?? []).reduce((highest, index) => Math.max(highest, index + 1), 0);
  const maxRequests = await lowestFailing(plan.maxRequests, floor, (candidate) => fails({ ...plan, maxRequests: candidate }));
  return { ...plan, maxRequests };
}

/**
 * Keeps only the requests the failure needs (ddmin over request indexes below the cap): a history
 * violation then shows in a handful of operations rather than the whole prefix before it.
 */
async function dropRequests(plan: RunPlan, fails: Fails): Promise<RunPlan> {
  if (plan.maxRequests === undefined) return plan;
  const cap = plan.maxRequests;
  const sent = plan.onlyRequests?.filter((index) => index < cap) ?? Array.from({ length: cap }, (_, index) => index);
  const kept = await ddmin(sent, (subset) => fails({ ...plan, onlyRequests: subset }));
  if (kept.length === sent.length && plan.onlyRequests === undefined) return plan;
  return { ...plan, onlyRequests: kept };
}

/** A copy of the plan with fault `index` replaced, the schedule kept sorted by time (stable). */
function withFault(plan: RunPlan, index: number, replacement: ScheduledFault): RunPlan {
  const faults = plan.faults.map((scheduled, other) => (other === index ? replacement : scheduled));
  faults.sort((a, b) => a.atMs - b.atMs);
  return { ...plan, faults };
}

function clonePlan(plan: RunPlan): RunPlan {
  return structuredClone(plan);
}
