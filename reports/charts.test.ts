// Tests for reports/charts.ts and reports/svg.ts: the data each chart is built from, and that every
// spec compiles and renders to SVG in Node without warnings (no `canvas` package needed).
import { describe, expect, it } from 'vitest';
import { breakerChart, breakerIntervals, comparisonChart, consistencyChart, faultWindows, historyWitnessChart, latencyChart, throughputChart, timeToConsistencyKeys, type HistoryBar } from './charts.ts';
import type { HistoryWitness } from '../sim/harness/checks.ts';
import { prefixSvgIds, renderSvg } from './svg.ts';
import { syntheticResult } from './fixtures.ts';

describe('faultWindows', () => {
  it('numbers the windows in start order with their schedule lines, in seconds', () => {
    expect(faultWindows(syntheticResult())).toEqual([
      { label: 'F1', startSeconds: 20, endSeconds: 30, description: '@20000ms for 10000ms: crash payments', variants: ['monolith', 'microservices-sync+breaker'] },
      { label: 'F2', startSeconds: 40, endSeconds: 45, description: '@40000ms for 5000ms: slow inventory x4', variants: ['monolith', 'microservices-sync+breaker'] },
    ]);
  });

  it('keeps a fault that only one variant ran, and an instant fault as a zero-width window', () => {
    const result = syntheticResult();
    result.variants[1]!.faultSchedule = [...result.variants[1]!.faultSchedule, { atMs: 5_000, fault: { kind: 'heal' } }];
    result.variants[1]!.faults = [...result.variants[1]!.faults, '@5000ms: heal'];
    const windows = faultWindows(result);
    expect(windows.map((window) => window.label)).toEqual(['F1', 'F2', 'F3']);
    expect(windows[0]).toEqual({ label: 'F1', startSeconds: 5, endSeconds: 5, description: '@5000ms: heal', variants: ['microservices-sync+breaker'] });
  });
});

describe('breakerIntervals', () => {
  it('turns state changes into intervals, from the first from-state at 0 to the end of the run', () => {
    expect(breakerIntervals(syntheticResult())).toEqual([
      { breaker: 'microservices-sync+breaker · orders', state: 'closed', startSeconds: 0, endSeconds: 20.35 },
      { breaker: 'microservices-sync+breaker · orders', state: 'open', startSeconds: 20.35, endSeconds: 25.35 },
      { breaker: 'microservices-sync+breaker · orders', state: 'half-open', startSeconds: 25.35, endSeconds: 25.42 },
      { breaker: 'microservices-sync+breaker · orders', state: 'open', startSeconds: 25.42, endSeconds: 30.42 },
      { breaker: 'microservices-sync+breaker · orders', state: 'half-open', startSeconds: 30.42, endSeconds: 30.48 },
      { breaker: 'microservices-sync+breaker · orders', state: 'closed', startSeconds: 30.48, endSeconds: 65 },
    ]);
  });

  it('separates breakers named in the detail and ignores details it cannot read', () => {
    const result = syntheticResult({ breakerTimeline: false });
    result.variants[0]!.timeline = [
      { atMs: 1000, kind: 'breaker.state', node: 'gateway', detail: 'payments: closed->open' },
      { atMs: 2000, kind: 'breaker.state', node: 'gateway', detail: 'inventory: closed -> forced-open' },
      { atMs: 3000, kind: 'breaker.state', node: 'gateway', detail: 'something else' },
      { atMs: 4000, kind: 'node.crash', node: 'gateway', detail: 'closed->open' },
    ];
    expect(breakerIntervals(result).map((interval) => [interval.breaker, interval.state, interval.startSeconds])).toEqual([
      ['monolith · gateway · payments', 'closed', 0],
      ['monolith · gateway · inventory', 'closed', 0],
      ['monolith · gateway · payments', 'open', 1],
      ['monolith · gateway · inventory', 'forced-open', 2],
    ]);
  });

  it('gives no chart when no breaker changed state', () => {
    const result = syntheticResult({ breakerTimeline: false });
    expect(breakerChart(result, faultWindows(result))).toBeUndefined();
  });
});

