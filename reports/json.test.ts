// Tests for reports/json.ts: the DESIGN §6 field names, rounding, and agreement with the terminal
// table (the table's strings are the JSON's numbers through the same formatter).
import { describe, expect, it } from 'vitest';
import { toJson, toJsonText } from './json.ts';
import { renderTerminal } from './terminal.ts';
import { syntheticResult } from './fixtures.ts';
import { formatConsistency, formatCount, formatInstanceSeconds, formatMs, formatPercent, formatRate } from './format.ts';
import type { ScenarioResult } from '../sim/harness/result.ts';

/** A result whose figures carry more decimals than reports keep, so rounding is exercised. */
function unroundedResult(): ScenarioResult {
  const result = syntheticResult();
  const [first, second] = result.variants;
  first!.metrics.latencyMs = { p50: 4.1234567, p90: 9.99951, p99: 123.45649, p999: 999.9996, max: 1000.0004, mean: 17.77777 };
  first!.metrics.throughputPerSec = 83.333333333;
  first!.metrics.consistency = { ordersNonFinal: 3, timeToFinalP50Ms: 12.3456789, lagEvents: 0.1234567 };
  first!.simulatedMs = 65_000.0000001;
  first!.failures[0]!.atMs = 24_500.1234567;
  second!.metrics.latencyMs = { p50: 0.0004, p90: 0.0015, p99: 9.995, p999: 99.95, max: 1999.4999, mean: 3.4567 };
  second!.metrics.availability = 0.99999949;
  return result;
}

/** Table rows as label → cells, first occurrence of each label. */
function tableRows(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('│')) continue;
    const [label, ...cells] = line.split('│').slice(1, -1).map((cell) => cell.trim());
    if (label !== undefined && !rows.has(label)) rows.set(label, cells);
  }
  return rows;
}

describe('toJson', () => {
  it('has exactly the contract fields, in the contract order, before any extra field', () => {
    const json = toJson(syntheticResult());
    expect(Object.keys(json).slice(0, 5)).toEqual(['scenario', 'seed', 'ok', 'traceHash', 'variants']);
    const variant = json.variants[0]!;
    expect(Object.keys(variant).slice(0, 8)).toEqual(['name', 'ok', 'traceHash', 'simulatedMs', 'events', 'failures', 'metrics', 'faultSchedule']);
    expect(Object.keys(variant.metrics).slice(0, 4)).toEqual(['requests', 'latencyMs', 'availability', 'consistency']);
    expect(Object.keys(variant.metrics.requests)).toEqual(['total', 'ok', 'failed']);
    expect(Object.keys(variant.metrics.latencyMs)).toEqual(['p50', 'p90', 'p99', 'p999', 'max', 'mean']);
    expect(Object.keys(variant.failures[0]!)).toEqual(['kind', 'check', 'atMs', 'message']);
    expect(json).toMatchObject({ scenario: 'payment-outage', seed: 42, ok: false, traceHash: 'aaaabbbbccccdddd' });
    expect(variant).toMatchObject({ name: 'monolith', ok: false, traceHash: '1111222233334444', simulatedMs: 65_000, events: 987_654 });
    expect(variant.metrics.requests).toEqual({ total: 6000, ok: 5000, failed: 1000 });
  });

  it('keeps the extra fields of a variant result (faults, coverage, series, timeline…)', () => {
    const result = syntheticResult();
    const variant = toJson(result).variants[1]!;
    expect(variant.faults).toEqual(result.variants[1]!.faults);
    expect(variant.coverage).toEqual({ 'a breaker half-opened': true });
    expect(variant.series).toHaveLength(60);
    expect(variant.timeline).toEqual(result.variants[1]!.timeline);
    expect(variant.metrics.errors).toEqual({ 'circuit-open': 6 });
    expect(variant.metrics.costInstanceSeconds).toBe(395.5);
  });

  it('keeps a failure\'s history witness and the variant\'s history, with times rounded; leaves them out when absent', () => {
    const result = syntheticResult();
    const operation = { id: 3, process: 's1', kind: 'read', key: 'k', text: 'read → nil', invokeMs: 1.23456, completeMs: 2.34567, outcome: 'ok' as const };
    const unanswered = { id: 4, process: 's2', kind: 'write', key: 'k', text: 'write 1', invokeMs: 3.00001, outcome: 'unknown' as const };
    result.variants[0]!.failures[0]!.witness = { model: 'linearizable register, key "k"', operations: [operation, unanswered] };
    result.variants[0]!.history = [operation, unanswered];
    const variant = toJson(result).variants[0]!;
    const rounded = [{ ...operation, invokeMs: 1.235, completeMs: 2.346 }, { ...unanswered, invokeMs: 3 }];
    expect(variant.failures[0]!.witness).toEqual({ model: 'linearizable register, key "k"', operations: rounded });
    expect(variant.history).toEqual(rounded);
    expect(Object.keys(variant.failures[1]!)).toEqual(['kind', 'check', 'atMs', 'message']);
    expect('history' in toJson(result).variants[1]!).toBe(false);
  });

  it('rounds ms to 3 decimals and ratios to 6', () => {
    const json = toJson(unroundedResult());
    const [first, second] = json.variants;
    expect(first!.metrics.latencyMs).toEqual({ p50: 4.123, p90: 10, p99: 123.456, p999: 1000, max: 1000, mean: 17.778 });
    expect(first!.metrics.throughputPerSec).toBe(83.333);
    expect(first!.metrics.consistency).toEqual({ ordersNonFinal: 3, timeToFinalP50Ms: 12.346, lagEvents: 0.123457 });
    expect(first!.simulatedMs).toBe(65_000);
    expect(first!.failures[0]!.atMs).toBe(24_500.123);
    expect(second!.metrics.latencyMs.p50).toBe(0);
    expect(second!.metrics.availability).toBe(0.999999);
    for (const bucket of first!.series) expect(Number.isInteger(bucket.p50Ms * 1000)).toBe(true);
  });

  it('does not change the result it is given', () => {
    const result = unroundedResult();
    const before = JSON.stringify(result);
    toJson(result);
    expect(JSON.stringify(result)).toBe(before);
  });

  it('prints one JSON object and a newline', () => {
    const text = toJsonText(syntheticResult());
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(toJson(syntheticResult()));
  });
});

