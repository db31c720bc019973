// The human summary of a sweep: the seed range first, totals, failing checks, coverage of the
// `sometimes` checks, then each failing run with its faults, options and replay line last.
import type { SweepResult } from './sweep-summary.ts';
import { failingRuns } from './sweep-summary.ts';
import { formatOptions, sweepReplayCommand } from './sweep-junit.ts';

/** Failing runs printed in full; the next ones get one line each with their replay command. */
export const MAX_LISTED_FAILURES = 20;
/** Failing runs listed at all; the rest are counted (all are in --json and --junit). */
export const MAX_REPLAY_LINES = 200;

/** Options of the summary. */
export interface RenderSweepOptions {
  /** Print the `seeds=A..B …` line (false when it was printed before the sweep ran). Default true. */
  header?: boolean;
  /** Lines printed after the totals (elapsed time, workers, output files). */
  notes?: string[];
}

/** The first line of a sweep's human output: the seed range first, then what was swept. */
export function sweepHeader(identity: Pick<SweepResult, 'seeds' | 'scenario' | 'variant' | 'shard' | 'swarm'>): string {
  const header = [`seeds=${identity.seeds.first}..${identity.seeds.last}`, `scenario=${identity.scenario}`];
  if (identity.variant !== undefined) header.push(`variant=${identity.variant}`);
  if (identity.shard) header.push(`shard=${identity.shard.index}/${identity.shard.count}`);
  if (identity.swarm) header.push('swarm');
  return header.join('  ');
}

/** The summary text, ending with a newline. */
export function renderSweep(result: SweepResult, options: RenderSweepOptions = {}): string {
  const lines: string[] = [];
  const ran = result.results.length;
  if (options.header ?? true) lines.push(sweepHeader(result));
  if (result.interrupted) lines.push(`interrupted: the summary covers the ${ran} seeds that finished`);
  const expected = result.seeds.last - result.seeds.first + 1;
  const scope = result.shard || ran !== expected ? `${ran} seeds run` : `${ran} seeds`;
  lines.push(result.failed === 0 ? `✓ all ${scope} passed` : `✗ ${result.failed} of ${scope} failed, ${result.passed} passed`);
  for (const note of options.notes ?? []) lines.push(note);

  const checks = Object.entries(result.failingChecks).sort((a, b) => b[1] - a[1]);
  if (checks.length > 0) {
    lines.push('', 'failing checks (seeds):');
    const width = Math.max(...checks.map(([name]) => name.length));
    for (const [name, seeds] of checks) lines.push(`  ${name.padEnd(width)}  ${seeds}`);
  }
  const coverage = Object.entries(result.coverage);
  if (coverage.length > 0) {
    lines.push('', 'coverage (seeds that reached each sometimes-check):');
    const width = Math.max(...coverage.map(([name]) => name.length));
    for (const [name, seeds] of coverage) lines.push(`  ${name.padEnd(width)}  ${seeds}/${ran}${seeds === 0 ? '  (never reached)' : ''}`);
  }

  const failing = failingRuns(result);
  if (failing.length > 0) {
    lines.push('', 'failures:');
    for (const { seed, variant } of failing.slice(0, MAX_LISTED_FAILURES)) {
      lines.push(`  seed=${seed} variant=${variant.name}`);
      // A multi-line message (a history timeline) stays indented under its failure.
      for (const failure of variant.failures) lines.push(`    ${failure.kind} '${failure.check}' at ${Math.round(failure.atMs)} ms: ${failure.message.replaceAll('\n', '\n      ')}`);
      if (variant.faults.length > 0) lines.push(`    faults: ${variant.faults.join('; ')}`);
      if (Object.keys(variant.options).length > 0) lines.push(`    options: ${formatOptions(variant.options)}`);
      lines.push(`    replay: ${sweepReplayCommand(result, seed, variant.name)}`);
    }
    const brief = failing.slice(MAX_LISTED_FAILURES, MAX_REPLAY_LINES);
    if (brief.length > 0) lines.push('', 'more failures:');
    for (const { seed, variant } of brief) {
      lines.push(`  seed=${seed} variant=${variant.name}: ${variant.failures.map((failure) => failure.check).join(', ')}; replay: ${sweepReplayCommand(result, seed, variant.name)}`);
    }
    if (failing.length > MAX_REPLAY_LINES) {
      lines.push(`  … and ${failing.length - MAX_REPLAY_LINES} more failing runs (all are in --json and --junit)`);
    }
  }
  return `${lines.join('\n')}\n`;
}
