// `sim compare <scenario.ts>`: every variant on one seed, side by side, followed by a verdict per
// headline figure (best variant, and how far each other one is from it).
import { loadScenario } from '../load-scenario.ts';
import { parseSeed, randomSeed } from '../seed.ts';
import { EXIT } from '../cli-errors.ts';
import { colorEnabled, printJson } from '../output.ts';
import { replayCommand, withReplayLines } from '../replay-command.ts';
import { runScenario } from '../../sim/harness/runner.ts';
import { renderTerminal } from '../../reports/terminal.ts';
import { toJson } from '../../reports/json.ts';
import { compareVariants, renderComparison } from '../../reports/compare.ts';

/** Options of `sim compare`. */
export interface CompareCommandOptions {
  seed?: string;
  json?: boolean;
}

/** Runs the command; returns the exit code. */
export async function compareCommand(file: string, options: CompareCommandOptions): Promise<number> {
  const seed = options.seed !== undefined ? parseSeed(options.seed) : randomSeed();
  const definition = await loadScenario(file);
  if (!options.json) process.stdout.write(`seed=${seed}\n`);
  const result = await runScenario(definition, seed);
  const rerun = (variant: string): string => replayCommand(file, seed, variant);
  if (options.json) {
    printJson({ ...withReplayLines(toJson(result), rerun), comparison: compareVariants(result) });
  } else {
    process.stdout.write(renderTerminal(result, { color: colorEnabled(process.stdout), replayCommand: rerun }));
    process.stdout.write(renderComparison(result));
  }
  return result.ok ? EXIT.ok : EXIT.checkFailed;
}
