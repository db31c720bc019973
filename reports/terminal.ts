// The human report of a run for the terminal: a header line, one table with the variants side by
// side, then each failure as a block ending with the command that replays it.
import Table from 'cli-table3';
import { Chalk, type ChalkInstance } from 'chalk';
import type { ScenarioResult, VariantResult } from '../sim/harness/result.ts';
import { formatCount, formatMs } from './format.ts';
import { summaryRows, type CellTone, type SummaryRow } from './summary.ts';

/** Options of `renderTerminal`. */
export interface TerminalOptions {
  /** Emit ANSI colours (the CLI decides: TTY and no NO_COLOR). */
  color: boolean;
  /** The command that replays one variant of this run, e.g. `sim run scenarios/x.ts --seed 42 --variant sync`. */
  replayCommand?: (variant: string) => string;
  /** Target width in columns (default 120); the table fits 100–140 comfortably, long names wrap. */
  widthColumns?: number;
}

const DEFAULT_WIDTH_COLUMNS = 120;
const MIN_VARIANT_COLUMN = 12;
const MAX_VARIANT_COLUMN = 40;
const MAX_LABEL_COLUMN = 34;

function toneOf(chalk: ChalkInstance, tone: CellTone, text: string): string {
  switch (tone) {
    case 'good':
      return chalk.green(text);
    case 'bad':
      return chalk.red(text);
    case 'muted':
      return chalk.dim(text);
    case 'plain':
      return text;
  }
}

/** Column widths (cli-table3 counts padding inside the width) that fit `widthColumns` when possible. */
function columnWidths(rows: readonly SummaryRow[], variantCount: number, widthColumns: number): number[] {
  const longestLabel = rows.reduce((longest, row) => Math.max(longest, row.label.length), 0);
  const labelWidth = Math.min(MAX_LABEL_COLUMN, longestLabel + 2);
  // One border character per column plus the closing one.
  const available = widthColumns - labelWidth - (variantCount + 2);
  const variantWidth = Math.max(MIN_VARIANT_COLUMN, Math.min(MAX_VARIANT_COLUMN, Math.floor(available / Math.max(1, variantCount))));
  return [labelWidth, ...Array.from({ length: variantCount }, () => variantWidth)];
}

/**
 * Breaks a name into lines of at most `width` characters, preferring to break after `-`, `+`, `_`,
 * `/`, `.` or a space (variant names like `microservices-sync+breaker` have no spaces to wrap at).
 */
