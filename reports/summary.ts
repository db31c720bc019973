// The side-by-side summary of a scenario result as rows of already-formatted cells: one model that
// the terminal table and the HTML table both render, so the two show the same strings.
import type { ScenarioResult, VariantResult } from '../sim/harness/result.ts';
import {
  MISSING,
  formatConsistency,
  formatCount,
  formatInstanceSeconds,
  formatMs,
  formatNumber,
  formatPercent,
  formatRate,
} from './format.ts';
import type { NodeFigures } from '../sim/harness/node-figures.ts';

/** How a cell should be emphasised (colour in the terminal, a class in HTML). */
export type CellTone = 'plain' | 'good' | 'bad' | 'muted';

/** One formatted cell. */
export interface SummaryCell {
  text: string;
  tone: CellTone;
}

/** Groups of rows, in display order. */
export type SummarySection = 'requests' | 'latency' | 'cost' | 'endpoints' | 'nodes' | 'consistency' | 'errors' | 'checks' | 'faults';

/** One figure across variants: `cells[i]` belongs to `result.variants[i]`. */
export interface SummaryRow {
  section: SummarySection;
  label: string;
  /** One cell per variant, or exactly one cell when `spanning`. */
  cells: SummaryCell[];
  /** The single cell applies to every variant (identical fault schedules) and spans their columns. */
  spanning: boolean;
}

const plain = (text: string): SummaryCell => ({ text, tone: 'plain' });
const missing = (): SummaryCell => ({ text: MISSING, tone: 'muted' });

/** Keys of `records`, unioned in first-seen order (variant order, then key order within a variant). */
function unionKeys(records: readonly Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) keys.add(key);
  return [...keys];
}

/** Own-property lookup that treats keys like `constructor` as ordinary data. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function metric(section: SummarySection, label: string, variants: readonly VariantResult[], cell: (variant: VariantResult) => SummaryCell): SummaryRow {
  return { section, label, cells: variants.map(cell), spanning: false };
}

/** Failures of one variant grouped by check name, in first-failure order. */
function failuresByCheck(variant: VariantResult): Map<string, { kind: string; count: number }> {
  const byCheck = new Map<string, { kind: string; count: number }>();
  for (const failure of variant.failures) {
    const entry = byCheck.get(failure.check);
    if (entry) entry.count++;
    else byCheck.set(failure.check, { kind: failure.kind, count: 1 });
  }
  return byCheck;
}

/** True when every variant ran the same fault lines (the usual case: faults belong to the scenario). */
function sameFaults(variants: readonly VariantResult[]): boolean {
  const first = variants[0]?.faults ?? [];
  return variants.every((variant) => variant.faults.length === first.length && variant.faults.every((line, index) => line === first[index]));
}

function faultCell(lines: readonly string[]): SummaryCell {
  return lines.length === 0 ? { text: 'none', tone: 'muted' } : plain(lines.join('\n'));
}

/**
 * Rows of the summary table for a result, in display order: requests, latency, cost, consistency,
 * errors by code, checks and coverage, faults. Sections with nothing to show are left out.
 */
