// Parsing and choosing seeds for the CLI.
import { randomInt } from 'node:crypto';
import { UsageError } from './cli-errors.ts';

/** Largest seed accepted: seeds must stay exact as JSON numbers. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** Parses `--seed`: a whole number from 0 to 2^53−1, written in decimal. */
export function parseSeed(text: string, flag = '--seed'): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new UsageError(`${flag} must be a whole number >= 0, got '${text}' (example: ${flag} 42)`);
  }
  const seed = Number(text.trim());
  if (!Number.isSafeInteger(seed)) throw new UsageError(`${flag} ${text} is too large: use a whole number up to ${MAX_SEED}`);
  return seed;
}

/** Parses a seed range `A..B` (inclusive). */
export function parseSeedRange(text: string): { first: number; last: number } {
  const match = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(text);
  if (!match) throw new UsageError(`--seeds must look like A..B with whole numbers, got '${text}' (example: --seeds 1..1000)`);
  const first = parseSeed(match[1]!, '--seeds');
  const last = parseSeed(match[2]!, '--seeds');
  if (last < first) throw new UsageError(`--seeds ${text} is empty: the end must not be below the start`);
  return { first, last };
}

/** A fresh seed when the user gives none; the CLI prints it first so the run can be replayed. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 31);
}
