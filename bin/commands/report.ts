// `sim report <result.json> --html FILE`: renders the HTML report again from a saved result.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { UsageError } from '../cli-errors.ts';
import { EXIT } from '../cli-errors.ts';
import { renderHtml } from '../../reports/html.ts';
import { writeFileAtomic } from '../../reports/atomic-write.ts';
import type { ScenarioResult } from '../../sim/harness/result.ts';

/** Options of `sim report`. */
export interface ReportCommandOptions {
  html?: string;
}

/** Runs the command; returns the exit code. */
export async function reportCommand(file: string, options: ReportCommandOptions): Promise<number> {
  if (!options.html) throw new UsageError('sim report needs --html FILE: the page to write (example: sim report out/result.json --html out/report.html)');
  if (!existsSync(file)) throw new UsageError(`result file not found: ${file} (write one with sim run <scenario> --json > result.json, or --report DIR)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = checkResult(parsed, file);
  await writeFileAtomic(options.html, await renderHtml(result));
  process.stdout.write(`report: ${options.html}\n`);
  return EXIT.ok;
}

/** A light shape check: enough to render, with a clear line when it is something else. */
function checkResult(value: unknown, file: string): ScenarioResult {
  const candidate = value as Partial<ScenarioResult> | null;
  if (!candidate || typeof candidate !== 'object' || typeof candidate.scenario !== 'string' || !Array.isArray(candidate.variants)) {
    throw new UsageError(`${file} is not a sim result (no scenario and variants): use the JSON that sim run --json or --report writes`);
  }
  for (const variant of candidate.variants) {
    if (!variant || typeof variant.name !== 'string' || !variant.metrics || !Array.isArray(variant.failures)) {
      throw new UsageError(`${file}: a variant entry lacks name, metrics or failures: use the JSON that sim run --json or --report writes`);
    }
    variant.series ??= [];
    variant.timeline ??= [];
    variant.faultSchedule ??= [];
    variant.faults ??= [];
    variant.coverage ??= {};
    variant.options ??= {};
  }
  return candidate as ScenarioResult;
}
