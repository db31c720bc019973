// The HTML report: one self-contained page (inline CSS and SVG, no scripts, fonts or network) that
// shows a result at a glance — verdict, side-by-side table, failures, charts. Every string that
// comes from a scenario is escaped.
import type { ScenarioResult } from '../sim/harness/result.ts';
import type { TopLevelSpec } from 'vega-lite';
import { escapeHtml } from './escape-html.ts';
import { formatCount, formatMs } from './format.ts';
import { summaryRows, type SummaryRow } from './summary.ts';
import { renderSvg } from './svg.ts';
import { breakerChart, comparisonChart, consistencyChart, faultWindows, historyWitnessChart, latencyChart, throughputChart, type FaultWindow } from './charts.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { hasNodeSeries, nodeLoadChart } from './node-charts.ts';

/** Options of `renderHtml`. */
export interface HtmlOptions {
  /** The command that replays one variant, shown under each failure (as in the terminal report). */
  replayCommand?: (variant: string) => string;
}

/** The page style, shared with the comparison page. */
export const STYLE = `
:root { color-scheme: light; --fg: #1d2430; --muted: #667085; --line: #e4e7ec; --good: #1a7f37; --bad: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fafbfc; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { margin: 0 0 4px; font-size: 24px; overflow-wrap: anywhere; }
header p.description { margin: 0 0 12px; color: var(--muted); }
.facts { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 0; color: var(--muted); }
.facts div { display: flex; gap: 6px; } .facts dt { font-weight: 600; } .facts dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 13px; vertical-align: middle; margin-left: 8px; }
.verdict.pass { background: #dafbe1; color: var(--good); } .verdict.fail { background: #ffebe9; color: var(--bad); }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin-top: 18px; }
section h2 { font-size: 16px; margin: 0 0 10px; }
table.summary { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
table.summary th, table.summary td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
table.summary th:first-child, table.summary td:first-child { text-align: left; color: var(--muted); font-weight: normal; }
table.summary thead th { border-bottom: 2px solid var(--fg); overflow-wrap: anywhere; }
table.summary tr.section-start td { border-top: 1px solid #c9ced6; }
table.summary td.spanning { text-align: left; }
td.good { color: var(--good); } td.bad { color: var(--bad); font-weight: 600; } td.muted { color: var(--muted); }
td pre, .faults pre { margin: 0; font: inherit; white-space: pre-wrap; }
.failure { border-left: 3px solid var(--bad); padding: 6px 10px; margin: 8px 0; background: #fff8f7; }
.failure .message { margin: 2px 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; background: #f2f4f7; padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
.chart svg { max-width: 100%; height: auto; display: block; }
.note { color: var(--muted); font-style: italic; margin: 0; }
ul.faults { margin: 8px 0 0; padding-left: 18px; color: var(--muted); }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
`;

function factsList(result: ScenarioResult): string {
  const simulatedMs = Math.max(0, ...result.variants.map((variant) => variant.simulatedMs));
  const facts: [string, string][] = [
    ['seed', String(result.seed)],
    ['variants', String(result.variants.length)],
    ['simulated', `${formatMs(simulatedMs)} ms`],
    ['trace', result.traceHash],
  ];
  return `<dl class="facts">${facts.map(([term, value]) => `<div><dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd></div>`).join('')}</dl>`;
}

function header(result: ScenarioResult): string {
  const failures = result.variants.reduce((sum, variant) => sum + variant.failures.length, 0);
  const verdict = result.ok
    ? '<span class="verdict pass">✓ all checks hold</span>'
    : `<span class="verdict fail">✗ ${failures} failure${failures === 1 ? '' : 's'}</span>`;
  const description = result.description ? `<p class="description">${escapeHtml(result.description)}</p>` : '';
  return `<header><h1>${escapeHtml(result.scenario)}${verdict}</h1>${description}${factsList(result)}</header>`;
}

function cellHtml(text: string): string {
  return text.includes('\n') ? `<pre>${escapeHtml(text)}</pre>` : escapeHtml(text);
}

function summaryTable(result: ScenarioResult, rows: readonly SummaryRow[]): string {
  const head = `<thead><tr><th></th>${result.variants.map((variant) => `<th scope="col">${escapeHtml(variant.name)}</th>`).join('')}</tr></thead>`;
  let section: SummaryRow['section'] | undefined;
  const body = rows.map((row) => {
    const startsSection = section !== undefined && row.section !== section;
    section = row.section;
    const cells = row.spanning
      ? `<td class="spanning ${row.cells[0]?.tone ?? 'plain'}" colspan="${result.variants.length}">${cellHtml(row.cells[0]?.text ?? '')}</td>`
      : row.cells.map((cell) => `<td class="${cell.tone}">${cellHtml(cell.text)}</td>`).join('');
    return `<tr${startsSection ? ' class="section-start"' : ''}><th scope="row">${escapeHtml(row.label)}</th>${cells}</tr>`;
  });
  return `<section id="summary"><h2>Summary</h2><table class="summary">${head}<tbody>${body.join('')}</tbody></table></section>`;
}

