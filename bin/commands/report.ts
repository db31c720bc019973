// `sim report <result.json> --html FILE`: renders the HTML report again from a saved result.
import { readJsonFile, scenarioResultSchema } from '../input-schemas.ts';
import { UsageError } from '../cli-errors.ts';
import { EXIT } from '../cli-errors.ts';
import { checkOutputFile } from '../output-paths.ts';
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
  checkOutputFile(options.html, '--html');
  const parsed = readJsonFile(file, scenarioResultSchema, 'result file', 'use the JSON that sim run --json or --report writes');
  const result = withDefaults(parsed as unknown as ScenarioResult);
  await writeFileAtomic(options.html, await renderHtml(result));
  process.stdout.write(`report: ${options.html}\n`);
  return EXIT.ok;
}

/** Fills the optional parts a result file may lack (older files, or --json output trimmed by hand). */
function withDefaults(result: ScenarioResult): ScenarioResult {
  for (const variant of result.variants) {
    variant.series ??= [];
    variant.timeline ??= [];
    variant.faultSchedule ??= [];
    variant.faults ??= [];
    variant.coverage ??= {};
    variant.options ??= {};
    variant.metrics.endpoints ??= [];
    variant.metrics.errors ??= {};
    variant.metrics.consistency ??= {};
  }
  return result;
}
