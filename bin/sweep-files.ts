// Sweep result files: written atomically by `sim sweep --out` (and on interrupt), read back by
// `sim sweep --resume` and `sim merge`; every problem reading one is a one-line UsageError.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError, oneLine } from './cli-errors.ts';
import { writeFileAtomic } from '../reports/atomic-write.ts';
import type { SweepResult } from './sweep-summary.ts';

/** Writes a file atomically (temporary file in the same folder, then rename), creating the folder. */
export async function writeOutputFile(path: string, text: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
}

/** Writes a sweep result as JSON. */
export async function writeSweepResult(path: string, result: SweepResult): Promise<void> {
  await writeOutputFile(path, `${JSON.stringify(result, null, 2)}\n`);
}

/** Reads and checks a sweep result file. */
export function readSweepResult(path: string): SweepResult {
  if (!existsSync(path)) throw new UsageError(`sweep result file not found: ${path} (sim sweep --out FILE writes one)`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${oneLine(error instanceof Error ? error.message : String(error))}`);
  }
  const problem = sweepProblem(data);
  if (problem) throw new UsageError(`${path} is not a sweep result: ${problem} (sim sweep --out FILE or --json writes one)`);
  const result = data as SweepResult;
  for (const entry of result.results) entry.coverage ??= [];
  return result;
}

function sweepProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return 'it is not a JSON object';
  const result = data as Partial<SweepResult>;
  if (typeof result.scenario !== 'string') return 'scenario is missing';
  if (typeof result.file !== 'string') return 'file is missing';
  const seeds = result.seeds;
  if (typeof seeds !== 'object' || seeds === null || !Number.isSafeInteger(seeds.first) || !Number.isSafeInteger(seeds.last)) return 'seeds must be { first, last }';
  if (!Array.isArray(result.results)) return 'results must be a list';
  for (const entry of result.results) {
    if (typeof entry !== 'object' || entry === null || !Number.isSafeInteger(entry.seed) || typeof entry.ok !== 'boolean' || !Array.isArray(entry.variants)) {
      return 'each result needs seed, ok and variants';
    }
  }
  if (typeof result.coverage !== 'object' || result.coverage === null) return 'coverage is missing';
  return undefined;
}
