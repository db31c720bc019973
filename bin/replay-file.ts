// Replay files: a shrunk failure as JSON (the scenario, the seed, the variant's full RunPlan and the
// check it fails), written by `sim shrink` and rerun exactly by `sim run <scenario> --replay FILE`.
import { mkdirSync } from 'node:fs';
import { readJsonFile, replayFileSchema } from './input-schemas.ts';
import { dirname } from 'node:path';
import { UsageError } from './cli-errors.ts';
import { shellLine } from './replay-command.ts';
import { writeFileAtomic } from '../reports/atomic-write.ts';
import { assembleResult, runVariant, type RunPlan, type RunObservers } from '../sim/harness/runner.ts';
import type { Scenario } from '../sim/harness/scenario.ts';
import type { FailureKind } from '../sim/harness/checks.ts';
import type { ScenarioResult } from '../sim/harness/result.ts';
import type { PlanSize } from '../sim/harness/shrink.ts';

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

/** `sim run <file> --replay <replay.json>`, quoted for the shell. */
export function replayFileCommand(scenarioFile: string, replayPath: string): string {
  return shellLine(['sim', 'run', scenarioFile, '--replay', replayPath]);
}

/** Writes a replay file atomically, creating its folder when needed. */
export async function writeReplayFile(path: string, replay: ReplayFile): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(replay, null, 2)}\n`);
}

/** Reads and checks a replay file (schema in input-schemas.ts); every problem is a one-line UsageError. */
export function readReplayFile(path: string): ReplayFile {
  return readJsonFile(path, replayFileSchema, 'replay file', 'write replay files with sim shrink') as unknown as ReplayFile;
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
