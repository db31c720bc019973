// `sim shrink <scenario> --seed N`: finds the seed's failure, shrinks its run plan by delta debugging
// while the same check still fails, writes a replay file and prints the sizes before and after.
import { UsageError, EXIT } from '../cli-errors.ts';
import { loadScenario } from '../load-scenario.ts';
import { checkOutputs } from '../output-paths.ts';
import { parseSeed } from '../seed.ts';
import { printJson } from '../output.ts';
import { replayFileCommand, writeReplayFile, type ReplayFile } from '../replay-file.ts';
import { NondeterminismError } from '../../sim/engine/errors.ts';
import { findVariant, planFor, runVariant, type RunPlan } from '../../sim/harness/runner.ts';
import { shrinkPlan, type PlanSize, type ShrinkOutcome } from '../../sim/harness/shrink.ts';
import { describeScheduledFault } from '../../sim/harness/faults.ts';
import type { Failure } from '../../sim/harness/checks.ts';
import type { Scenario } from '../../sim/harness/scenario.ts';

/** Options of `sim shrink`, as commander parses them. */
export interface ShrinkCommandOptions {
  seed?: string;
  variant?: string;
  check?: string;
  swarm?: boolean;
  out?: string;
  maxRuns?: string;
  json?: boolean;
}

/** What to shrink: one variant's failure on one seed. */
export interface ShrinkTarget {
  seed: number;
  variant: string;
  /** Failure to keep; default: the variant's first failure. */
  check?: string;
  swarm: boolean;
}

/** A finished shrink: the replay file written and the sizes. */
export interface ShrinkReport {
  replay: ReplayFile;
  replayPath: string;
  /** `sim run <file> --replay <path>`. */
  replayCommand: string;
  outcome: ShrinkOutcome;
  /** The failure of the shrunk plan. */
  failure: Failure;
}

/**
 * Where replay files go unless `--out` (shrink) or `--replay-dir` (sweep) says otherwise: relative to
 * the current folder, inside `.dsim/`, which the `.gitignore` written by `sim init` covers.
 */
export const DEFAULT_REPLAY_DIR = '.dsim/replays';

/** Default replay file path: `<dir>/<scenario>.seed<N>.<variant>.replay.json`. */
export function defaultReplayPath(scenarioName: string, seed: number, variant: string, dir = DEFAULT_REPLAY_DIR): string {
  const slug = (text: string): string => text.replace(/[^\w.-]+/g, '-');
  const name = `${slug(scenarioName)}.seed${seed}.${slug(variant)}.replay.json`;
  return dir === '.' ? name : `${dir.replace(/\/+$/, '')}/${name}`;
}

/** Runs the command; returns the exit code. */
export async function shrinkCommand(file: string, options: ShrinkCommandOptions): Promise<number> {
  if (options.seed === undefined) throw new UsageError('sim shrink needs --seed N: the failing seed to shrink (sim sweep finds failing seeds)');
  const seed = parseSeed(options.seed);
  const maxRuns = options.maxRuns !== undefined ? parseMaxRuns(options.maxRuns) : undefined;
  checkOutputs([['--out', options.out, 'file']]);
  const definition = await loadScenario(file);
  if (!options.json) process.stdout.write(`seed=${seed}\n`);
  const swarm = options.swarm ?? false;
  const found = await findFailure(definition, seed, options.variant, options.check, swarm);
  if (!options.json) process.stdout.write(`shrinking: variant ${found.plan.variant}, ${found.failure.kind} '${found.failure.check}'\n`);
  const replayPath = options.out ?? defaultReplayPath(definition.name, seed, found.plan.variant);
  const report = await shrinkFound(definition, file, found, replayPath, maxRuns);
  if (options.json) {
    printJson({
      scenario: definition.name,
      seed,
      variant: report.replay.variant,
      failure: report.failure,
      runs: report.outcome.runs,
      budgetSpent: report.outcome.budgetSpent,
      before: report.outcome.before,
      after: report.outcome.after,
      faults: report.replay.plan.faults.map(describeScheduledFault),
      replayFile: replayPath,
      replay: report.replayCommand,
    });
  } else {
    process.stdout.write(renderShrink(report));
  }
  // The command's job is the reproducer; the failure itself was known before it ran.
  return EXIT.ok;
}

/** Shrinks one target and writes its replay file (used by `sim shrink` and `sim sweep --shrink`). */
export async function shrinkTarget(definition: Scenario, file: string, target: ShrinkTarget, replayPath: string, maxRuns?: number): Promise<ShrinkReport> {
  const found = await findFailure(definition, target.seed, target.variant, target.check, target.swarm);
  return shrinkFound(definition, file, found, replayPath, maxRuns);
}

interface FoundFailure {
  plan: RunPlan;
  failure: Failure;
  requestsSent: number;
}

