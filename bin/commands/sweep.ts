// `sim sweep <scenario> --seeds A..B`: runs every seed (all variants) on worker threads and prints a
// summary with a replay line per failing seed; JSON, JUnit, shards, resume after Ctrl-C, shrinking.
import { performance } from 'node:perf_hooks';
import { EXIT, UsageError, oneLine } from '../cli-errors.ts';
import { loadScenario } from '../load-scenario.ts';
import { parseSeedRange } from '../seed.ts';
import { printJson } from '../output.ts';
import { shellLine } from '../replay-command.ts';
import { checkOutputs } from '../output-paths.ts';
import { findVariant } from '../../sim/harness/runner.ts';
import type { Scenario } from '../../sim/harness/scenario.ts';
import type { PlanSize } from '../../sim/harness/shrink.ts';
import { SweepPool, defaultWorkers } from '../sweep-pool.ts';
import { resolveShard, shardSeeds, type Shard } from '../sweep-shard.ts';
import { summarize, failingRuns, type SweepIdentity, type SweepResult, type SweepSeedEntry } from '../sweep-summary.ts';
import { createProgress } from '../sweep-progress.ts';
import { renderSweep, sweepHeader } from '../sweep-render.ts';
import { renderJunit } from '../sweep-junit.ts';
import { readSweepResult, writeOutputFile, writeSweepResult } from '../sweep-files.ts';
import { isRunawayFailure, watchdogLimits } from '../watchdog.ts';
import { DEFAULT_REPLAY_DIR, defaultReplayPath, renderShrink, shrinkTarget } from './shrink.ts';

/** Options of `sim sweep`, as commander parses them. */
export interface SweepCommandOptions {
  seeds?: string;
  workers?: string;
  shard?: string;
  shardCount?: string;
  variant?: string;
  swarm?: boolean;
  json?: boolean;
  junit?: string;
  out?: string;
  resume?: string;
  shrink?: boolean;
  shrinkLimit?: string;
  replayDir?: string;
  /** With --out: wall seconds between checkpoints of the finished seeds. */
  checkpointEvery?: string;
  /** Wall-clock limit of one variant run, in seconds (bin/watchdog.ts). */
  seedTimeout?: string;
  /** Heap limit of each worker, in MB. */
  maxHeapMb?: string;
}

/** Where partial results go on Ctrl-C when `--out` is not given. */
export const DEFAULT_PARTIAL_FILE = 'sim-sweep.partial.json';

/** Exit codes after an interrupt (128 + the signal's number), as shells and Kubernetes expect. */
const EXIT_INTERRUPTED = { SIGINT: 130, SIGTERM: 143 } as const;

/** With --out, finished seeds are written to it at least this often (wall seconds), so a SIGKILL loses little. */
const DEFAULT_CHECKPOINT_SECONDS = 10;

/** Failures shrunk by `--shrink` unless `--shrink-limit` says otherwise. */
const DEFAULT_SHRINK_LIMIT = 3;

/** Shrunk failure, as listed in `--json`. */
interface ShrunkEntry {
  seed: number;
  variant: string;
  check: string;
  replayFile: string;
  replay: string;
  runs: number;
  before: PlanSize;
  after: PlanSize;
}

/** Ctrl-C or SIGTERM during a sweep: remembered, and passed on to the pool once it exists. */
class Interrupt {
  requested = false;
  signal: keyof typeof EXIT_INTERRUPTED = 'SIGINT';
  private pool: SweepPool | undefined;
  readonly handler = (signal: NodeJS.Signals): void => {
    this.requested = true;
    if (signal === 'SIGTERM') this.signal = 'SIGTERM';
    this.pool?.stop();
  };

  /** The pool to stop; stopped at once if Ctrl-C came first. */
  attach(pool: SweepPool): void {
    this.pool = pool;
    if (this.requested) pool.stop();
  }
}

/** Runs the command; returns the exit code. */
export async function sweepCommand(file: string, options: SweepCommandOptions): Promise<number> {
  const interrupt = new Interrupt();
  // From here on Ctrl-C and SIGTERM (what Kubernetes sends to stop a pod) end the sweep cleanly;
  // `once`, so a second signal ends the process at once.
  process.once('SIGINT', interrupt.handler);
  process.once('SIGTERM', interrupt.handler);
  try {
    return await sweep(file, options, interrupt);
  } finally {
    process.removeListener('SIGINT', interrupt.handler);
    process.removeListener('SIGTERM', interrupt.handler);
  }
}

