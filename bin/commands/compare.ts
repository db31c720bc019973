// `sim compare <scenario> --seeds A..B`: every variant on every seed (worker threads), then each
// headline figure as a mean with its confidence interval per variant, and each variant against the
// baseline as the interval of per-seed differences with a verdict. Failing checks gate it (exit 1).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT, UsageError } from '../cli-errors.ts';
import { loadScenario } from '../load-scenario.ts';
import { colorEnabled, printJson } from '../output.ts';
import { SweepPool } from '../sweep-pool.ts';
import type { SweepSeedEntry } from '../sweep-summary.ts';
import { sweepReplayCommand } from '../sweep-junit.ts';
import { createProgress } from '../sweep-progress.ts';
import { parseCompareOptions, type CompareCommandOptions, type CompareSettings } from '../compare-options.ts';
import type { Scenario } from '../../sim/harness/scenario.ts';
import { compareSeeds, imprecise, type Comparison, type CompareResult, type SeedFigures } from '../../reports/compare.ts';
import { pairingGain, renderComparison } from '../../reports/compare-render.ts';
import { renderCompareHtml } from '../../reports/compare-html.ts';
import { writeFileAtomic } from '../../reports/atomic-write.ts';
import { formatNumber } from '../../reports/format.ts';

export type { CompareCommandOptions };

/** With --precision, intervals are judged from this many seeds on (fewer can look precise by luck). */
export const MIN_PRECISION_SEEDS = 5;
/** Failing runs listed with their replay line; the rest are counted (all are in --json). */
const MAX_LISTED_FAILURES = 20;

/** Runs the command; returns the exit code. */
export async function compareCommand(file: string, options: CompareCommandOptions): Promise<number> {
  const settings = parseCompareOptions(options);
  const definition = await loadScenario(file);
  const names = definition.variants.map((variant) => variant.name);
  const baseline = settings.baseline ?? names[0]!;
  if (!names.includes(baseline)) throw new UsageError(`--baseline '${baseline}' names no variant of ${definition.name}: it has ${names.join(', ')}`);
  if (names.length < 2) throw new UsageError(`${definition.name} has one variant (${names[0]}): sim compare needs at least two; for one variant's spread across seeds use sim sweep --json`);
  if (!settings.json) {
    const precisionNote = settings.precision !== undefined ? `  precision=${settings.precision} (at most ${settings.seeds.length} seeds)` : '';
    process.stdout.write(`seeds=${settings.seeds[0]}..${settings.seeds.at(-1)}  scenario=${definition.name}  baseline=${baseline}  confidence=${settings.confidence}${precisionNote}\n`);
  }
  const entries = await runSeeds(file, definition, settings, baseline);
  const used = entries.map(toSeedFigures);
  const comparison = compareSeeds(used, { confidence: settings.confidence, baseline, declared: definition.figures ?? {} });
  const result = assemble(definition, file, settings, entries, comparison);

  if (settings.report) {
    await mkdir(settings.report, { recursive: true });
    await writeFileAtomic(join(settings.report, 'compare.json'), `${JSON.stringify(result, null, 2)}\n`);
    await writeFileAtomic(join(settings.report, 'compare.html'), await renderCompareHtml(result));
  }
  if (settings.json) printJson(result);
  else process.stdout.write(renderText(result, settings));
  return result.ok ? EXIT.ok : EXIT.checkFailed;
}

