// The HTML page of `sim compare --report DIR`: per figure group a table of means, intervals and
// verdicts, and per figure a chart of its distribution across seeds per variant beside each
// variant's paired difference from the baseline with its interval (vega-lite, SVG rendered in Node).
import type { TopLevelSpec } from 'vega-lite';
import type { CompareResult, FigureComparison } from './compare.ts';
import { FIGURE_GROUPS } from './figures.ts';
import { formatDifferenceInterval, formatMeanInterval, pairingGain } from './compare-render.ts';
import { escapeHtml } from './escape-html.ts';
import { formatNumber } from './format.ts';
import { STYLE } from './html.ts';
import { renderSvg } from './svg.ts';

const CONFIG = {
  font: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#eee' },
} as const;
const PANEL_WIDTH = 330;

/** Ratios are drawn as percentages; everything else in its own unit. */
function scaleOf(figure: FigureComparison): { factor: number; unit: string } {
  if (figure.unit === 'ratio') return { factor: 100, unit: '%' };
  if (figure.unit === 'ms') return { factor: 1, unit: 'ms' };
  if (figure.unit === 'per-second') return { factor: 1, unit: 'req/s' };
  if (figure.unit === 'instance-seconds') return { factor: 1, unit: 'instance-s' };
  return { factor: 1, unit: '' };
}

