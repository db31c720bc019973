// `sim run <scenario.ts>`: runs every variant (or one) on one seed and prints the side-by-side
// report, or one JSON object with --json; can also check determinism and write report files.
import { join, extname } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { loadScenario } from '../load-scenario.ts';
import { parseSeed, randomSeed } from '../seed.ts';
import { EXIT, UsageError, oneLine } from '../cli-errors.ts';
import { colorEnabled, printJson } from '../output.ts';
import { replayCommand, withReplayLines } from '../replay-command.ts';
import { checkDeterminism } from '../determinism.ts';
import { checkOutputs } from '../output-paths.ts';
import { readReplayFile, replayFileCommand, reproduces, runReplay, type ReplayFile } from '../replay-file.ts';
import { runScenario, findVariant } from '../../sim/harness/runner.ts';
import type { ScenarioResult } from '../../sim/harness/result.ts';
import { renderTerminal } from '../../reports/terminal.ts';
import { toJson } from '../../reports/json.ts';
import { renderHtml } from '../../reports/html.ts';
import { writeFileAtomic } from '../../reports/atomic-write.ts';
import { createTraceCollector, type TraceExportCollector, type TraceExportFormat } from '../../reports/trace-export.ts';

/** Options of `sim run`, as commander parses them. */
export interface RunCommandOptions {
  seed?: string;
  variant?: string;
  json?: boolean;
  checkDeterminism?: boolean;
  report?: string;
  trace?: string;
  otlp?: string;
  /** A replay file written by `sim shrink`: fixes the seed, the variant and the whole run plan. */
  replay?: string;
  /** Draw the scenario's options from the seed, as `sim sweep --swarm` does. */
  swarm?: boolean;
}

/** Runs the command; returns the exit code. */
export async function runCommand(file: string, options: RunCommandOptions): Promise<number> {
  const replay = options.replay !== undefined ? readReplayFile(options.replay) : undefined;
  if (replay && (options.seed !== undefined || options.variant !== undefined || options.swarm || options.checkDeterminism)) {
    throw new UsageError('--replay FILE fixes the seed, the variant and the options: drop --seed, --variant, --swarm and --check-determinism');
  }
  if (options.swarm && options.checkDeterminism) throw new UsageError('--check-determinism does not take --swarm yet: check the seed without it');
  const seed = replay?.seed ?? (options.seed !== undefined ? parseSeed(options.seed) : randomSeed());
  checkOutputs([['--report', options.report, 'folder'], ['--trace', options.trace, 'file'], ['--otlp', options.otlp, 'file']]);
  const definition = await loadScenario(file);
  if (options.variant !== undefined) findVariant(definition, options.variant);
  const variantNames = options.variant !== undefined ? [options.variant] : replay ? [replay.variant] : definition.variants.map((v) => v.name);
  if (!options.json) process.stdout.write(`seed=${seed}\n`);

  if (options.checkDeterminism) {
    const { result, difference } = await checkDeterminism(definition, seed, variantNames);
    if (difference) {
      const where = difference.eventIndex >= 0 ? `event #${difference.eventIndex}` : 'the final trace hash';
      const message = `variant ${difference.variant}, seed ${seed}: runs differ at ${where}: first run "${difference.first}", second run "${difference.second}"`;
      if (options.json) printJson({ ...toJson(result), ok: false, determinism: { ok: false, ...difference } });
      else process.stdout.write(`nondeterminism: ${message}\nreplay: ${replayCommand(file, seed, difference.variant, ['--check-determinism'])}\n`);
      process.stderr.write(`sim: nondeterminism detected: ${oneLine(message)}\n`);
      return EXIT.nondeterminism;
    }
    return await finishRun(file, seed, result, options, true);
  }

  // One collector per variant and format: ids restart in every variant's world.
  const exports: { format: TraceExportFormat; path: string; variant: string; collector: TraceExportCollector }[] = [];
  const wanted: [TraceExportFormat, string | undefined][] = [['chrome', options.trace], ['otlp', options.otlp]];
  const observersFor = (variant: string) => ({
    filteredSinks: wanted
      .filter((entry): entry is [TraceExportFormat, string] => entry[1] !== undefined)
      .map(([format, path]) => {
        const collector = createTraceCollector(format, { label: `${definition.name} / ${variant} / seed ${seed}`, namespace: `${definition.name}/${variant}/${seed}` });
        exports.push({ format, path: exportPath(path, variant, variantNames.length), variant, collector });
        return { kinds: collector.kinds, sink: collector.sink };
      }),
  });
  const result = replay
    ? await runReplay(definition, replay, options.replay!, observersFor(replay.variant))
    : await runScenario(definition, seed, { ...(options.variant !== undefined ? { variant: options.variant } : {}), ...(options.swarm ? { swarm: true } : {}), observersFor });
  for (const entry of exports) await writeFileAtomic(entry.path, entry.collector.finish());
  if (!options.json) {
    for (const entry of exports) process.stdout.write(`${entry.format === 'chrome' ? 'trace (Perfetto)' : 'trace (OTLP/Jaeger)'}: ${entry.path} (${entry.collector.spanCount} spans, variant ${entry.variant})\n`);
  }
  return await finishRun(file, seed, result, options, false, replay);
}

async function finishRun(file: string, seed: number, result: ScenarioResult, options: RunCommandOptions, determinismChecked: boolean, replay?: ReplayFile): Promise<number> {
  const replayed = replay ? { file: options.replay!, check: replay.failure.check, kind: replay.failure.kind, reproduced: reproduces(result, replay) } : undefined;
  const rerun = (variant: string): string => (replayed ? replayFileCommand(file, replayed.file) : replayCommand(file, seed, variant, options.swarm ? ['--swarm'] : []));
  const json = withReplayLines(replayed ? { ...toJson(result), replay: replayed } : toJson(result), rerun);
  if (options.report) {
    await mkdir(options.report, { recursive: true });
    await writeFileAtomic(join(options.report, 'result.json'), `${JSON.stringify(json, null, 2)}\n`);
    await writeFileAtomic(join(options.report, 'report.html'), await renderHtml(result, { replayCommand: rerun }));
  }
  if (options.json) {
    printJson(determinismChecked ? { ...json, determinism: { ok: true } } : json);
  } else {
    process.stdout.write(
      renderTerminal(result, {
        color: colorEnabled(process.stdout),
        replayCommand: rerun,
      }),
    );
    if (replayed) process.stdout.write(`replay: ${replayed.reproduced ? 'reproduced' : 'did NOT reproduce'} ${replayed.kind} '${replayed.check}' from ${replayed.file}\n`);
    if (determinismChecked) process.stdout.write(`determinism: ok (every variant ran twice with identical traces)\n`);
    if (options.report) process.stdout.write(`report: ${join(options.report, 'report.html')}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.checkFailed;
}

/** With several variants, `trace.json` becomes `trace.<variant>.json`, one file per variant. */
function exportPath(path: string, variant: string, variantCount: number): string {
  if (variantCount === 1) return path;
  const extension = extname(path);
  return `${path.slice(0, path.length - extension.length)}.${variant}${extension || '.json'}`;
}
