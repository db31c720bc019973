// `sim merge results/*.json`: combines the result files of a sharded sweep into the summary one
// unsharded sweep would have printed; refuses files of different sweeps, and seeds that disagree.
import { EXIT, UsageError, oneLine } from '../cli-errors.ts';
import { printJson } from '../output.ts';
import { checkOutputs } from '../output-paths.ts';
import { NondeterminismError } from '../../sim/engine/errors.ts';
import { readSweepResult, writeOutputFile, writeSweepResult } from '../sweep-files.ts';
import { shardSeeds } from '../sweep-shard.ts';
import { summarize, type SweepIdentity, type SweepResult, type SweepSeedEntry } from '../sweep-summary.ts';
import { renderSweep } from '../sweep-render.ts';
import { renderJunit } from '../sweep-junit.ts';

/** Options of `sim merge`, as commander parses them. */
export interface MergeCommandOptions {
  json?: boolean;
  out?: string;
  junit?: string;
  /** Merge shards that overlap or leave seeds uncovered (each problem becomes a warning). */
  allowPartial?: boolean;
}

/** Runs the command; returns the exit code. */
export async function mergeCommand(files: string[], options: MergeCommandOptions): Promise<number> {
  if (files.length === 0) throw new UsageError('sim merge needs at least one sweep result file (example: sim merge results/*.json)');
  checkOutputs([['--out', options.out, 'file'], ['--junit', options.junit, 'file']]);
  const inputs = files.map((path) => ({ path, result: readSweepResult(path) }));
  const problems = coverageProblems(inputs);
  if (problems.length > 0 && !options.allowPartial) {
    throw new UsageError(`${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''}; pass --allow-partial to merge what is there`);
  }
  const merged = mergeResults(inputs);
  const warnings = problems;
  for (const warning of warnings) process.stderr.write(`sim: ${oneLine(warning)}\n`);
  if (options.out) await writeSweepResult(options.out, merged);
  if (options.junit) await writeOutputFile(options.junit, renderJunit(merged));
  if (options.json) {
    printJson(merged);
  } else {
    const notes = [`merged ${files.length} result file${files.length === 1 ? '' : 's'}`, ...warnings];
    if (options.out) notes.push(`results: ${options.out}`);
    if (options.junit) notes.push(`junit: ${options.junit}`);
    process.stdout.write(renderSweep(merged, { notes }));
  }
  return merged.failed > 0 ? EXIT.checkFailed : EXIT.ok;
}

/**
 * Merges sweep results of one scenario: seeds are deduplicated (a seed in two files must have the
 * same trace hash, or the runs were not deterministic), totals and coverage recomputed.
 */
export function mergeResults(inputs: { path: string; result: SweepResult }[]): SweepResult {
  const first = inputs[0]!;
  for (const { path, result } of inputs.slice(1)) {
    if (result.scenario !== first.result.scenario) throw new UsageError(`${path} holds a sweep of '${result.scenario}' but ${first.path} one of '${first.result.scenario}': merge results of one scenario`);
    if (result.swarm !== first.result.swarm) throw new UsageError(`${path} and ${first.path} differ in --swarm: merge results of one sweep`);
    if (result.variant !== first.result.variant) throw new UsageError(`${path} and ${first.path} ran different variants: merge results of one sweep`);
  }
  const bySeed = new Map<number, { path: string; entry: SweepSeedEntry }>();
  const coverageNames: string[] = [];
  for (const { path, result } of inputs) {
    for (const name of Object.keys(result.coverage)) if (!coverageNames.includes(name)) coverageNames.push(name);
    for (const entry of result.results) {
      const known = bySeed.get(entry.seed);
      if (!known) {
        bySeed.set(entry.seed, { path, entry });
      } else if (known.entry.traceHash !== entry.traceHash) {
        throw new NondeterminismError(`seed ${entry.seed} has trace ${known.entry.traceHash} in ${known.path} but ${entry.traceHash} in ${path}: the same seed ran differently (different code or a nondeterministic scenario)`);
      }
    }
  }
  const identity: SweepIdentity = {
    scenario: first.result.scenario,
    file: first.result.file,
    swarm: first.result.swarm,
    ...(first.result.variant !== undefined ? { variant: first.result.variant } : {}),
    seeds: {
      first: Math.min(...inputs.map(({ result }) => result.seeds.first)),
      last: Math.max(...inputs.map(({ result }) => result.seeds.last)),
    },
  };
  const interrupted = inputs.some(({ result }) => result.interrupted === true);
  return summarize(identity, [...bySeed.values()].map(({ entry }) => entry), coverageNames, interrupted);
}

/**
 * What keeps the files from covering the sweep they claim: a file that lacks seeds of its own
 * range and shard (interrupted, or cut short), two files that claim the same seed, shards cut in
 * different counts, or shards missing. Empty when the merge is complete.
 */
export function coverageProblems(inputs: { path: string; result: SweepResult }[]): string[] {
  const problems: string[] = [];
  const claimedBy = new Map<number, { path: string; index: number }>();
  for (const [index, { path, result }] of inputs.entries()) {
    const claimed = shardSeeds(result.seeds, result.shard);
    const present = new Set(result.results.map((entry) => entry.seed));
    const missing = claimed.filter((seed) => !present.has(seed));
    const shard = result.shard ? ` (shard ${result.shard.index}/${result.shard.count})` : '';
    if (missing.length > 0) {
      const hint = result.interrupted ? ': it was interrupted, finish it with sim sweep --resume' : '';
      problems.push(`${path} claims seeds ${result.seeds.first}..${result.seeds.last}${shard} but lacks ${missing.length} of them (first ${missing.slice(0, 5).join(', ')})${hint}`);
    }
    for (const seed of claimed) {
      const other = claimedBy.get(seed);
      if (other !== undefined && other.index !== index) {
        problems.push(`${other.path} and ${path} both claim seed ${seed}: merge each shard once`);
        break;
      }
      claimedBy.set(seed, { path, index });
    }
  }
  const counts = new Set(inputs.flatMap(({ result }) => (result.shard ? [result.shard.count] : [])));
  if (counts.size > 1) problems.push(`the files come from sweeps cut into different shard counts (${[...counts].join(', ')})`);
  if (counts.size === 1) {
    const count = [...counts][0]!;
    const present = new Set(inputs.flatMap(({ result }) => (result.shard ? [result.shard.index] : [])));
    const missing: number[] = [];
    for (let index = 1; index <= count; index++) if (!present.has(index)) missing.push(index);
    if (missing.length > 0) problems.push(`shard${missing.length === 1 ? '' : 's'} ${missing.map((index) => `${index}/${count}`).join(', ')} missing: the merged summary would cover only the shards given`);
  }
  return problems;
}
