// Sweep result files: written atomically by `sim sweep --out` (and on interrupt), read back by
// `sim sweep --resume` and `sim merge`; every problem reading one is a one-line UsageError.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readJsonFile, sweepResultSchema } from './input-schemas.ts';
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

/** Reads and checks a sweep result file (schema in input-schemas.ts). */
export function readSweepResult(path: string): SweepResult {
  const result = readJsonFile(path, sweepResultSchema, 'sweep result file', 'sim sweep --out FILE or --json writes one') as unknown as SweepResult;
  for (const entry of result.results) entry.coverage ??= [];
  return result;
}