describe('time to consistency', () => {
  it('takes every finite consistency figure whose key starts with timeTo, in first-seen order', () => {
    const result = syntheticResult();
    result.variants[1]!.metrics.consistency.timeToProjectedMs = 12;
    result.variants[1]!.metrics.consistency.timeToNeverMs = Number.NaN;
    expect(timeToConsistencyKeys(result)).toEqual(['timeToFinalP50Ms', 'timeToFinalP99Ms', 'timeToProjectedMs']);
  });

  it('gives no chart without such figures', () => {
    const result = syntheticResult();
    for (const variant of result.variants) variant.metrics.consistency = { ordersNonFinal: 1 };
    expect(consistencyChart(result)).toBeUndefined();
  });
});

describe('renderSvg', () => {
  it('renders every chart of a result to SVG without a warning', async () => {
    const result = syntheticResult();
    const windows = faultWindows(result);
    const specs = [latencyChart(result, windows), throughputChart(result, windows), breakerChart(result, windows)!, consistencyChart(result)!, comparisonChart(result)];
    for (const [index, spec] of specs.entries()) {
      const { svg, warnings } = await renderSvg(spec, `chart${index}`);
      expect({ index, warnings }).toEqual({ index, warnings: [] });
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg).toMatch(/<text[^>]*>microservices-sync\+breaker/);
    }
  });

  it('refuses to load data from anywhere', async () => {
    const { svg, warnings } = await renderSvg({ data: { url: 'https://example.com/data.json' }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' } } }, 'remote');
    expect(svg).toContain('<svg');
    expect(warnings.join('\n')).toContain('refused https://example.com/data.json');
  });
});

describe('prefixSvgIds', () => {
  it('renumbers ids by first appearance and rewrites url() and href references to them', () => {
    const svg = '<svg><clipPath id="clip7"><rect/></clipPath><g clip-path="url(#clip7)"/><use href="#g3"/><g id="g3"/><a href="#other"/></svg>';
    expect(prefixSvgIds(svg, 'latency')).toBe(
      '<svg><clipPath id="latency-1"><rect/></clipPath><g clip-path="url(#latency-1)"/><use href="#latency-2"/><g id="latency-2"/><a href="#other"/></svg>',
    );
  });
});

describe('historyWitnessChart', () => {
  const witness: HistoryWitness = {
    model: 'linearizable register, key "k"',
    operations: [
      { id: 4, process: 's2', kind: 'read', key: 'k', text: 'read → nil @v0', invokeMs: 20, completeMs: 30, outcome: 'ok' },
      { id: 1, process: 's1', kind: 'write', key: 'k', text: 'write 1 @v1', invokeMs: 0, completeMs: 10, outcome: 'ok' },
      { id: 2, process: 's3', kind: 'write', key: 'k', text: 'write 2', invokeMs: 5, outcome: 'unknown' },
    ],
  };

  it('draws one bar per operation in order of invocation; an unanswered one runs past the last completion', () => {
    const spec = historyWitnessChart(witness) as { data: { values: HistoryBar[] } };
    expect(spec.data.values).toEqual([
      { operation: '#1 s1 k write 1 @v1', outcome: 'ok', startMs: 0, endMs: 10 },
      { operation: '#2 s3 k write 2', outcome: 'unknown', startMs: 5, endMs: 31.5 },
      { operation: '#4 s2 k read → nil @v0', outcome: 'ok', startMs: 20, endMs: 30 },
    ]);
  });

  it('renders to SVG without a warning, with the operations as labels', async () => {
    const { svg, warnings } = await renderSvg(historyWitnessChart(witness), 'witness');
    expect(warnings).toEqual([]);
    expect(svg).toMatch(/<text[^>]*>#4 s2 k read → nil @v0<\/text>/);
    expect(svg).toMatch(/<text[^>]*>linearizable register, key "k"<\/text>/);
  });
});