async function sweep(file: string, options: SweepCommandOptions, interrupt: Interrupt): Promise<number> {
  const workers = options.workers !== undefined ? parsePositive(options.workers, '--workers') : defaultWorkers();
  const checkpointMs = parseCheckpointSeconds(options.checkpointEvery);
  if (!options.shrink && (options.replayDir !== undefined || options.shrinkLimit !== undefined)) {
    throw new UsageError(`${options.replayDir !== undefined ? '--replay-dir' : '--shrink-limit'} only applies with --shrink: add --shrink, or drop it`);
  }
  if (options.checkpointEvery !== undefined && options.out === undefined) {
    throw new UsageError('--checkpoint-every writes the finished seeds to the --out file: add --out FILE');
  }
  const shrinkLimit = options.shrinkLimit !== undefined ? parsePositive(options.shrinkLimit, '--shrink-limit') : DEFAULT_SHRINK_LIMIT;
  const limits = watchdogLimits(options, workers);
  let shard = resolveShard({ ...(options.shard !== undefined ? { shard: options.shard } : {}), ...(options.shardCount !== undefined ? { shardCount: options.shardCount } : {}) }, process.env);
  const resumed = options.resume !== undefined ? readSweepResult(options.resume) : undefined;
  if (options.seeds === undefined && !resumed) throw new UsageError('sim sweep needs --seeds A..B (example: --seeds 1..1000), or --resume FILE');
  const range = options.seeds !== undefined ? parseSeedRange(options.seeds) : resumed!.seeds;
  checkOutputs([
    ['--out', options.out ?? DEFAULT_PARTIAL_FILE, 'file'],
    ['--junit', options.junit, 'file'],
    ['--replay-dir', options.shrink ? options.replayDir ?? '.' : undefined, 'folder'],
  ]);

  const definition = await loadScenario(file);
  if (options.variant !== undefined) findVariant(definition, options.variant);
  const swarm = options.swarm ?? false;
  if (resumed) shard = checkResumable(resumed, options.resume!, definition, swarm, options.variant, shard);
  const identity: SweepIdentity = {
    scenario: definition.name,
    file,
    swarm,
    ...(options.variant !== undefined ? { variant: options.variant } : {}),
    seeds: range,
    ...(shard ? { shard } : {}),
  };
  const allSeeds = shardSeeds(range, shard);
  const wanted = new Set(allSeeds);
  const entries: SweepSeedEntry[] = (resumed?.results ?? []).filter((entry) => wanted.has(entry.seed));
  const done = new Set(entries.map((entry) => entry.seed));
  const seeds = allSeeds.filter((seed) => !done.has(seed));
  const coverageNames = definition.checks.filter((check) => check.kind === 'sometimes').map((check) => check.name);

  if (!options.json) {
    const resumedNote = done.size > 0 ? `  resumed: ${done.size} done, ${seeds.length} to run` : '';
    process.stdout.write(`${sweepHeader(identity)}  workers=${Math.min(workers, Math.max(1, seeds.length))}${resumedNote}\n`);
  }

  const progress = createProgress(allSeeds.length, done.size);
  const checkpoint = options.out !== undefined ? new Checkpoint(options.out, checkpointMs, () => summarize(identity, entries, coverageNames, true)) : undefined;
  const pool = new SweepPool({
    file,
    swarm,
    ...(options.variant !== undefined ? { variant: options.variant } : {}),
    workers,
    limits,
    onResult: (entry) => {
      entries.push(entry);
      progress.tick(!entry.ok);
      checkpoint?.due();
    },
  });
  interrupt.attach(pool);
  const startMs = performance.now();
  try {
    if (!interrupt.requested) await pool.run(seeds);
  } finally {
    progress.stop();
    await checkpoint?.settled();
  }
  const elapsedMs = performance.now() - startMs;
  const result = summarize(identity, entries, coverageNames, interrupt.requested);

  if (interrupt.requested) return await finishInterrupted(result, options, allSeeds.length, interrupt.signal);

  const shrunk: ShrunkEntry[] = [];
  const shrinkText: string[] = [];
  if (options.shrink && result.failed > 0) {
    for (const target of shrinkTargets(result, shrinkLimit)) {
      const replayPath = defaultReplayPath(definition.name, target.seed, target.variant, options.replayDir ?? DEFAULT_REPLAY_DIR);
      const report = await shrinkTarget(definition, file, { ...target, swarm }, replayPath);
      shrunk.push({
        seed: target.seed,
        variant: target.variant,
        check: target.check,
        replayFile: replayPath,
        replay: report.replayCommand,
        runs: report.outcome.runs,
        before: report.outcome.before,
        after: report.outcome.after,
      });
      shrinkText.push(`seed=${target.seed} variant=${target.variant} check='${target.check}'\n${renderShrink(report)}`);
    }
  }

  if (options.out) await writeSweepResult(options.out, result);
  if (options.junit) await writeOutputFile(options.junit, renderJunit(result));
  if (options.json) {
    printJson(shrunk.length > 0 ? { ...result, shrunk } : result);
  } else {
    const used = Math.min(workers, Math.max(1, seeds.length));
    const notes = [`ran ${seeds.length} seeds in ${(elapsedMs / 1000).toFixed(1)} s on ${used} worker${used === 1 ? '' : 's'}`];
    if (options.out) notes.push(`results: ${options.out}`);
    if (options.junit) notes.push(`junit: ${options.junit}`);
    process.stdout.write(renderSweep(result, { header: false, notes }));
    if (shrinkText.length > 0) process.stdout.write(`\nshrunk failures:\n${shrinkText.join('\n')}`);
  }
  return result.failed > 0 ? EXIT.checkFailed : EXIT.ok;
}

