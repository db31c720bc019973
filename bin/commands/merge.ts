// `sim merge results/*.json`: combines the result files of a sharded sweep into the summary one
// unsharded sweep would have printed; refuses files of different sweeps, and seeds that disagree.
import { EXIT, UsageError } from '../cli-errors.ts';
import { printJson } from '../output.ts';
import { NondeterminismError } from '../../sim/engine/errors.ts';
import { readSweepResult, writeOutputFile, writeSweepResult } from '../sweep-files.ts';
import { summarize, type SweepIdentity, type SweepResult, type SweepSeedEntry } from '../sweep-summary.ts';
import { renderSweep } from '../sweep-render.ts';
import { renderJunit } from '../sweep-junit.ts';

/** Options of `sim merge`, as commander parses them. */
export interface MergeCommandOptions {
  json?: boolean;
  out?: string;
  junit?: string;
}

/** Runs the command; returns the exit code. */
export async function mergeCommand(files: string[], options: MergeCommandOptions): Promise<number> {
  if (files.length === 0) throw new UsageError('sim merge needs at least one sweep result file (example: sim merge results/*.json)');
  const inputs = files.map((path) => ({ path, result: readSweepResult(path) }));
  const merged = mergeResults(inputs);
  const warnings = shardWarnings(inputs.map((input) => input.result));
  for (const warning of warnings) process.stderr.write(`sim: ${warning}\n`);
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

/** Missing or interrupted shards, as warnings: the merge still reports what it has. */
export function shardWarnings(results: SweepResult[]): string[] {
  const warnings: string[] = [];
  const counts = new Set(results.flatMap((result) => (result.shard ? [result.shard.count] : [])));
  if (counts.size > 1) warnings.push(`the files come from sweeps cut into different shard counts (${[...counts].join(', ')})`);
  if (counts.size === 1) {
    const count = [...counts][0]!;
    const present = new Set(results.flatMap((result) => (result.shard ? [result.shard.index] : [])));
    const missing: number[] = [];
    for (let index = 1; index <= count; index++) if (!present.has(index)) missing.push(index);
    if (missing.length > 0) warnings.push(`shard${missing.length === 1 ? '' : 's'} ${missing.map((index) => `${index}/${count}`).join(', ')} missing: the merged summary covers only the shards given`);
  }
  const interrupted = results.filter((result) => result.interrupted).length;
  if (interrupted > 0) warnings.push(`${interrupted} of the files hold an interrupted sweep: resume it with --resume before merging for full coverage`);
  return warnings;
}