/** Runs the seed's variants (or one) and returns the first that fails (the named check, when given). */
async function findFailure(definition: Scenario, seed: number, variant: string | undefined, check: string | undefined, swarm: boolean): Promise<FoundFailure> {
  const names = variant !== undefined ? [findVariant(definition, variant).name] : definition.variants.map((v) => v.name);
  const failed: string[] = [];
  for (const name of names) {
    const plan = planFor(definition, seed, name, swarm);
    const result = await runVariant(definition, plan);
    for (const failure of result.failures) failed.push(failure.check);
    const failure = result.failures.find((candidate) => check === undefined || candidate.check === check);
    if (failure) return { plan, failure, requestsSent: result.metrics.requests.total };
  }
  const where = `seed ${seed}${variant !== undefined ? ` (variant ${variant})` : ''}`;
  if (check !== undefined && failed.length > 0) throw new UsageError(`${where} does not fail check '${check}'; it fails: ${[...new Set(failed)].join(', ')}`);
  throw new UsageError(`${where} passes every check of ${definition.name}${swarm ? ' (with --swarm)' : ''}: nothing to shrink (sim sweep finds failing seeds)`);
}

async function shrinkFound(definition: Scenario, file: string, found: FoundFailure, replayPath: string, maxRuns?: number): Promise<ShrinkReport> {
  const target = found.failure;
  const lastFailure = new Map<string, Failure>();
  const stillFails = async (candidate: RunPlan): Promise<boolean> => {
    const result = await runVariant(definition, candidate);
    const same = result.failures.find((failure) => failure.check === target.check && failure.kind === target.kind);
    if (same) lastFailure.set(JSON.stringify(candidate), same);
    return same !== undefined;
  };
  const status = shrinkStatus(process.stderr);
  const outcome = await shrinkPlan(found.plan, stillFails, {
    requestsSent: found.requestsSent,
    ...(maxRuns !== undefined ? { maxRuns } : {}),
    onReduced: status.update,
  });
  status.clear();
  // The shrunk plan was confirmed failing during the search; a rerun confirms the replay is exact.
  if (!(await stillFails(outcome.plan))) {
    throw new NondeterminismError(`the shrunk plan of seed ${found.plan.seed} failed '${target.check}' once and passed on a rerun`);
  }
  const failure = lastFailure.get(JSON.stringify(outcome.plan)) ?? target;
  const replay: ReplayFile = {
    scenario: definition.name,
    file,
    seed: found.plan.seed,
    variant: found.plan.variant,
    plan: outcome.plan,
    failure: { kind: failure.kind, check: failure.check, atMs: failure.atMs, message: failure.message },
    sizes: { before: outcome.before, after: outcome.after },
  };
  await writeReplayFile(replayPath, replay);
  return { replay, replayPath, replayCommand: replayFileCommand(file, replayPath), outcome, failure };
}

/** A one-line status on a terminal's stderr while shrinking runs; nothing elsewhere. */
function shrinkStatus(stream: NodeJS.WriteStream): { update: (plan: RunPlan, runs: number) => void; clear: () => void } {
  if (!stream.isTTY) return { update: () => undefined, clear: () => undefined };
  let shown = false;
  return {
    update: (plan, runs) => {
      shown = true;
      const requests = plan.maxRequests !== undefined ? `, ${plan.maxRequests} requests` : '';
      stream.write(`\r\x1b[2Kshrinking: ${runs} runs, ${plan.faults.length} faults${requests}, run length ${Math.round(plan.durationMs)} ms`);
    },
    clear: () => {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}

/** The human lines of a shrink: sizes before → after, the shrunk failure and faults, the replay line last. */
export function renderShrink(report: ShrinkReport): string {
  const { before, after, runs, budgetSpent } = report.outcome;
  const lines = [
    `shrunk in ${runs} runs${budgetSpent ? ' (run budget spent: raise --max-runs to shrink further)' : ''}:`,
    sizeLine('faults', before.faults, after.faults, ''),
    sizeLine('fault time', before.faultMs, after.faultMs, ' ms'),
    sizeLine('requests', before.maxRequests, after.maxRequests, ''),
    sizeLine('run length', before.durationMs, after.durationMs, ' ms'),
    `failure: ${report.failure.kind} '${report.failure.check}' at ${Math.round(report.failure.atMs)} ms: ${report.failure.message.replaceAll('\n', '\n  ')}`,
  ];
  const faults = report.replay.plan.faults.map(describeScheduledFault);
  lines.push(`faults: ${faults.length > 0 ? faults.join('; ') : 'none'}`);
  const options = Object.entries(report.replay.plan.options);
  if (options.length > 0) lines.push(`options: ${options.map(([name, value]) => `${name}=${Number.isInteger(value) ? value : Math.round(value * 1000) / 1000}`).join(', ')}`);
  lines.push(`replay file: ${report.replayPath}`, `replay: ${report.replayCommand}`);
  return `${lines.join('\n')}\n`;
}

function sizeLine(label: string, before: PlanSize[keyof PlanSize], after: PlanSize[keyof PlanSize], unit: string): string {
  const show = (value: number | undefined): string => (value === undefined ? 'all' : `${Math.round(value).toLocaleString('en-US')}${unit}`);
  return `  ${label.padEnd(11)} ${show(before)} → ${show(after)}`;
}

function parseMaxRuns(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) throw new UsageError(`--max-runs must be a whole number >= 1, got '${text}'`);
  return Number(text);
}