export function wrapName(name: string, width: number): string {
  const lines: string[] = [];
  let rest = name;
  while (rest.length > width) {
    let cut = -1;
    for (let index = width; index > 0; index--) {
      if ('-+_/. '.includes(rest[index - 1]!)) {
        cut = index;
        break;
      }
    }
    if (cut <= 0) cut = width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines.join('\n');
}

function table(result: ScenarioResult, rows: readonly SummaryRow[], chalk: ChalkInstance, widthColumns: number): string {
  const variantCount = result.variants.length;
  const widths = columnWidths(rows, variantCount, widthColumns);
  // Padding takes two columns of each width.
  const nameWidth = (widths[1] ?? MIN_VARIANT_COLUMN) - 2;
  const names = result.variants.map((variant) => wrapName(variant.name, nameWidth));
  const out = new Table({
    head: ['', ...names.map((name) => chalk.bold(name))],
    colWidths: widths,
    wordWrap: true,
    wrapOnWordBoundary: true,
    // No colours of cli-table3's own: colour is ours to decide (options.color).
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1 },
    // Compact: no rule between rows, only under the header.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  let section: SummaryRow['section'] | undefined;
  for (const row of rows) {
    if (row.spanning) continue;
    if (row.section !== section && section !== undefined) {
      // A blank row separates sections, which reads better than a rule under every row.
      out.push(['', ...result.variants.map(() => '')]);
    }
    const label = row.label;
    section = row.section;
    out.push([chalk.dim(label), ...row.cells.map((cell) => toneOf(chalk, cell.tone, cell.text))]);
  }
  return ruleUnderHeader(out.toString(), Math.max(1, ...names.map((name) => name.split('\n').length)));
}

/**
 * Inserts a rule under the header rows. The table is drawn without rules between rows (compact),
 * and cli-table3 draws the header rule with the same characters, so it is added here, shaped
 * from the top border. `headerLines` is exact: names are pre-wrapped to fit their column.
 */
function ruleUnderHeader(table: string, headerLines: number): string {
  const lines = table.split('\n');
  const top = lines[0] ?? '';
  const rule = top.replace('┌', '├').replaceAll('┬', '┼').replace('┐', '┤');
  lines.splice(1 + headerLines, 0, rule);
  return lines.join('\n');
}

/**
 * Rows that hold for every variant (identical fault schedules), printed once under the table: a
 * spanning cell would be wider than the variants' columns anyway, and cli-table3 draws stray
 * borders for column spans in a table without row rules.
 */
function sharedRows(rows: readonly SummaryRow[], chalk: ChalkInstance): string[] {
  const lines: string[] = [];
  for (const row of rows) {
    const cell = row.cells[0];
    if (!cell) continue;
    const [first, ...rest] = cell.text.split('\n');
    lines.push(`${chalk.dim(`${row.label} (every variant):`)} ${toneOf(chalk, cell.tone, first ?? '')}`);
    for (const line of rest) lines.push(`  ${toneOf(chalk, cell.tone, line)}`);
  }
  return lines;
}

function verdict(chalk: ChalkInstance, result: ScenarioResult): string {
  const failures = result.variants.reduce((sum, variant) => sum + variant.failures.length, 0);
  return result.ok ? chalk.green('✓ all checks hold') : chalk.red(`✗ ${failures} failure${failures === 1 ? '' : 's'}`);
}

function failureBlocks(result: ScenarioResult, chalk: ChalkInstance, replayCommand: TerminalOptions['replayCommand']): string[] {
  const blocks: string[] = [];
  for (const variant of result.variants) {
    for (const failure of variant.failures) {
      const lines = [
        `${chalk.red('✗')} ${chalk.bold(variant.name)}: ${failure.kind} failure of ${chalk.bold(failure.check)} at ${formatMs(failure.atMs)} ms`,
        // Multi-line messages (a history timeline) stay indented under their failure.
        ...failure.message.split('\n').map((line) => `  ${line}`),
      ];
      if (replayCommand) lines.push(`  replay: ${chalk.cyan(replayCommand(variant.name))}`);
      blocks.push(lines.join('\n'));
    }
  }
  return blocks;
}

function header(result: ScenarioResult, chalk: ChalkInstance): string[] {
  const variants = result.variants.length;
  const lines = [
    `${chalk.bold(result.scenario)}  seed=${result.seed}  ${verdict(chalk, result)}  ${chalk.dim(`${variants} variant${variants === 1 ? '' : 's'}, trace ${result.traceHash}`)}`,
  ];
  if (result.description) lines.push(chalk.dim(result.description));
  return lines;
}

/** Simulated time and event count per variant, for the line under the table. */
function runFigures(variants: readonly VariantResult[]): string {
  return variants.map((variant) => `${variant.name}: ${formatMs(variant.simulatedMs)} ms simulated, ${formatCount(variant.events)} events`).join('; ');
}

/** Error groups shown under the table per variant; the JSON result has them all. */
const ERRORS_SHOWN = 3;

/** The three most frequent service errors and any hung requests of each variant, under the table. */
function serviceErrorLines(variants: readonly VariantResult[], chalk: ChalkInstance): string[] {
  const lines: string[] = [];
  for (const variant of variants) {
    const errors = variant.errors ?? [];
    if (errors.length > 0) {
      const more = errors.length > ERRORS_SHOWN ? ` (top ${ERRORS_SHOWN} of ${errors.length} kinds)` : '';
      lines.push(chalk.bold(`${variant.name}: errors in service code${more}`));
      for (const group of errors.slice(0, ERRORS_SHOWN)) {
        const where = group.where === '' ? '' : ` at ${group.where}`;
        const mark = group.bug ? chalk.red('bug') : chalk.dim('deliberate');
        lines.push(`  ${formatCount(group.count)}× ${group.node}.${group.method} ${mark} ${group.code}: ${group.message}${where}`);
      }
    }
    for (const hung of variant.hungRequests ?? []) {
      lines.push(chalk.bold(`${variant.name}: ${formatCount(hung.count)} hung request${hung.count === 1 ? '' : 's'} in ${hung.node}.${hung.method}`) + chalk.dim(' (still running long after the caller\'s deadline)'));
    }
  }
  return lines;
}

/**
 * Renders a scenario result for the terminal: header (scenario, seed, verdict), the side-by-side
 * table (requests, latency, availability, throughput, cost, consistency, errors, checks, faults),
 * then one block per failure ending with its replay command. Ends with a newline.
 */
export function renderTerminal(result: ScenarioResult, options: TerminalOptions): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const rows = summaryRows(result);
  const parts = [...header(result, chalk), table(result, rows, chalk, options.widthColumns ?? DEFAULT_WIDTH_COLUMNS)];
  parts.push(...sharedRows(rows.filter((row) => row.spanning), chalk));
  parts.push(chalk.dim(runFigures(result.variants)));
  parts.push(...serviceErrorLines(result.variants, chalk));
  const blocks = failureBlocks(result, chalk, options.replayCommand);
  if (blocks.length > 0) parts.push('', chalk.bold('Failures'), blocks.join('\n\n'));
  return `${parts.join('\n')}\n`;
}
