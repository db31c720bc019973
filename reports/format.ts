// Number formatting shared by the terminal table, the HTML page and the JSON rounding, so a figure
// reads as the same string everywhere. Locale-free on purpose: output must not depend on the machine.

/** Placeholder shown where a variant has no value for a figure. */
export const MISSING = '–';

/**
 * Rounds to at most `decimals` decimals; non-finite values pass through unchanged.
 * Idempotent (`roundTo(roundTo(x, d), d) === roundTo(x, d)`), which keeps JSON and text in step.
 */
export function roundTo(value: number, decimals: number): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** decimals;
  // Half away from zero, so -1234.5 and 1234.5 round alike (Math.round rounds halves up).
  const rounded = (Math.sign(value) * Math.round(Math.abs(value) * factor)) / factor;
  // Avoid "-0" in output.
  return rounded === 0 ? 0 : rounded;
}

/** Rounds a virtual-ms figure to the microsecond (3 decimals), the precision results are reported at. */
export function roundMs(ms: number): number {
  return roundTo(ms, 3);
}

/** Rounds a ratio in [0, 1] (availability, error rate) to 6 decimals, enough for "five nines". */
export function roundRatio(ratio: number): number {
  return roundTo(ratio, 6);
}

/** Inserts a comma every three digits of the integer part of a plain decimal string ("12345.6" → "12,345.6"). */
function groupThousands(text: string): string {
  const negative = text.startsWith('-');
  const unsigned = negative ? text.slice(1) : text;
  const dot = unsigned.indexOf('.');
  const integerPart = dot === -1 ? unsigned : unsigned.slice(0, dot);
  const fraction = dot === -1 ? '' : unsigned.slice(dot);
  let grouped = '';
  for (let index = 0; index < integerPart.length; index++) {
    if (index > 0 && (integerPart.length - index) % 3 === 0) grouped += ',';
    grouped += integerPart[index];
  }
  return (negative ? '-' : '') + grouped + fraction;
}

/** Text for values that are not finite numbers (NaN, ±Infinity, or null after a JSON round trip). */
function nonFinite(value: unknown): string | undefined {
  if (typeof value !== 'number') return MISSING;
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '-∞';
  return undefined;
}

/**
 * A figure with precision by magnitude: 3 decimals below 1, 2 below 10, 1 below 100, none above
 * (grouped by thousands). The value is first rounded to 3 decimals so that formatting a rounded
 * JSON value gives exactly the same string as formatting the raw one.
 */
export function formatNumber(value: number): string {
  const special = nonFinite(value);
  if (special !== undefined) return special;
  const rounded = roundTo(value, 3);
  if (Number.isInteger(rounded)) return groupThousands(String(rounded));
  let decimals = decimalsFor(rounded);
  // Rounding can carry into the next magnitude (9.9994 → 10.00): use that magnitude's precision.
  const carried = decimalsFor(roundTo(rounded, decimals));
  if (carried < decimals) decimals = carried;
  return groupThousands(roundTo(rounded, decimals).toFixed(decimals));
}

/** Decimals shown for a value of this size. */
function decimalsFor(value: number): number {
  const magnitude = Math.abs(value);
  return magnitude < 1 ? 3 : magnitude < 10 ? 2 : magnitude < 100 ? 1 : 0;
}

/** A count (requests, errors), rounded to an integer and grouped by thousands: `12,000`. */
export function formatCount(count: number): string {
  const special = nonFinite(count);
  if (special !== undefined) return special;
  return groupThousands(String(Math.round(count)));
}

/** A latency or other virtual-ms figure, without unit: `0.523`, `3.27`, `42.5`, `1,235`. */
export function formatMs(ms: number): string {
  return formatNumber(ms);
}

/** A rate per virtual second (throughput), without unit. */
export function formatRate(perSec: number): string {
  return formatNumber(perSec);
}

/** Instance-seconds (cost), without unit. */
export function formatInstanceSeconds(seconds: number): string {
  return formatNumber(seconds);
}

/**
 * A ratio as a percentage: `100%`, `99.50%`, `99.9995%`. Two decimals, more (up to 4) only when
 * two would round a ratio below 1 up to "100.00", so a missing nine never hides.
 */
export function formatPercent(ratio: number): string {
  const special = nonFinite(ratio);
  if (special !== undefined) return special;
  const rounded = roundRatio(ratio);
  if (rounded === 1) return '100%';
  if (rounded === 0) return '0%';
  const percent = rounded * 100;
  let decimals = 2;
  while (decimals < 4 && rounded < 1 && roundTo(percent, decimals) >= 100) decimals++;
  return `${roundTo(percent, decimals).toFixed(decimals)}%`;
}

/**
 * A consistency figure, by the unit its key names: keys ending in `Ms` are virtual ms, the rest
 * plain numbers (counts, lags in events…).
 */
export function formatConsistency(key: string, value: number): string {
  return key.endsWith('Ms') ? formatMs(value) : formatNumber(value);
}
