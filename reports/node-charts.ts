// What each node was doing over time, for the HTML report: per variant, utilisation (busy workers /
// workers) and queue length of every node per time slice, one line per node, fault windows shaded.
import type { TopLevelSpec } from 'vega-lite';
import type { ScenarioResult } from '../sim/harness/result.ts';

const CHART_WIDTH = 760;
const CONFIG = {
  font: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#eee' },
  legend: { labelFontSize: 11 },
} as const;
const LEGEND = { orient: 'right', labelLimit: 200, title: null } as const;

/** True when some variant has per-node series (results saved before they existed have none). */
export function hasNodeSeries(result: ScenarioResult): boolean {
  return result.variants.some((variant) => (variant.metrics.nodes ?? []).some((node) => node.series.length > 0));
}

/** Per variant two panels over virtual time: each node's utilisation (%) and its mean queue length. */
export function nodeLoadChart(result: ScenarioResult): TopLevelSpec {
  const panels = result.variants.flatMap((variant) => {
    const values = (variant.metrics.nodes ?? []).flatMap((node) =>
      node.series.map((point) => ({ node: node.node, seconds: (point.startMs + point.endMs) / 2000, utilization: point.utilization * 100, queueLength: point.queueLength })),
    );
    const x = { field: 'seconds', type: 'quantitative', title: 'virtual time (s)' } as const;
    const color = { field: 'node', type: 'nominal', legend: LEGEND } as const;
    return [
      {
        title: { text: `${variant.name}: utilisation (busy workers / workers)`, fontSize: 12, fontWeight: 'normal', anchor: 'start' },
        width: CHART_WIDTH - 200,
        height: 140,
        data: { values },
        mark: { type: 'line', strokeWidth: 1.3, interpolate: 'step-after' },
        encoding: { x, y: { field: 'utilization', type: 'quantitative', title: '%', scale: { domain: [0, 100] } }, color },
      },
      {
        title: { text: `${variant.name}: requests waiting for a worker`, fontSize: 12, fontWeight: 'normal', anchor: 'start' },
        width: CHART_WIDTH - 200,
        height: 100,
        data: { values },
        mark: { type: 'line', strokeWidth: 1.3, interpolate: 'step-after' },
        encoding: { x, y: { field: 'queueLength', type: 'quantitative', title: 'queue' }, color },
      },
    ];
  });
  return { config: CONFIG, vconcat: panels, resolve: { scale: { color: 'independent' } } } as TopLevelSpec;
}