/** Two panels: each seed's value per variant with the mean and its interval; each paired difference with its interval and zero marked. */
export function figureChart(figure: FigureComparison, baseline: string): TopLevelSpec {
  const { factor, unit } = scaleOf(figure);
  const names = figure.variants.map((variant) => variant.variant);
  const seedValues = figure.variants.flatMap((variant) => variant.values.map((entry) => ({ variant: variant.variant, seed: entry.seed, value: entry.value * factor })));
  const means = figure.variants.filter((variant) => variant.n > 0).map((variant) => ({ variant: variant.variant, mean: variant.mean * factor, low: variant.low * factor, high: variant.high * factor }));
  const differenceNames = figure.differences.map((difference) => difference.variant);
  const differenceSeeds = figure.differences.flatMap((difference) => difference.values.map((entry) => ({ variant: difference.variant, seed: entry.seed, value: entry.value * factor })));
  const differenceMeans = figure.differences.filter((difference) => difference.n > 0).map((difference) => ({ variant: difference.variant, mean: difference.mean * factor, low: difference.low * factor, high: difference.high * factor, verdict: difference.verdict }));
  const y = (sort: string[]) => ({ field: 'variant', type: 'nominal', sort, title: null, axis: { labelLimit: 180 } });
  const axisTitle = (text: string) => (unit ? `${text} (${unit})` : text);
  return {
    config: CONFIG,
    hconcat: [
      {
        title: { text: 'across seeds (ticks), mean and interval', fontSize: 11, fontWeight: 'normal', anchor: 'start' },
        width: PANEL_WIDTH,
        height: { step: 26 },
        layer: [
          { data: { values: seedValues }, mark: { type: 'tick', color: '#7aa6d6', opacity: 0.7 }, encoding: { y: y(names), x: { field: 'value', type: 'quantitative', title: axisTitle(figure.label), scale: { zero: false } } } },
          { data: { values: means }, mark: { type: 'rule', strokeWidth: 2, color: '#1d2430' }, encoding: { y: y(names), x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } } },
          { data: { values: means }, mark: { type: 'point', filled: true, color: '#1d2430' }, encoding: { y: y(names), x: { field: 'mean', type: 'quantitative' } } },
        ],
      },
      {
        title: { text: `minus ${baseline}, paired by seed`, fontSize: 11, fontWeight: 'normal', anchor: 'start' },
        width: PANEL_WIDTH,
        height: { step: 26 },
        layer: [
          { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
          { data: { values: differenceSeeds }, mark: { type: 'tick', color: '#c9a3d9', opacity: 0.7 }, encoding: { y: y(differenceNames), x: { field: 'value', type: 'quantitative', title: axisTitle('difference') } } },
          { data: { values: differenceMeans }, mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: y(differenceNames), x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' }, color: verdictColor() } },
          { data: { values: differenceMeans }, mark: { type: 'point', filled: true }, encoding: { y: y(differenceNames), x: { field: 'mean', type: 'quantitative' }, color: verdictColor() } },
        ],
      },
    ],
  } as TopLevelSpec;
}

function verdictColor() {
  return {
    field: 'verdict',
    type: 'nominal',
    scale: { domain: ['better', 'worse', 'no significant difference', 'higher', 'lower'], range: ['#1a7f37', '#c62828', '#667085', '#1d2430', '#1d2430'] },
    legend: null,
  };
}

function groupTable(figures: FigureComparison[], baseline: string, percent: string): string {
  const head = `<thead><tr><th>figure</th><th>variant</th><th>mean ± ${percent} CI</th><th>− ${escapeHtml(baseline)}, paired</th><th>verdict</th></tr></thead>`;
  const rows = figures.flatMap((figure) =>
    figure.variants.map((variant, index) => {
      const difference = figure.differences.find((entry) => entry.variant === variant.variant);
      const value = variant.n === 0 ? '–' : formatMeanInterval(figure, variant.mean, variant.halfWidth);
      const paired = variant.variant === baseline ? '(baseline)' : difference && difference.n > 0 ? formatDifferenceInterval(figure, difference) : '–';
      const verdict = difference?.verdict ?? '';
      const tone = verdict === 'better' ? 'good' : verdict === 'worse' ? 'bad' : 'plain';
      return `<tr><td>${index === 0 ? escapeHtml(figure.label) : ''}</td><td>${escapeHtml(variant.variant)}</td><td>${escapeHtml(value)}</td><td>${escapeHtml(paired)}</td><td class="${tone}">${escapeHtml(verdict)}</td></tr>`;
    }),
  );
  return `<table class="summary">${head}<tbody>${rows.join('')}</tbody></table>`;
}

async function chartHtml(spec: TopLevelSpec, id: string): Promise<string> {
  try {
    return `<div class="chart">${(await renderSvg(spec, id)).svg}</div>`;
  } catch (error) {
    return `<p class="note">This chart could not be drawn: ${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`;
  }
}

/** The comparison as a self-contained HTML page (no scripts, no network). */
export async function renderCompareHtml(result: CompareResult): Promise<string> {
  const { comparison } = result;
  const percent = `${formatNumber(comparison.confidence * 100)}%`;
  const sections: string[] = [];
  let chartIndex = 0;
  for (const group of FIGURE_GROUPS) {
    const figures = comparison.figures.filter((figure) => figure.group === group);
    if (figures.length === 0) continue;
    const charts: string[] = [];
    for (const figure of figures) charts.push(`<h3>${escapeHtml(figure.label)}</h3>${await chartHtml(figureChart(figure, comparison.baseline), `figure${chartIndex++}`)}`);
    sections.push(`<section><h2>${escapeHtml(group)}</h2>${groupTable(figures, comparison.baseline, percent)}${charts.join('')}</section>`);
  }
  const failures = result.failures.length === 0 ? '' : `<section id="failures"><h2>Failing checks</h2>${result.failures.map((failure) => `<div class="failure"><div><strong>seed ${failure.seed}, ${escapeHtml(failure.variant)}</strong>: ${escapeHtml(failure.kind)} failure of <strong>${escapeHtml(failure.check)}</strong></div><div class="message">${escapeHtml(failure.message)}</div><div>replay: <code>${escapeHtml(failure.replay)}</code></div></div>`).join('')}</section>`;
  const gain = pairingGain(comparison);
  const facts = [
    `${result.seedsUsed} seeds (${result.seedRange.first}..${result.seedRange.first + result.seedsUsed - 1})`,
    `${percent} Student-t intervals`,
    `baseline ${comparison.baseline}`,
    ...(gain ? [`pairing narrows the intervals ${formatNumber(gain.medianRatio)}× (median)`] : []),
  ];
  const verdict = result.ok ? '<span class="verdict pass">✓ all checks hold</span>' : `<span class="verdict fail">✗ ${result.failures.length} check failures</span>`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(result.scenario)} — compared over ${result.seedsUsed} seeds</title>`,
    `<style>${STYLE} h3 { font-size: 13px; margin: 14px 0 4px; font-weight: 600; }</style></head>`,
    '<body><main>',
    `<header><h1>${escapeHtml(result.scenario)}${verdict}</h1><p class="description">${facts.map(escapeHtml).join(' · ')}</p></header>`,
    failures,
    ...sections,
    '<footer>Generated by dsim compare. Each tick is one seed; the bar is the mean’s confidence interval. Differences are paired by seed: variants share the seed, the workload and the faults.</footer>',
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}
