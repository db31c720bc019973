// `sim run <scenario.ts>`: runs every variant (or one) on one seed and prints the side-by-side
// report, or one JSON object with --json; can also check determinism and write report files.
import { join } from 'node:path';
import { loadScenario } from '../load-scenario.ts';
import { parseSeed, randomSeed } from '../seed.ts';
import { EXIT } from '../cli-errors.ts';
import { colorEnabled, printJson } from '../output.ts';
import { replayCommand } from '../replay-command.ts';
import { checkDeterminism } from '../determinism.ts';
import { runScenario, findVariant } from '../../sim/runner.ts';
import type { ScenarioResult } from '../../sim/result.ts';
import type { TraceSink } from '../../sim/trace.ts';
import { renderTerminal } from '../../reports/terminal.ts';
import { toJson } from '../../reports/json.ts';
import { renderHtml } from '../../reports/html.ts';
import { writeFileAtomic } from '../../reports/atomic-write.ts';
import { createChromeTraceCollector, createOtlpCollector } from '../../reports/trace-export.ts';

/** Options of `sim run`, as commander parses them. */
export interface RunCommandOptions {
  seed?: string;
  variant?: string;
  json?: boolean;
  checkDeterminism?: boolean;
  report?: string;
  trace?: string;
  otlp?: string;
}

/** Runs the command; returns the exit code. */
export async function runCommand(file: string, options: RunCommandOptions): Promise<number> {
  const seed = options.seed !== undefined ? parseSeed(options.seed) : randomSeed();
  const definition = await loadScenario(file);
  if (options.variant !== undefined) findVariant(definition, options.variant);
  const variantNames = options.variant !== undefined ? [options.variant] : definition.variants.map((v) => v.name);
  if (!options.json) process.stdout.write(`seed=${seed}\n`);

  if (options.checkDeterminism) {
    const { result, difference } = await checkDeterminism(definition, seed, variantNames);
    if (difference) {
      const where = difference.eventIndex >= 0 ? `event #${difference.eventIndex}` : 'the final trace hash';
      const message = `variant ${difference.variant}, seed ${seed}: runs differ at ${where}: first run "${difference.first}", second run "${difference.second}"`;
      if (options.json) printJson({ ...toJson(result), ok: false, determinism: { ok: false, ...difference } });
      else process.stdout.write(`nondeterminism: ${message}\nreplay: ${replayCommand(file, seed, difference.variant, '--check-determinism')}\n`);
      process.stderr.write(`sim: nondeterminism detected: ${message}\n`);
      return EXIT.nondeterminism;
    }
    return await finishRun(file, seed, result, options, true);
  }

  const chrome = options.trace ? createChromeTraceCollector() : undefined;
  const otlp = options.otlp ? createOtlpCollector() : undefined;
  const sinksFor = (): TraceSink[] => [chrome?.sink, otlp?.sink].filter((sink): sink is TraceSink => sink !== undefined);
  const result = await runScenario(definition, seed, { ...(options.variant !== undefined ? { variant: options.variant } : {}), sinksFor });
  if (chrome && options.trace) writeFileAtomic(options.trace, chrome.finish());
  if (otlp && options.otlp) writeFileAtomic(options.otlp, otlp.finish());
  return await finishRun(file, seed, result, options, false);
}

async function finishRun(file: string, seed: number, result: ScenarioResult, options: RunCommandOptions, determinismChecked: boolean): Promise<number> {
  const json = toJson(result);
  if (options.report) {
    writeFileAtomic(join(options.report, 'result.json'), `${JSON.stringify(json, null, 2)}\n`);
    writeFileAtomic(join(options.report, 'report.html'), await renderHtml(result));
  }
  if (options.json) {
    printJson(determinismChecked ? { ...json, determinism: { ok: true } } : json);
  } else {
    process.stdout.write(
      renderTerminal(result, {
        color: colorEnabled(process.stdout),
        replayCommand: (variant: string) => replayCommand(file, seed, variant),
      }),
    );
    if (determinismChecked) process.stdout.write(`determinism: ok (every variant ran twice with identical traces)\n`);
    if (options.report) process.stdout.write(`report: ${join(options.report, 'report.html')}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.checkFailed;
}
