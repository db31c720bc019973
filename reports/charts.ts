// Vega-Lite chart specs built from a scenario result, data inline: latency and throughput over
// time with fault windows shaded, breaker states, time to consistency, per-variant comparison.
// Pure data in, spec out; rendering lives in svg.ts. Scenario strings go only into data values,
// never into field names or expressions.
import type { TopLevelSpec } from 'vega-lite';
import type { ScenarioResult, VariantResult } from '../sim/harness/result.ts';
import type { HistoryWitness } from '../sim/harness/checks.ts';
import { formatInstanceSeconds, formatMs, formatPercent } from './format.ts';

/** Width of a full-width chart, px (the page scales SVGs down on narrow screens). */
const CHART_WIDTH = 760;
const LEGEND = { orient: 'bottom', direction: 'vertical', labelLimit: 600, title: null } as const;
const CONFIG = {
  font: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#eee' },
  legend: { labelFontSize: 11 },
} as const;

/** A fault window as drawn on time charts, numbered F1, F2… in the order they start. */
export interface FaultWindow {
  label: string;
  startSeconds: number;
  /** Equal to startSeconds for an instant fault (no duration). */
  endSeconds: number;
  /** The schedule line (`@20000ms for 10000ms: crash payments`). */
  description: string;
  /** Variants that ran it, or every variant. */
  variants: string[];
}

/** The fault windows of every variant, deduplicated by schedule line, in start order. */
export function faultWindows(result: ScenarioResult): FaultWindow[] {
  const byLine = new Map<string, FaultWindow>();
  for (const variant of result.variants) {
    variant.faultSchedule.forEach((scheduled, index) => {
      const description = variant.faults[index] ?? `@${scheduled.atMs}ms: ${scheduled.fault.kind}`;
      const existing = byLine.get(description);
      if (existing) {
        existing.variants.push(variant.name);
        return;
      }
      byLine.set(description, {
        label: '',
        startSeconds: scheduled.atMs / 1000,
        endSeconds: (scheduled.atMs + (scheduled.durationMs ?? 0)) / 1000,
        description,
        variants: [variant.name],
      });
    });
  }
  const windows = [...byLine.values()].sort((a, b) => a.startSeconds - b.startSeconds);
  windows.forEach((window, index) => {
    window.label = `F${index + 1}`;
  });
  return windows;
}

/** The time axis every time chart shares: 0 to the longest simulated run, in seconds. */
function timeDomain(result: ScenarioResult): [number, number] {
  const endMs = result.variants.reduce((longest, variant) => Math.max(longest, variant.simulatedMs, variant.series.at(-1)?.endMs ?? 0), 0);
  return [0, Math.max(endMs / 1000, 1)];
}

/** Variant names in result order, for a stable colour per variant across every chart. */
function variantScale(result: ScenarioResult) {
  return { domain: result.variants.map((variant) => variant.name) };
}

/** Layers shading fault windows (rects), marking instant faults (rules) and labelling both. */
function faultLayers(windows: readonly FaultWindow[], domain: [number, number]) {
  if (windows.length === 0) return [];
  const values = windows.map((window) => ({ label: window.label, start: window.startSeconds, end: window.endSeconds }));
  const x = { field: 'start', type: 'quantitative', scale: { domain }, title: 'virtual time (s)' } as const;
  return [
    {
      data: { values: values.filter((value) => value.end > value.start) },
      mark: { type: 'rect', color: '#f2b8b5', opacity: 0.35 },
      encoding: { x, x2: { field: 'end' } },
    },
    {
      data: { values: values.filter((value) => value.end === value.start) },
      mark: { type: 'rule', color: '#d62728', strokeDash: [3, 3] },
      encoding: { x },
    },
    {
      data: { values },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, color: '#a33', fontSize: 10 },
      encoding: { x, y: { value: 0 }, text: { field: 'label' } },
    },
  ];
}

/** Buckets of a variant that saw requests (an empty bucket has no latency to draw). */
function busyBuckets(variant: VariantResult) {
  return variant.series.filter((bucket) => bucket.ok + bucket.failed > 0);
}

