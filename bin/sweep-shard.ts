// Which seeds a sweep runs: the `--seeds A..B` range, cut into `--shard I/N` (or the shard a Kubernetes
// Indexed Job gives through JOB_COMPLETION_INDEX), minus the seeds a resumed sweep already has.
import { UsageError } from './cli-errors.ts';

/** One shard of N, 1-based. */
export interface Shard {
  index: number;
  count: number;
}

/** Most seeds one sweep (or shard) may hold: results stay in memory. */
export const MAX_SWEEP_SEEDS = 10_000_000;

/** Parses `--shard I/N` (1 <= I <= N). */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new UsageError(`--shard must look like I/N, got '${text}' (example: --shard 2/4 runs the second of four shards)`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!(count >= 1)) throw new UsageError(`--shard ${text}: the shard count must be at least 1`);
  if (!(index >= 1 && index <= count)) throw new UsageError(`--shard ${text}: the index must be between 1 and ${count}`);
  return { index, count };
}

/** Parses a whole number >= 1 given by a flag or an environment variable. */
function parseCount(text: string, source: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) throw new UsageError(`${source} must be a whole number >= 1, got '${text}'`);
  return Number(text);
}

/**
 * The shard to run: `--shard I/N` when given; otherwise, in a Kubernetes Indexed Job, the 0-based
 * JOB_COMPLETION_INDEX with the count from `--shard-count` or SIM_SHARD_COUNT; otherwise none.
 */
export function resolveShard(flags: { shard?: string; shardCount?: string }, env: NodeJS.ProcessEnv): Shard | undefined {
  if (flags.shard !== undefined) {
    if (flags.shardCount !== undefined) throw new UsageError('give either --shard I/N or --shard-count N (with JOB_COMPLETION_INDEX), not both');
    return parseShard(flags.shard);
  }
  const completionIndex = env.JOB_COMPLETION_INDEX;
  if (completionIndex === undefined || completionIndex.trim() === '') {
    if (flags.shardCount !== undefined) throw new UsageError('--shard-count needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); use --shard I/N elsewhere');
    return undefined;
  }
  if (!/^\s*\d+\s*$/.test(completionIndex)) throw new UsageError(`JOB_COMPLETION_INDEX must be a whole number >= 0, got '${completionIndex}'`);
  const countText = flags.shardCount ?? env.SIM_SHARD_COUNT;
  if (countText === undefined) {
    throw new UsageError('JOB_COMPLETION_INDEX is set but the shard count is not: pass --shard-count N or set SIM_SHARD_COUNT to the Job\'s completions');
  }
  const count = parseCount(countText, flags.shardCount !== undefined ? '--shard-count' : 'SIM_SHARD_COUNT');
  const index = Number(completionIndex) + 1;
  if (index > count) throw new UsageError(`JOB_COMPLETION_INDEX ${completionIndex} is out of range for ${count} shards (indexes 0..${count - 1})`);
  return { index, count };
}

/** The seeds of a range that belong to a shard: every N-th seed, so shards get an even mix. */
export function shardSeeds(range: { first: number; last: number }, shard: Shard | undefined): number[] {
  const total = range.last - range.first + 1;
  const count = shard?.count ?? 1;
  const offset = (shard?.index ?? 1) - 1;
  if (Math.ceil(total / count) > MAX_SWEEP_SEEDS) {
    throw new UsageError(`--seeds ${range.first}..${range.last} is too many seeds for one sweep: split it with --shard or use at most ${MAX_SWEEP_SEEDS} seeds`);
  }
  const seeds: number[] = [];
  for (let seed = range.first + offset; seed <= range.last; seed += count) seeds.push(seed);
  return seeds;
}
