// The headline figures of a run, flat and named (`availability`, `latencyMs.p99`,
// `consistency.ordersNonFinal`…), with what each one means: its group, its unit and whether higher
// is better. Sweeps keep them per seed; comparisons put intervals on them.
import type { VariantResult } from '../sim/harness/result.ts';
import { formatConsistency, formatInstanceSeconds, formatMs, formatNumber, formatPercent, formatRate } from './format.ts';

/** Which way a figure is better; `neither` for a figure that is only different (a count of orders). */
export type Better = 'higher' | 'lower' | 'neither';

/** Groups of figures, in display order; each gets its own table. */
export const FIGURE_GROUPS = ['requests', 'latency of all requests', 'latency of successful requests', 'cost', 'consistency and custom figures'] as const;
export type FigureGroup = (typeof FIGURE_GROUPS)[number];

/** What a figure means. */
export interface FigureInfo {
  key: string;
  label: string;
  group: FigureGroup;
  better: Better;
  /** How its values read: a ratio prints as a percentage, ms with the unit… */
  unit: 'ratio' | 'ms' | 'per-second' | 'instance-seconds' | 'number';
}

const LATENCY_KEYS = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
  ['mean', 'mean'],
] as const;

/** The fixed figures, in display order; custom figures follow them. */
const FIXED: FigureInfo[] = [
  { key: 'availability', label: 'availability', group: 'requests', better: 'higher', unit: 'ratio' },
  { key: 'throughputPerSec', label: 'throughput (ok req/s)', group: 'requests', better: 'higher', unit: 'per-second' },
  ...LATENCY_KEYS.map(([key, label]): FigureInfo => ({ key: `latencyMs.${key}`, label: `${label} latency, all`, group: 'latency of all requests', better: 'lower', unit: 'ms' })),
  ...LATENCY_KEYS.map(([key, label]): FigureInfo => ({ key: `successLatencyMs.${key}`, label: `${label} latency, succeeded`, group: 'latency of successful requests', better: 'lower', unit: 'ms' })),
  { key: 'costInstanceSeconds', label: 'cost (instance-s)', group: 'cost', better: 'lower', unit: 'instance-seconds' },
];
const FIXED_BY_KEY = new Map(FIXED.map((info) => [info.key, info]));

/** Prefix of the figures a system reports about itself (`SystemHandle.metrics()`). */
export const CUSTOM_PREFIX = 'consistency.';

/**
 * Custom figures the simulator knows the direction of without a declaration (smaller is better for
 * all of them); a scenario declares others in its `figures`.
 */
const KNOWN_CUSTOM: Record<string, Better> = { ordersNonFinal: 'lower', timeToFinalP50Ms: 'lower', timeToFinalP99Ms: 'lower', staleReads: 'lower', lagP99Ms: 'lower' };

/** The headline figures of one variant's run, flat: every fixed figure and every custom one. */
export function headlineFigures(variant: VariantResult): Record<string, number> {
  const metrics = variant.metrics;
  const figures: Record<string, number> = {
    availability: metrics.availability,
    throughputPerSec: metrics.throughputPerSec,
  };
  for (const [key] of LATENCY_KEYS) figures[`latencyMs.${key}`] = metrics.latencyMs[key];
  // A run without a successful request has no success latency: the figure is left out, not 0.
  if (metrics.successLatencyMs && metrics.requests.ok > 0) for (const [key] of LATENCY_KEYS) figures[`successLatencyMs.${key}`] = metrics.successLatencyMs[key];
  figures.costInstanceSeconds = metrics.costInstanceSeconds;
  for (const [key, value] of Object.entries(metrics.consistency)) {
    if (typeof value === 'number' && Number.isFinite(value)) Object.defineProperty(figures, `${CUSTOM_PREFIX}${key}`, { value, enumerable: true, writable: true, configurable: true });
  }
  return figures;
}

/**
 * What a figure key means. Custom figures take their direction from `declared` (the scenario's
 * `figures`), else from the few the simulator knows, else `neither`.
 */
export function figureInfo(key: string, declared: Readonly<Record<string, Better>> = {}): FigureInfo {
  const fixed = FIXED_BY_KEY.get(key);
  if (fixed) return fixed;
  const name = key.startsWith(CUSTOM_PREFIX) ? key.slice(CUSTOM_PREFIX.length) : key;
  const better = (Object.hasOwn(declared, name) ? declared[name] : undefined) ?? KNOWN_CUSTOM[name] ?? 'neither';
  return { key, label: name, group: 'consistency and custom figures', better, unit: name.endsWith('Ms') ? 'ms' : 'number' };
}

/** Figure keys in display order: the fixed ones first (in their order), then custom ones as first seen. */
export function orderFigureKeys(keys: Iterable<string>): string[] {
  const present = new Set(keys);
  const fixed = FIXED.map((info) => info.key).filter((key) => present.has(key));
  const custom = [...present].filter((key) => !FIXED_BY_KEY.has(key));
  return [...fixed, ...custom];
}

/** A value of a figure, as a reader expects it (`99.12%`, `41.2 ms`, `12.5 req/s`). */
export function formatFigure(info: FigureInfo, value: number): string {
  switch (info.unit) {
    case 'ratio':
      return formatPercent(value);
    case 'ms':
      return `${formatMs(value)} ms`;
    case 'per-second':
      return formatRate(value);
    case 'instance-seconds':
      return formatInstanceSeconds(value);
    case 'number':
      return formatConsistency(info.label, value);
  }
}

/** A difference of a figure, signed (`+16.31 points`, `−3.20 ms`). */
export function formatDifference(info: FigureInfo, difference: number): string {
  const magnitude = formatNumber(Math.abs(info.unit === 'ratio' ? difference * 100 : difference));
  // A difference that rounds to nothing prints as a plain 0, without a sign.
  const sign = /^[0.,]+$/.test(magnitude) ? '' : difference > 0 ? '+' : '−';
  const number = sign === '' ? '0' : magnitude;
  if (info.unit === 'ratio') return `${sign}${number} points`;
  if (info.unit === 'ms') return `${sign}${number} ms`;
  return `${sign}${number}`;
}