/** p50 and p99 latency per time bucket, one line per variant and percentile, fault windows shaded. */
export function latencyChart(result: ScenarioResult, windows: readonly FaultWindow[]): TopLevelSpec {
  const domain = timeDomain(result);
  const values = result.variants.flatMap((variant) =>
    busyBuckets(variant).flatMap((bucket) => {
      const seconds = (bucket.startMs + bucket.endMs) / 2000;
      return [
        { variant: variant.name, percentile: 'p50', seconds, latencyMs: bucket.p50Ms },
        { variant: variant.name, percentile: 'p99', seconds, latencyMs: bucket.p99Ms },
      ];
    }),
  );
  return {
    width: CHART_WIDTH,
    height: 240,
    config: CONFIG,
    layer: [
      ...faultLayers(windows, domain),
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.5, clip: true },
        encoding: {
          x: { field: 'seconds', type: 'quantitative', scale: { domain }, title: 'virtual time (s)' },
          y: { field: 'latencyMs', type: 'quantitative', title: 'latency (ms)' },
          color: { field: 'variant', type: 'nominal', scale: variantScale(result), legend: LEGEND },
          strokeDash: { field: 'percentile', type: 'nominal', scale: { domain: ['p50', 'p99'], range: [[1, 0], [5, 3]] }, legend: { ...LEGEND, direction: 'horizontal' } },
          detail: { field: 'percentile' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Completed requests per second and error rate per time bucket, one line per variant. */
export function throughputChart(result: ScenarioResult, windows: readonly FaultWindow[]): TopLevelSpec {
  const domain = timeDomain(result);
  const values = result.variants.flatMap((variant) =>
    variant.series.map((bucket) => ({
      variant: variant.name,
      seconds: (bucket.startMs + bucket.endMs) / 2000,
      throughputPerSec: bucket.throughputPerSec,
      errorPercent: bucket.errorRate * 100,
    })),
  );
  const panel = (field: string, title: string) => ({
    width: CHART_WIDTH,
    height: 150,
    layer: [
      ...faultLayers(windows, domain),
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.5, clip: true },
        encoding: {
          x: { field: 'seconds', type: 'quantitative', scale: { domain }, title: 'virtual time (s)' },
          y: { field, type: 'quantitative', title },
          color: { field: 'variant', type: 'nominal', scale: variantScale(result), legend: LEGEND },
        },
      },
    ],
  });
  return {
    config: CONFIG,
    vconcat: [panel('throughputPerSec', 'completed req/s'), panel('errorPercent', 'errors (%)')],
  } as TopLevelSpec;
}

/** One interval during which a breaker stayed in one state. */
export interface BreakerInterval {
  /** `variant · node` (plus the breaker's own name when the detail carries one). */
  breaker: string;
  state: string;
  startSeconds: number;
  endSeconds: number;
}

/** `closed->open`, `payments: open->half-open` → [name, from, to]. */
const TRANSITION = /^(?:(.*?)[\s:]+)?([\w-]+)\s*->\s*([\w-]+)$/;

/**
 * Breaker state intervals from the timelines' `breaker.state` entries (detail `from->to`). The
 * state before the first change is its `from`; the last state lasts to the end of the run.
 */
export function breakerIntervals(result: ScenarioResult): BreakerInterval[] {
  const intervals: BreakerInterval[] = [];
  for (const variant of result.variants) {
    const open = new Map<string, { state: string; sinceMs: number }>();
    for (const entry of variant.timeline) {
      if (entry.kind !== 'breaker.state') continue;
      const match = TRANSITION.exec(entry.detail.trim());
      if (!match) continue;
      const [, name, from, to] = match;
      const breaker = `${variant.name} · ${entry.node}${name ? ` · ${name}` : ''}`;
      const current = open.get(breaker) ?? { state: from!, sinceMs: 0 };
      intervals.push({ breaker, state: current.state, startSeconds: current.sinceMs / 1000, endSeconds: entry.atMs / 1000 });
      open.set(breaker, { state: to!, sinceMs: entry.atMs });
    }
    for (const [breaker, current] of open) {
      intervals.push({ breaker, state: current.state, startSeconds: current.sinceMs / 1000, endSeconds: Math.max(variant.simulatedMs, current.sinceMs) / 1000 });
    }
  }
  return intervals;
}

/** Colours of the well-known breaker states; others get greys in first-seen order. */
const STATE_COLOURS: Record<string, string> = {
  closed: '#59a14f',
  'half-open': '#edc948',
  open: '#e15759',
  'forced-open': '#9c2f31',
  isolated: '#79706e',
};

/** Breaker states over time, one row per breaker; undefined when no variant reported any. */
export function breakerChart(result: ScenarioResult, windows: readonly FaultWindow[]): TopLevelSpec | undefined {
  const intervals = breakerIntervals(result);
  if (intervals.length === 0) return undefined;
  const domain = timeDomain(result);
  const states = [...new Set(intervals.map((interval) => interval.state))];
  const greys = ['#bab0ac', '#8c8c8c', '#5f5f5f'];
  const range = states.map((state, index) => STATE_COLOURS[state] ?? greys[index % greys.length]!);
  const rows = new Set(intervals.map((interval) => interval.breaker)).size;
  return {
    width: CHART_WIDTH,
    height: Math.max(40, rows * 26),
    config: CONFIG,
    layer: [
      ...faultLayers(windows, domain),
      {
        data: { values: intervals },
        mark: { type: 'bar', clip: true },
        encoding: {
          x: { field: 'startSeconds', type: 'quantitative', scale: { domain }, title: 'virtual time (s)' },
          x2: { field: 'endSeconds' },
          y: { field: 'breaker', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
          color: { field: 'state', type: 'nominal', scale: { domain: states, range }, legend: { ...LEGEND, direction: 'horizontal', title: 'state' } },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Consistency keys drawn as time-to-consistency bars: `timeToFinalP50Ms`, `timeToFinalP99Ms`, any `timeTo…`. */
export function timeToConsistencyKeys(result: ScenarioResult): string[] {
  const keys = new Set<string>();
  for (const variant of result.variants) {
    for (const [key, value] of Object.entries(variant.metrics.consistency)) {
      if (key.startsWith('timeTo') && typeof value === 'number' && Number.isFinite(value)) keys.add(key);
    }
  }
  return [...keys];
}

/** Time-to-consistency figures as grouped bars (one group per figure, one bar per variant); undefined without any. */
export function consistencyChart(result: ScenarioResult): TopLevelSpec | undefined {
  const keys = timeToConsistencyKeys(result);
  if (keys.length === 0) return undefined;
  const values = keys.flatMap((key) =>
    result.variants.flatMap((variant) => {
      const value = Object.prototype.hasOwnProperty.call(variant.metrics.consistency, key) ? variant.metrics.consistency[key] : undefined;
      if (typeof value !== 'number' || !Number.isFinite(value)) return [];
      return [{ figure: key, variant: variant.name, valueMs: value, label: `${formatMs(value)} ms` }];
    }),
  );
  const encoding = {
    y: { field: 'figure', type: 'nominal', sort: keys, title: null, axis: { labelLimit: 260 } },
    yOffset: { field: 'variant', type: 'nominal', sort: result.variants.map((variant) => variant.name) },
    x: { field: 'valueMs', type: 'quantitative', title: 'virtual ms' },
    color: { field: 'variant', type: 'nominal', scale: variantScale(result), legend: LEGEND },
  };
  return {
    width: CHART_WIDTH - 160,
    height: { step: 18 },
    config: CONFIG,
    data: { values },
    encoding,
    layer: [{ mark: 'bar' }, { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'label' }, color: { value: '#333' } } }],
  } as TopLevelSpec;
}

/** p99 latency, availability and cost, one panel each and one bar per variant, each bar labelled with its figure. */
export function comparisonChart(result: ScenarioResult): TopLevelSpec {
  const names = result.variants.map((variant) => variant.name);
  const panel = (title: string, rows: { variant: string; value: number; label: string }[], axisTitle: string) => ({
    title: { text: title, fontSize: 12, fontWeight: 'normal', anchor: 'start' },
    width: CHART_WIDTH - 260,
    height: { step: 22 },
    data: { values: rows },
    encoding: {
      y: { field: 'variant', type: 'nominal', sort: names, title: null, axis: { labelLimit: 240, minExtent: 240 } },
      x: { field: 'value', type: 'quantitative', title: axisTitle },
      color: { field: 'variant', type: 'nominal', scale: variantScale(result), legend: null },
    },
    layer: [{ mark: 'bar' }, { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'label' }, color: { value: '#333' } } }],
  });
  return {
    config: CONFIG,
    // Stacked rather than side by side, so long variant names keep their full width.
    vconcat: [
      panel('p99 latency', result.variants.map((v) => ({ variant: v.name, value: v.metrics.latencyMs.p99, label: formatMs(v.metrics.latencyMs.p99) })), 'ms'),
      panel('availability', result.variants.map((v) => ({ variant: v.name, value: v.metrics.availability * 100, label: formatPercent(v.metrics.availability) })), '%'),
      panel('cost', result.variants.map((v) => ({ variant: v.name, value: v.metrics.costInstanceSeconds, label: formatInstanceSeconds(v.metrics.costInstanceSeconds) })), 'instance-s'),
    ],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

/** One bar of a history chart: an operation from invocation to completion (open-ended when unanswered). */
export interface HistoryBar {
  /** `#id session key operation`: the row label, unique per operation. */
  operation: string;
  outcome: string;
  startMs: number;
  endMs: number;
}

const OUTCOME_COLOURS = { domain: ['ok', 'fail', 'unknown'], range: ['#4e79a7', '#e15759', '#bab0ac'] };

/**
 * The operations of a history witness on a time axis, one row per operation in order of
 * invocation, coloured by outcome. An unanswered operation runs to the right edge: it may have
 * taken effect any time after its invocation, or never.
 */
export function historyWitnessChart(witness: HistoryWitness): TopLevelSpec {
  const operations = [...witness.operations].sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id);
  const endMs = Math.max(...operations.map((operation) => operation.completeMs ?? operation.invokeMs));
  const startMs = Math.min(...operations.map((operation) => operation.invokeMs));
  // A sliver of width for instantaneous operations, and room on the right for unanswered ones.
  const padMs = Math.max((endMs - startMs) * 0.05, 1);
  const bars: HistoryBar[] = operations.map((operation) => ({
    operation: `#${operation.id} ${operation.process} ${operation.key} ${operation.text}`,
    outcome: operation.outcome,
    startMs: operation.invokeMs,
    endMs: operation.completeMs ?? endMs + padMs,
  }));
  return {
    width: CHART_WIDTH,
    height: Math.max(40, bars.length * 24),
    config: CONFIG,
    title: { text: witness.model, fontSize: 12, fontWeight: 'normal', anchor: 'start' },
    data: { values: bars },
    mark: { type: 'bar', minBandSize: 3 } as never,
    encoding: {
      x: { field: 'startMs', type: 'quantitative', scale: { domain: [startMs - padMs, endMs + padMs], zero: false }, title: 'virtual time (ms)' },
      x2: { field: 'endMs' },
      y: { field: 'operation', type: 'nominal', sort: null, title: null, axis: { labelLimit: 360 } },
      color: { field: 'outcome', type: 'nominal', scale: OUTCOME_COLOURS, legend: { ...LEGEND, direction: 'horizontal', title: 'outcome' } },
      tooltip: [{ field: 'operation' }, { field: 'outcome' }, { field: 'startMs', title: 'invoked (ms)' }, { field: 'endMs', title: 'completed (ms)' }],
    },
  } as TopLevelSpec;
}