/** Ctrl-C: the summary of the finished seeds, partial results on disk, and the line that resumes. */
async function finishInterrupted(result: SweepResult, options: SweepCommandOptions, total: number, signal: keyof typeof EXIT_INTERRUPTED): Promise<number> {
  const partialPath = options.out ?? DEFAULT_PARTIAL_FILE;
  await writeSweepResult(partialPath, result);
  const resume = resumeCommand(result, partialPath);
  if (options.json) {
    printJson(result);
  } else {
    process.stdout.write(renderSweep(result, { header: false, notes: [`${result.results.length} of ${total} seeds finished; partial results: ${partialPath}`] }));
    process.stdout.write(`continue with: ${resume}\n`);
  }
  process.stderr.write(`sim: sweep interrupted (${signal}); continue with: ${oneLine(resume)}\n`);
  return EXIT_INTERRUPTED[signal];
}

/** The command that continues an interrupted sweep from its partial results. */
export function resumeCommand(result: SweepResult, partialPath: string): string {
  const words = ['sim', 'sweep', result.file, '--seeds', `${result.seeds.first}..${result.seeds.last}`];
  if (result.shard) words.push('--shard', `${result.shard.index}/${result.shard.count}`);
  if (result.variant !== undefined) words.push('--variant', result.variant);
  if (result.swarm) words.push('--swarm');
  words.push('--resume', partialPath, '--out', partialPath);
  return shellLine(words);
}

/** A resumed file must come from the same sweep: same scenario, swarm, variant and shard. */
function checkResumable(resumed: SweepResult, path: string, definition: Scenario, swarm: boolean, variant: string | undefined, shard: Shard | undefined): Shard | undefined {
  if (resumed.scenario !== definition.name) throw new UsageError(`--resume ${path} holds a sweep of '${resumed.scenario}', not '${definition.name}'`);
  if (resumed.swarm !== swarm) throw new UsageError(`--resume ${path} was swept ${resumed.swarm ? 'with' : 'without'} --swarm; resume it the same way`);
  if (resumed.variant !== variant) throw new UsageError(`--resume ${path} was swept with ${resumed.variant !== undefined ? shellLine(['--variant', resumed.variant]) : 'every variant'}; resume it the same way`);
  if (!shard) return resumed.shard;
  if (resumed.shard && (resumed.shard.index !== shard.index || resumed.shard.count !== shard.count)) {
    throw new UsageError(`--resume ${path} holds shard ${resumed.shard.index}/${resumed.shard.count}, not ${shard.index}/${shard.count}`);
  }
  return shard;
}

/** The first failing seed of each distinct (variant, check), up to `limit`. */
function shrinkTargets(result: SweepResult, limit: number): { seed: number; variant: string; check: string }[] {
  const targets: { seed: number; variant: string; check: string }[] = [];
  const seen = new Set<string>();
  for (const { seed, variant } of failingRuns(result)) {
    const failure = variant.failures[0];
    // A runaway seed is not shrunk: each candidate run would run away again, in this thread.
    if (failure === undefined || isRunawayFailure(failure)) continue;
    const check = failure.check;
    const key = `${variant.name}\u0000${check}`;
    if (seen.has(key)) continue;
    seen.add(key);
    targets.push({ seed, variant: variant.name, check });
    if (targets.length >= limit) break;
  }
  return targets;
}

function parsePositive(text: string, flag: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} must be a whole number >= 1, got '${text}'`);
  return Number(text);
}

/**
 * Periodic checkpoints of a sweep's finished seeds into its --out file (marked interrupted, so
 * `--resume` accepts it): a SIGKILL loses at most one interval. Writes never overlap.
 */
class Checkpoint {
  private lastMs = performance.now();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly intervalMs: number,
    private readonly snapshot: () => SweepResult,
  ) {}

  /** Called after every finished seed: writes when the interval has passed. */
  due(): void {
    const nowMs = performance.now();
    if (nowMs - this.lastMs < this.intervalMs) return;
    this.lastMs = nowMs;
    const result = this.snapshot();
    this.writing = this.writing.then(() => writeSweepResult(this.path, result));
  }

  /** Resolves when the last checkpoint is on disk. */
  settled(): Promise<void> {
    return this.writing;
  }
}

function parseCheckpointSeconds(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CHECKPOINT_SECONDS * 1000;
  const seconds = Number(text);
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new UsageError(`--checkpoint-every must be a number of seconds > 0, got '${text}'`);
  return seconds * 1000;
}
