// `sim compare` as data: every headline figure of every variant across seeds, as a mean with its
// confidence interval, and each variant against a baseline as the interval of per-seed differences.
// Variants share the seed, the workload and the faults (common random numbers), so the difference
// on one seed cancels most of that seed's luck: pairing narrows the interval.
import { meanInterval, unpairedDifferenceInterval, type Interval } from './statistics.ts';
import { figureInfo, orderFigureKeys, type Better, type FigureInfo } from './figures.ts';

/** The headline figures of one seed, per variant (what a sweep keeps per seed). */
export interface SeedFigures {
  seed: number;
  variants: { name: string; figures: Record<string, number> }[];
}

/** A paired difference's verdict. `higher`/`lower` for a figure that is neither better nor worse. */
export type Verdict = 'better' | 'worse' | 'higher' | 'lower' | 'no significant difference';

/** One variant's figure across seeds. */
export interface VariantFigure extends Interval {
  variant: string;
  /** Per seed, in seed order. */
  values: { seed: number; value: number }[];
}

/** A variant minus the baseline, seed by seed. */
export interface PairedDifference extends Interval {
  variant: string;
  /** Per seed, in seed order (seeds where both have the figure). */
  values: { seed: number; value: number }[];
  /** Half-width the same seeds would give unpaired (Welch): how much pairing buys. */
  unpairedHalfWidth: number;
  verdict: Verdict;
}

/** One figure compared. */
export interface FigureComparison extends FigureInfo {
  variants: VariantFigure[];
  /** One per variant other than the baseline. */
  differences: PairedDifference[];
}

/** A comparison across seeds. */
export interface Comparison {
  confidence: number;
  baseline: string;
  /** The seeds compared, in order. */
  seeds: number[];
  variants: string[];
  figures: FigureComparison[];
}

/** What the comparison ran and found, as `--json` prints it. */
export interface CompareResult {
  scenario: string;
  file: string;
  ok: boolean;
  /** The seeds asked for (`--seeds A..B`). */
  seedRange: { first: number; last: number };
  /** Seeds the answer is computed from (fewer than asked when --precision was met early). */
  seedsUsed: number;
  precision?: { target: number; reached: boolean; holdingOut: string[] };
  failures: { seed: number; variant: string; check: string; kind: string; message: string; replay: string }[];
  comparison: Comparison;
}

/** Options of `compareSeeds`. */
export interface CompareOptions {
  /** In (0, 1), e.g. 0.95. */
  confidence: number;
  baseline: string;
  /** The scenario's declared directions of custom figures. */
  declared?: Readonly<Record<string, Better>>;
}

/** The verdict of an interval of differences (variant − baseline) for a figure. */
export function verdictOf(difference: Interval, better: Better): Verdict {
  // An interval that holds zero (or no spread and no difference) cannot tell the variants apart.
  if (difference.n < 2 || (difference.low <= 0 && difference.high >= 0)) return 'no significant difference';
  const higher = difference.mean > 0;
  if (better === 'neither') return higher ? 'higher' : 'lower';
  return higher === (better === 'higher') ? 'better' : 'worse';
}

/** Compares the variants of seed entries (any order) figure by figure. */
export function compareSeeds(entries: readonly SeedFigures[], options: CompareOptions): Comparison {
  const sorted = [...entries].sort((a, b) => a.seed - b.seed);
  const variants = [...new Set(sorted.flatMap((entry) => entry.variants.map((variant) => variant.name)))];
  const keys = orderFigureKeys(sorted.flatMap((entry) => entry.variants.flatMap((variant) => Object.keys(variant.figures))));
  const valuesOf = (variant: string, key: string): { seed: number; value: number }[] =>
    sorted.flatMap((entry) => {
      const figures = entry.variants.find((candidate) => candidate.name === variant)?.figures;
      return figures && Object.hasOwn(figures, key) ? [{ seed: entry.seed, value: figures[key]! }] : [];
    });
  const figures = keys.map((key): FigureComparison => {
    const info = figureInfo(key, options.declared);
    const perVariant = variants.map((variant): VariantFigure => {
      const values = valuesOf(variant, key);
      return { variant, values, ...meanInterval(values.map((entry) => entry.value), options.confidence) };
    });
    const base = perVariant.find((entry) => entry.variant === options.baseline);
    const differences = perVariant
      .filter((entry) => entry.variant !== options.baseline && base !== undefined)
      .map((entry) => pairedDifference(base!, entry, info.better, options.confidence));
    return { ...info, variants: perVariant, differences };
  });
  return { confidence: options.confidence, baseline: options.baseline, seeds: sorted.map((entry) => entry.seed), variants, figures };
}

function pairedDifference(base: VariantFigure, other: VariantFigure, better: Better, confidence: number): PairedDifference {
  const baseBySeed = new Map(base.values.map((entry) => [entry.seed, entry.value]));
  const values = other.values.filter((entry) => baseBySeed.has(entry.seed)).map((entry) => ({ seed: entry.seed, value: entry.value - baseBySeed.get(entry.seed)! }));
  const interval = meanInterval(values.map((entry) => entry.value), confidence);
  const paired = new Set(values.map((entry) => entry.seed));
  const unpaired = unpairedDifferenceInterval(
    base.values.filter((entry) => paired.has(entry.seed)).map((entry) => entry.value),
    other.values.filter((entry) => paired.has(entry.seed)).map((entry) => entry.value),
    confidence,
  );
  return { variant: other.variant, values, ...interval, unpairedHalfWidth: unpaired.halfWidth, verdict: verdictOf(interval, better) };
}

/**
 * The figures (as `variant: label`) whose interval is still wider than `precision` × |mean|: empty
 * when the comparison is as precise as asked. A figure that is 0 on every seed is precise.
 */
export function imprecise(comparison: Comparison, precision: number): string[] {
  const holdingOut: string[] = [];
  for (const figure of comparison.figures) {
    for (const variant of figure.variants) {
      if (variant.n >= 2 && variant.halfWidth > precision * Math.abs(variant.mean)) holdingOut.push(`${variant.variant}: ${figure.label}`);
    }
  }
  return holdingOut;
}