describe('terminal table and JSON', () => {
  it('show the same numbers: each table cell is the JSON value through the shared formatter', () => {
    const result = unroundedResult();
    const rows = tableRows(renderTerminal(result, { color: false }));
    const json = JSON.parse(toJsonText(result)) as ScenarioResult;
    let compared = 0;
    json.variants.forEach((variant, index) => {
      const figures: [string, string][] = [
        ['requests', formatCount(variant.metrics.requests.total)],
        ['failed', formatCount(variant.metrics.requests.failed)],
        ['availability', formatPercent(variant.metrics.availability)],
        ['throughput req/s', formatRate(variant.metrics.throughputPerSec)],
        ['p50 ms (all)', formatMs(variant.metrics.latencyMs.p50)],
        ['p90 ms (all)', formatMs(variant.metrics.latencyMs.p90)],
        ['p99 ms (all)', formatMs(variant.metrics.latencyMs.p99)],
        ['p99.9 ms (all)', formatMs(variant.metrics.latencyMs.p999)],
        ['max ms (all)', formatMs(variant.metrics.latencyMs.max)],
        ['cost instance-s', formatInstanceSeconds(variant.metrics.costInstanceSeconds)],
        ...Object.entries(variant.metrics.consistency).map(([key, value]): [string, string] => [key, formatConsistency(key, value)]),
      ];
      for (const [label, expected] of figures) {
        expect({ label, variant: variant.name, cell: rows.get(label)?.[index] }).toEqual({ label, variant: variant.name, cell: expected });
        compared++;
      }
    });
    expect(compared).toBe(2 * 10 + 3 + 4);
    // The figures chosen sit on rounding edges: these are what both sides must agree on.
    expect(rows.get('p90 ms (all)')).toEqual(['10', '0.002']);
    expect(rows.get('availability')).toEqual(['83.33%', '99.9999%']);
  });
});
