// The terminal view of a comparison across seeds: one table per figure group, a row per figure and
// variant with its mean ± half-width, and each variant's paired difference from the baseline with
// its interval and verdict.
import Table from 'cli-table3';
import { Chalk } from 'chalk';
import { FIGURE_GROUPS, formatDifference, formatFigure, type FigureInfo } from './figures.ts';
import type { Comparison, FigureComparison, PairedDifference, Verdict } from './compare.ts';
import { formatNumber } from './format.ts';

/** Options of the rendering. */
export interface CompareRenderOptions {
  color: boolean;
}

/** `41.2 ms ± 3.10` — a mean and the half-width of its interval, in the figure's unit. */
export function formatMeanInterval(info: FigureInfo, mean: number, halfWidth: number): string {
  if (info.unit === 'ratio') return `${formatFigure(info, mean)} ± ${formatNumber(halfWidth * 100)} pts`;
  return `${formatFigure(info, mean)} ± ${formatNumber(halfWidth)}`;
}

/** `+16.3 points [+15.9, +16.7]` — a paired difference with its interval. */
export function formatDifferenceInterval(info: FigureInfo, difference: PairedDifference): string {
  return `${formatDifference(info, difference.mean)} [${formatDifference(info, difference.low)}, ${formatDifference(info, difference.high)}]`;
}

function verdictText(verdict: Verdict, chalk: InstanceType<typeof Chalk>): string {
  if (verdict === 'better') return chalk.green(verdict);
  if (verdict === 'worse') return chalk.red(verdict);
  if (verdict === 'no significant difference') return chalk.dim('no sig. difference');
  return verdict;
}

function figureRows(figure: FigureComparison, baseline: string, chalk: InstanceType<typeof Chalk>): string[][] {
  return figure.variants.map((variant, index) => {
    const label = index === 0 ? figure.label : '';
    const value = variant.n === 0 ? '–' : formatMeanInterval(figure, variant.mean, variant.halfWidth);
    if (variant.variant === baseline) return [label, variant.variant, value, chalk.dim('(baseline)'), ''];
    const difference = figure.differences.find((entry) => entry.variant === variant.variant);
    if (!difference || difference.n === 0) return [label, variant.variant, value, '–', ''];
    return [label, variant.variant, value, formatDifferenceInterval(figure, difference), verdictText(difference.verdict, chalk)];
  });
}

/** The comparison as text: a header, then one table per figure group. */
export function renderComparison(comparison: Comparison, options: CompareRenderOptions): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const percent = `${formatNumber(comparison.confidence * 100)}%`;
  const out: string[] = [];
  for (const group of FIGURE_GROUPS) {
    const figures = comparison.figures.filter((figure) => figure.group === group);
    if (figures.length === 0) continue;
    const table = new Table({
      head: [group, 'variant', `mean ± ${percent} CI`, `− ${comparison.baseline}, paired [${percent} CI]`, 'verdict'],
      style: { head: [], border: [] },
      // No rule between the rows of one table: figures read as blocks of variant rows.
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
      wordWrap: true,
    });
    for (const figure of figures) for (const row of figureRows(figure, comparison.baseline, chalk)) table.push(row);
    out.push(table.toString());
  }
  return `${out.join('\n')}\n`;
}

/**
 * How much pairing narrowed the intervals: the median, over the differences whose two variants both
 * vary across seeds, of the unpaired half-width over the paired one (2 = half as wide). A figure
 * constant in one variant gains nothing from pairing, so it is left out.
 */
export function pairingGain(comparison: Comparison): { medianRatio: number; pairs: number } | undefined {
  const ratios: number[] = [];
  for (const figure of comparison.figures) {
    const base = figure.variants.find((variant) => variant.variant === comparison.baseline);
    for (const difference of figure.differences) {
      const other = figure.variants.find((variant) => variant.variant === difference.variant);
      if (!base || !other || base.halfWidth === 0 || other.halfWidth === 0 || difference.halfWidth === 0) continue;
      ratios.push(difference.unpairedHalfWidth / difference.halfWidth);
    }
  }
  if (ratios.length === 0) return undefined;
  ratios.sort((a, b) => a - b);
  return { medianRatio: ratios[Math.floor((ratios.length - 1) / 2)]!, pairs: ratios.length };
}
