// Statistics of a figure across seeds: mean with a Student-t confidence interval (t quantiles from
// jstat), and the order statistics a sweep summary prints (min, p50, p90, max).
import jstat from 'jstat';

/** A mean with its two-sided confidence interval. */
export interface Interval {
  /** Number of values. */
  n: number;
  mean: number;
  /** Half the interval's width: the interval is mean ± halfWidth (0 when n < 2 or all values equal). */
  halfWidth: number;
  low: number;
  high: number;
  /** Sample standard deviation (n − 1 in the denominator); 0 when n < 2. */
  stdDev: number;
}

/** Arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Sample standard deviation (n − 1); 0 for fewer than two values. */
export function sampleStdDev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const center = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - center) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** The t quantile for a two-sided interval at `confidence` with `dof` degrees of freedom. */
export function tQuantile(confidence: number, dof: number): number {
  return jstat.jStat.studentt.inv(1 - (1 - confidence) / 2, dof);
}

/**
 * Mean and Student-t confidence interval of independent values (e.g. one figure over seeds).
 * @param confidence - in (0, 1), e.g. 0.95.
 */
export function meanInterval(values: readonly number[], confidence: number): Interval {
  const n = values.length;
  const center = mean(values);
  const stdDev = sampleStdDev(values);
  const halfWidth = n < 2 ? 0 : (tQuantile(confidence, n - 1) * stdDev) / Math.sqrt(n);
  return { n, mean: center, halfWidth, low: center - halfWidth, high: center + halfWidth, stdDev };
}

/**
 * Welch's interval for the difference of two independent means (b − a): what the comparison would
 * be without pairing by seed. Used to show how much pairing narrows the interval.
 */
export function unpairedDifferenceInterval(a: readonly number[], b: readonly number[], confidence: number): Interval {
  const varianceA = sampleStdDev(a) ** 2 / a.length;
  const varianceB = sampleStdDev(b) ** 2 / b.length;
  const standardError = Math.sqrt(varianceA + varianceB);
  const center = mean(b) - mean(a);
  // Welch–Satterthwaite degrees of freedom; with no spread at all any dof gives a zero width.
  const dof = standardError === 0 ? 1 : (varianceA + varianceB) ** 2 / (varianceA ** 2 / (a.length - 1) + varianceB ** 2 / (b.length - 1));
  const halfWidth = standardError === 0 ? 0 : tQuantile(confidence, dof) * standardError;
  return { n: Math.min(a.length, b.length), mean: center, halfWidth, low: center - halfWidth, high: center + halfWidth, stdDev: NaN };
}

/** The five numbers a sweep keeps of each figure across seeds. */
export interface Spread {
  min: number;
  p50: number;
  p90: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted values (a value that occurred, never an interpolation). */
function nearestRank(sorted: readonly number[], percentile: number): number {
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** min, p50, p90, max and mean of the values; undefined for none. */
export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, p50: nearestRank(sorted, 50), p90: nearestRank(sorted, 90), max: sorted[sorted.length - 1]!, mean: mean(values) };
}