async function failuresSection(result: ScenarioResult, options: HtmlOptions): Promise<string> {
  const blocks: string[] = [];
  for (const [variantIndex, variant] of result.variants.entries()) {
    for (const [index, failure] of variant.failures.entries()) {
      const replay = options.replayCommand ? `<div>replay: <code>${escapeHtml(options.replayCommand(variant.name))}</code></div>` : '';
      // A history checker's failure shows its witness as a chart in place of the message's text timeline.
      const witness = failure.witness ? await chart(historyWitnessChart(failure.witness), `witness-${variantIndex}-${index}`) : '';
      const message = failure.witness ? failure.message.split('\n')[0]! : failure.message;
      blocks.push(
        `<div class="failure"><div><strong>${escapeHtml(variant.name)}</strong>: ${escapeHtml(failure.kind)} failure of <strong>${escapeHtml(failure.check)}</strong> at ${escapeHtml(formatMs(failure.atMs))} ms</div>` +
          `<div class="message">${escapeHtml(message)}</div>${witness}${replay}</div>`,
      );
    }
  }
  if (blocks.length === 0) return '';
  return `<section id="failures"><h2>Failures</h2>${blocks.join('')}</section>`;
}

function faultList(windows: readonly FaultWindow[], variantCount: number): string {
  if (windows.length === 0) return '<p class="note">No faults were scheduled.</p>';
  const items = windows.map((window) => {
    const which = window.variants.length === variantCount ? '' : ` (${window.variants.map(escapeHtml).join(', ')})`;
    return `<li><strong>${escapeHtml(window.label)}</strong> ${escapeHtml(window.description)}${which}</li>`;
  });
  return `<ul class="faults">${items.join('')}</ul>`;
}

/** Renders one chart, or a note saying why it could not be drawn (a report never fails for a chart). */
async function chart(spec: TopLevelSpec, id: string): Promise<string> {
  try {
    const { svg } = await renderSvg(spec, id);
    return `<div class="chart">${svg}</div>`;
  } catch (error) {
    return `<p class="note">This chart could not be drawn: ${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`;
  }
}

function section(id: string, title: string, content: string): string {
  return `<section id="${id}"><h2>${title}</h2>${content}</section>`;
}

/**
 * Renders a result as a self-contained HTML page: header (scenario, description, seed, verdict),
 * the summary table, failures with replay commands, and SVG charts — latency percentiles and
 * throughput/error rate over time with fault windows shaded, breaker states, time to consistency,
 * and p99/availability/cost per variant. Takes a few hundred ms (Vega layout).
 */
export async function renderHtml(result: ScenarioResult, options: HtmlOptions = {}): Promise<string> {
  const rows = summaryRows(result);
  const windows = faultWindows(result);
  const breakers = breakerChart(result, windows);
  const consistency = consistencyChart(result);
  const sections = [
    summaryTable(result, rows),
    await failuresSection(result, options),
    section('latency', 'Latency over time (p50 solid, p99 dashed)', (await chart(latencyChart(result, windows), 'latency')) + faultList(windows, result.variants.length)),
    section('throughput', 'Throughput and errors over time', await chart(throughputChart(result, windows), 'throughput')),
    section(
      'breakers',
      'Circuit breaker states',
      breakers ? await chart(breakers, 'breakers') : '<p class="note">No circuit breaker changed state in this run (no <code>breaker.state</code> events).</p>',
    ),
    section(
      'consistency',
      'Time to consistency',
      consistency ? await chart(consistency, 'consistency') : '<p class="note">No variant reported a time-to-consistency figure (consistency keys starting with <code>timeTo</code>).</p>',
    ),
    section('comparison', 'Variants compared', await chart(comparisonChart(result), 'comparison')),
    hasNodeSeries(result) ? section('nodes', 'What each node was doing (time-averaged per slice)', await chart(nodeLoadChart(result), 'nodes')) : '',
  ];
  const title = `${result.scenario} — seed ${result.seed}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body><main>',
    header(result),
    ...sections.filter((part) => part !== ''),
    `<footer>Generated by dsim from seed ${escapeHtml(String(result.seed))}; ${formatCount(result.variants.reduce((sum, variant) => sum + variant.events, 0))} simulated events. Self-contained: no scripts, no network.</footer>`,
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}

/** Renders the HTML report and writes it to `path` atomically (temporary file, then rename). */
export async function renderHtmlFile(result: ScenarioResult, path: string, options: HtmlOptions = {}): Promise<void> {
  await writeFileAtomic(path, await renderHtml(result, options));
}
