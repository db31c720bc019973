// Replay files: a shrunk failure as JSON (the scenario, the seed, the variant's full RunPlan and the
// check it fails), written by `sim shrink` and rerun exactly by `sim run <scenario> --replay FILE`.
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError, oneLine } from './cli-errors.ts';
import { writeFileAtomic } from '../reports/atomic-write.ts';
import { assembleResult, runVariant, type RunPlan, type RunObservers } from '../sim/runner.ts';
import type { Scenario } from '../sim/scenario.ts';
import type { FailureKind } from '../sim/checks.ts';
import type { ScenarioResult } from '../sim/result.ts';
import type { PlanSize } from '../sim/shrink.ts';

/** The contents of a replay file. */
export interface ReplayFile {
  /** The scenario's name; a replay refuses to run against another scenario. */
  scenario: string;
  /** The scenario file the replay was made from, for the replay line. */
  file?: string;
  seed: number;
  variant: string;
  /** Everything that decides the run. */
  plan: RunPlan;
  /** The failure the plan reproduces. */
  failure: { kind: FailureKind; check: string; atMs?: number; message?: string };
  /** Plan sizes before and after shrinking. */
  sizes?: { before: PlanSize; after: PlanSize };
}

/** `sim run <file> --replay <replay.json>`, quoting paths that need it. */
export function replayFileCommand(scenarioFile: string, replayPath: string): string {
  const quote = (path: string): string => (/^[\w./-]+$/.test(path) ? path : JSON.stringify(path));
  return `sim run ${quote(scenarioFile)} --replay ${quote(replayPath)}`;
}

/** Writes a replay file atomically, creating its folder when needed. */
export async function writeReplayFile(path: string, replay: ReplayFile): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(replay, null, 2)}\n`);
}

/** Reads and checks a replay file; every problem is a one-line UsageError. */
export function readReplayFile(path: string): ReplayFile {
  if (!existsSync(path)) throw new UsageError(`replay file not found: ${path} (sim shrink writes one)`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`replay file ${path} is not valid JSON: ${oneLine(error instanceof Error ? error.message : String(error))}`);
  }
  const problem = replayProblem(data);
  if (problem) throw new UsageError(`replay file ${path}: ${problem} (write replay files with sim shrink)`);
  return data as ReplayFile;
}

function replayProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return 'it is not a JSON object';
  const replay = data as Partial<ReplayFile>;
  if (typeof replay.scenario !== 'string') return 'scenario is missing';
  if (!Number.isSafeInteger(replay.seed) || (replay.seed as number) < 0) return 'seed must be a whole number >= 0';
  if (typeof replay.variant !== 'string') return 'variant is missing';
  const plan = replay.plan;
  if (typeof plan !== 'object' || plan === null) return 'plan is missing';
  if (plan.seed !== replay.seed) return `plan.seed ${String(plan.seed)} differs from seed ${replay.seed}`;
  if (plan.variant !== replay.variant) return `plan.variant '${String(plan.variant)}' differs from variant '${replay.variant}'`;
  if (!Array.isArray(plan.faults)) return 'plan.faults must be a list of scheduled faults';
  for (const scheduled of plan.faults) {
    if (typeof scheduled !== 'object' || scheduled === null || typeof scheduled.atMs !== 'number' || typeof scheduled.fault?.kind !== 'string') {
      return 'each of plan.faults needs atMs and a fault with a kind';
    }
  }
  if (!(typeof plan.durationMs === 'number' && plan.durationMs > 0 && Number.isFinite(plan.durationMs))) return 'plan.durationMs must be a number > 0';
  if (plan.maxRequests !== undefined && !(Number.isInteger(plan.maxRequests) && plan.maxRequests >= 0)) return 'plan.maxRequests must be a whole number >= 0';
  if (plan.onlyRequests !== undefined && !(Array.isArray(plan.onlyRequests) && plan.onlyRequests.every((index) => Number.isInteger(index) && index >= 0))) {
    return 'plan.onlyRequests must be a list of whole numbers >= 0';
  }
  if (typeof plan.options !== 'object' || plan.options === null) return 'plan.options must be an object';
  for (const value of Object.values(plan.options)) if (typeof value !== 'number') return 'plan.options values must be numbers';
  const failure = replay.failure;
  if (typeof failure !== 'object' || failure === null || typeof failure.check !== 'string' || typeof failure.kind !== 'string') return 'failure needs a kind and a check';
  return undefined;
}

/** Runs a replay file's plan against the scenario; refuses a replay made for another scenario. */
export async function runReplay(definition: Scenario, replay: ReplayFile, path: string, observers: RunObservers = {}): Promise<ScenarioResult> {
  if (replay.scenario !== definition.name) {
    throw new UsageError(`replay file ${path} is for scenario '${replay.scenario}', not '${definition.name}': pass ${replay.file ?? 'its scenario file'}`);
  }
  const variant = await runVariant(definition, replay.plan, observers);
  return assembleResult(definition, replay.seed, [variant]);
}

/** True when the result fails the replay's check the same way (same kind, same check). */
export function reproduces(result: ScenarioResult, replay: ReplayFile): boolean {
  return result.variants.some((variant) => variant.failures.some((failure) => failure.check === replay.failure.check && failure.kind === replay.failure.kind));
}