export function summaryRows(result: ScenarioResult): SummaryRow[] {
  const variants = result.variants;
  const rows: SummaryRow[] = [];

  rows.push(metric('requests', 'requests', variants, (v) => plain(formatCount(v.metrics.requests.total))));
  rows.push(metric('requests', 'failed', variants, (v) => ({ text: formatCount(v.metrics.requests.failed), tone: v.metrics.requests.failed > 0 ? 'bad' : 'plain' })));
  rows.push(metric('requests', 'availability', variants, (v) => ({ text: formatPercent(v.metrics.availability), tone: v.metrics.availability === 1 ? 'good' : 'plain' })));
  rows.push(metric('requests', 'throughput req/s', variants, (v) => plain(formatRate(v.metrics.throughputPerSec))));

  const latency = [
    ['p50', 'p50'],
    ['p90', 'p90'],
    ['p99', 'p99'],
    ['p99.9', 'p999'],
    ['max', 'max'],
  ] as const;
  // Latency of all requests counts instant rejections, which flatter it; successful ones sit beside.
  for (const [label, key] of latency) {
    rows.push(metric('latency', `${label} ms (all)`, variants, (v) => plain(formatMs(v.metrics.latencyMs[key]))));
  }
  if (variants.some((v) => v.metrics.successLatencyMs !== undefined)) {
    for (const [label, key] of latency) {
      rows.push(metric('latency', `${label} ms (succeeded)`, variants, (v) => (v.metrics.successLatencyMs ? plain(formatMs(v.metrics.successLatencyMs[key])) : missing())));
    }
  }

  rows.push(metric('cost', 'cost instance-s', variants, (v) => plain(formatInstanceSeconds(v.metrics.costInstanceSeconds))));

  // Per endpoint, when there is more than one: availability and p99 side by side.
  const endpointNames = [...new Set(variants.flatMap((v) => (v.metrics.endpoints ?? []).map((e) => e.endpoint)))];
  if (endpointNames.length > 1) {
    for (const name of endpointNames) {
      const find = (v: VariantResult) => (v.metrics.endpoints ?? []).find((e) => e.endpoint === name);
      rows.push(
        metric('endpoints', `${name} avail.`, variants, (v) => {
          const endpoint = find(v);
          return endpoint ? { text: formatPercent(endpoint.availability), tone: endpoint.availability === 1 ? 'good' : 'plain' } : missing();
        }),
      );
      rows.push(
        metric('endpoints', `${name} p99 ms (all)`, variants, (v) => {
          const endpoint = find(v);
          return endpoint ? plain(formatMs(endpoint.latencyMs.p99)) : missing();
        }),
      );
    }
  }

  rows.push(...nodeRows(variants));

  for (const key of unionKeys(variants.map((v) => v.metrics.consistency))) {
    rows.push(
      metric('consistency', key, variants, (v) => {
        const value = own(v.metrics.consistency, key);
        return value === undefined ? missing() : plain(formatConsistency(key, value));
      }),
    );
  }

  for (const code of unionKeys(variants.map((v) => v.metrics.errors))) {
    rows.push(
      metric('errors', `error ${code}`, variants, (v) => {
        const count = own(v.metrics.errors, code) ?? 0;
        return count === 0 ? { text: '0', tone: 'muted' } : { text: formatCount(count), tone: 'bad' };
      }),
    );
  }
  if (variants.some((v) => v.metrics.processErrors > 0)) {
    rows.push(metric('errors', 'process errors', variants, (v) => ({ text: formatCount(v.metrics.processErrors), tone: v.metrics.processErrors > 0 ? 'bad' : 'muted' })));
  }

  rows.push(
    metric('checks', 'checks', variants, (v) =>
      v.failures.length === 0 ? { text: '✓ all hold', tone: 'good' } : { text: `✗ ${v.failures.length} failed`, tone: 'bad' },
    ),
  );
  const failed = variants.map(failuresByCheck);
  // Every variant runs the scenario's checks, so a check that failed elsewhere but not here held here.
  for (const check of unionKeys(failed.map((byCheck) => Object.fromEntries(byCheck)))) {
    rows.push({
      section: 'checks',
      label: check,
      cells: failed.map((byCheck) => {
        const entry = byCheck.get(check);
        if (!entry) return { text: '✓', tone: 'good' };
        return { text: `✗ ${entry.kind}${entry.count > 1 ? ` ×${entry.count}` : ''}`, tone: 'bad' };
      }),
      spanning: false,
    });
  }
  for (const check of unionKeys(variants.map((v) => v.coverage))) {
    rows.push(
      metric('checks', `sometimes: ${check}`, variants, (v) => {
        const reached = own(v.coverage, check);
        if (reached === undefined) return missing();
        return reached ? { text: '✓ reached', tone: 'good' } : { text: 'not reached', tone: 'muted' };
      }),
    );
  }

  if (variants.length > 0 && sameFaults(variants)) {
    rows.push({ section: 'faults', label: 'faults', cells: [faultCell(variants[0]!.faults)], spanning: true });
  } else {
    rows.push(metric('faults', 'faults', variants, (v) => faultCell(v.faults)));
  }
  return rows;
}

/** Nodes of a variant grouped by service (replicas collapsed), in first-seen order. */
function byService(variant: VariantResult): Map<string, NodeFigures[]> {
  const groups = new Map<string, NodeFigures[]>();
  for (const node of variant.metrics.nodes ?? []) {
    const group = groups.get(node.service);
    if (group) group.push(node);
    else groups.set(node.service, [node]);
  }
  return groups;
}

/**
 * One row per service: utilisation, queue length and requests in flight time-averaged over the
 * replicas' uptime (summed per replica, so "in flight" is the service's total), then the counts.
 */
export function serviceLoad(nodes: readonly NodeFigures[]): { replicas: number; utilization: number; meanQueueLength: number; meanInFlight: number; admitted: number; shed: number; failed: number; crashes: number } {
  const workerUpMs = nodes.reduce((sum, node) => sum + node.workers * node.upMs, 0);
  const busyWorkerMs = nodes.reduce((sum, node) => sum + node.utilization * node.workers * node.upMs, 0);
  const sum = (read: (node: NodeFigures) => number): number => nodes.reduce((total, node) => total + read(node), 0);
  return {
    replicas: nodes.length,
    utilization: workerUpMs > 0 ? busyWorkerMs / workerUpMs : 0,
    meanQueueLength: sum((node) => node.meanQueueLength),
    meanInFlight: sum((node) => node.meanInFlight),
    admitted: sum((node) => node.admitted),
    shed: sum((node) => node.shed),
    failed: sum((node) => node.failed),
    crashes: sum((node) => node.crashes),
  };
}

function nodeRows(variants: readonly VariantResult[]): SummaryRow[] {
  const groups = variants.map(byService);
  const services = unionKeys(groups.map((group) => Object.fromEntries(group)));
  return services.map((service) =>
    metric('nodes', `node ${service}`, variants, (variant) => {
      const nodes = groups[variants.indexOf(variant)]!.get(service);
      if (!nodes) return missing();
      const load = serviceLoad(nodes);
      const counts = `${formatCount(load.admitted)} in, ${formatCount(load.shed)} shed, ${formatCount(load.failed)} failed${load.crashes > 0 ? `, ${formatCount(load.crashes)} crash${load.crashes === 1 ? '' : 'es'}` : ''}`;
      const replicas = load.replicas > 1 ? `${load.replicas} replicas, ` : '';
      const text = `${replicas}utilisation ${formatPercent(load.utilization)}\nqueue ${formatNumber(load.meanQueueLength)}, in flight ${formatNumber(load.meanInFlight)}\n${counts}`;
      return { text, tone: load.shed > 0 || load.crashes > 0 ? 'bad' : 'plain' };
    }),
  );
}
