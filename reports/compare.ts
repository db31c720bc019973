// The verdict of `sim compare`: for each headline figure, which variant does best and how far the
// others are from it, so a reader sees the trade between architectures at a glance.
import type { ScenarioResult, VariantResult } from '../sim/harness/result.ts';
import { formatMs, formatPercent, formatRate, formatInstanceSeconds, formatConsistency, formatNumber } from './format.ts';

/** One headline figure compared across variants. */
export interface ComparisonLine {
  figure: string;
  best: string;
  /** e.g. `p99 latency: best microservices-async (41.2 ms); monolith 3.1× higher, sync 1.4× higher`. */
  text: string;
}

interface Figure {
  label: string;
  better: 'lower' | 'higher';
  read: (variant: VariantResult) => number | undefined;
  format: (value: number) => string;
}

const HEADLINE_FIGURES: Figure[] = [
  { label: 'availability', better: 'higher', read: (v) => v.metrics.availability, format: formatPercent },
  { label: 'p50 latency', better: 'lower', read: (v) => v.metrics.latencyMs.p50, format: (ms) => `${formatMs(ms)} ms` },
  { label: 'p99 latency', better: 'lower', read: (v) => v.metrics.latencyMs.p99, format: (ms) => `${formatMs(ms)} ms` },
  { label: 'throughput', better: 'higher', read: (v) => v.metrics.throughputPerSec, format: (rate) => `${formatRate(rate)} req/s` },
  { label: 'cost', better: 'lower', read: (v) => v.metrics.costInstanceSeconds, format: (seconds) => `${formatInstanceSeconds(seconds)} instance-s` },
];

/** Consistency figures compared when present: smaller is better for all of them. */
const CONSISTENCY_FIGURES = ['ordersNonFinal', 'timeToFinalP99Ms', 'staleReads', 'lagP99Ms'];

/** Compares the variants of a result on the headline figures (and consistency figures present). */
export function compareVariants(result: ScenarioResult): ComparisonLine[] {
  if (result.variants.length < 2) return [];
  const figures: Figure[] = [...HEADLINE_FIGURES];
  for (const key of CONSISTENCY_FIGURES) {
    if (result.variants.some((variant) => typeof variant.metrics.consistency[key] === 'number')) {
      figures.push({ label: key, better: 'lower', read: (v) => v.metrics.consistency[key], format: (value) => formatConsistency(key, value) });
    }
  }
  const lines: ComparisonLine[] = [];
  for (const figure of figures) {
    const values = result.variants
      .map((variant) => ({ name: variant.name, value: figure.read(variant) }))
      .filter((entry): entry is { name: string; value: number } => typeof entry.value === 'number' && Number.isFinite(entry.value));
    if (values.length < 2) continue;
    const best = values.reduce((a, b) => (figure.better === 'lower' ? (b.value < a.value ? b : a) : b.value > a.value ? b : a));
    const others = values
      .filter((entry) => entry !== best)
      .map((entry) => `${entry.name} ${relation(entry.value, best.value, figure)}`);
    lines.push({ figure: figure.label, best: best.name, text: `${figure.label}: best ${best.name} (${figure.format(best.value)}); ${others.join(', ')}` });
  }
  return lines;
}

/** Differences below this fraction are reported as a tie: run-length noise, not a trade. */
const TIE_FRACTION = 0.005;

function relation(value: number, bestValue: number, figure: Figure): string {
  if (value === bestValue || Math.abs(value - bestValue) <= TIE_FRACTION * Math.abs(bestValue)) return `about equal (${figure.format(value)})`;
  if (figure.label === 'availability') return `${formatNumber((bestValue - value) * 100)} points lower (${figure.format(value)})`;
  if (bestValue === 0) return `${figure.format(value)}`;
  const ratio = value / bestValue;
  const word = figure.better === 'lower' ? 'higher' : 'lower';
  return `${formatNumber(figure.better === 'lower' ? ratio : 1 / ratio)}× ${word} (${figure.format(value)})`;
}

/** The comparison as text lines for the terminal. */
export function renderComparison(result: ScenarioResult): string {
  const lines = compareVariants(result);
  if (lines.length === 0) return '';
  return `\ncomparison (seed ${result.seed}):\n${lines.map((line) => `  ${line.text}`).join('\n')}\n`;
}