/** Runs seeds in order on worker threads; with --precision, stops at the first prefix of seeds that is precise enough. */
async function runSeeds(file: string, definition: Scenario, settings: CompareSettings, baseline: string): Promise<SweepSeedEntry[]> {
  const bySeed = new Map<number, SweepSeedEntry>();
  let prefix = 0;
  let enough: number | undefined;
  const progress = createProgress(settings.seeds.length, 0);
  const pool: SweepPool = new SweepPool({
    file,
    swarm: false,
    workers: settings.workers,
    onResult: (entry) => {
      bySeed.set(entry.seed, entry);
      progress.tick(!entry.ok);
      if (settings.precision === undefined || enough !== undefined) return;
      // Judge each prefix of seeds once it is complete, in seed order, so the answer does not
      // depend on which worker finished first.
      while (prefix < settings.seeds.length && bySeed.has(settings.seeds[prefix]!)) {
        prefix++;
        if (prefix < Math.min(MIN_PRECISION_SEEDS, settings.seeds.length)) continue;
        const seeds = settings.seeds.slice(0, prefix).map((seed) => toSeedFigures(bySeed.get(seed)!));
        const comparison = compareSeeds(seeds, { confidence: settings.confidence, baseline, declared: definition.figures ?? {} });
        if (imprecise(comparison, settings.precision).length === 0) {
          enough = prefix;
          pool.stop();
          return;
        }
      }
    },
  });
  try {
    await pool.run(settings.seeds);
  } finally {
    progress.stop();
  }
  const count = enough ?? settings.seeds.length;
  return settings.seeds.slice(0, count).map((seed) => bySeed.get(seed)!);
}

function toSeedFigures(entry: SweepSeedEntry): SeedFigures {
  return { seed: entry.seed, variants: entry.variants.map((variant) => ({ name: variant.name, figures: variant.figures ?? {} })) };
}

function assemble(definition: Scenario, file: string, settings: CompareSettings, entries: SweepSeedEntry[], comparison: Comparison): CompareResult {
  const failures = entries.flatMap((entry) =>
    entry.variants.flatMap((variant) =>
      variant.failures.map((failure) => ({
        seed: entry.seed,
        variant: variant.name,
        check: failure.check,
        kind: failure.kind,
        message: failure.message,
        replay: sweepReplayCommand({ file, swarm: false }, entry.seed, variant.name),
      })),
    ),
  );
  const result: CompareResult = {
    scenario: definition.name,
    file,
    ok: failures.length === 0,
    seedRange: { first: settings.seeds[0]!, last: settings.seeds.at(-1)! },
    seedsUsed: entries.length,
    failures,
    comparison,
  };
  if (settings.precision !== undefined) {
    const holdingOut = imprecise(comparison, settings.precision);
    result.precision = { target: settings.precision, reached: holdingOut.length === 0, holdingOut };
  }
  return result;
}

function renderText(result: CompareResult, settings: CompareSettings): string {
  const lines: string[] = [];
  const { comparison } = result;
  lines.push(`${result.seedsUsed} seeds; intervals are ${formatNumber(comparison.confidence * 100)}% Student t; differences are paired by seed (variants share seed, workload and faults)`);
  if (result.precision) {
    const { target, reached, holdingOut } = result.precision;
    lines.push(
      reached
        ? `precision ${target} reached after ${result.seedsUsed} seeds: every half-width is within ${formatNumber(target * 100)}% of its mean`
        : `precision ${target} not reached in ${result.seedsUsed} seeds; still wider: ${holdingOut.slice(0, 5).join(', ')}${holdingOut.length > 5 ? ` and ${holdingOut.length - 5} more` : ''}`,
    );
  }
  lines.push('', renderComparison(comparison, { color: colorEnabled(process.stdout) }).trimEnd());
  const gain = pairingGain(comparison);
  if (gain) lines.push('', `pairing: on these seeds the unpaired interval would be ${formatNumber(gain.medianRatio)}× as wide as the paired one (median over ${gain.pairs} differences)`);
  if (result.failures.length > 0) {
    const runs = new Set(result.failures.map((failure) => `${failure.seed}/${failure.variant}`));
    lines.push('', `✗ checks failed in ${runs.size} of ${result.seedsUsed * comparison.variants.length} runs:`);
    for (const failure of result.failures.slice(0, MAX_LISTED_FAILURES)) {
      lines.push(`  seed=${failure.seed} variant=${failure.variant} ${failure.kind} '${failure.check}': ${failure.message}`, `    replay: ${failure.replay}`);
    }
    if (result.failures.length > MAX_LISTED_FAILURES) lines.push(`  … and ${result.failures.length - MAX_LISTED_FAILURES} more failures (all are in --json)`);
  }
  if (settings.report) lines.push('', `report: ${join(settings.report, 'compare.html')}`);
  return `${lines.join('\n')}\n`;
}
