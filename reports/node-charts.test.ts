// Per-node utilisation reaches all three outputs: the terminal rows (per service, replicas
// collapsed), the JSON (per node) and the HTML report (time series per node).
import { describe, expect, it } from 'vitest';
import { scenario } from '../sim/harness/scenario.ts';
import { runScenario } from '../sim/harness/runner.ts';
import type { World } from '../sim/world/world.ts';
import { nodeLoadChart } from './node-charts.ts';
import { renderSvg } from './svg.ts';
import { renderHtml } from './html.ts';
import { renderTerminal } from './terminal.ts';
import { toJson } from './json.ts';

/** Two replicas of `api` (2 workers each, 4 ms per request) behind round-robin entry, 400 req/s: ~40% busy. */
const replicas = scenario({
  name: 'replicas',
  description: 'two replicas of one service',
  durationMs: 3000,
  quiesceMs: 100,
  network: { latencyMs: { kind: 'constant', value: 0 } },
  workload: { kind: 'open', ratePerSec: 400, request: () => ({ endpoint: 'get', method: 'get' }) },
  variants: [
    {
      name: 'two',
      build: (world: World) => {
        for (const name of ['api-1', 'api-2']) world.addNode(name, () => ({ handlers: { get: { serviceTimeMs: 4, handle: () => 'ok' } } }), { workers: 2 });
        let next = 0;
        return { entry: () => (next++ % 2 === 0 ? 'api-1' : 'api-2') };
      },
    },
  ],
});

describe('per-node figures in every output', () => {
  it('JSON: per node, utilisation, queue, in flight and counts, with a series', async () => {
    const result = await runScenario(replicas, 1);
    const nodes = toJson(result).variants[0]!.metrics.nodes!;
    expect(nodes.map((node) => [node.node, node.service, node.workers])).toEqual([['api-1', 'api', 2], ['api-2', 'api', 2]]);
    for (const node of nodes) {
      // 200 req/s × 4 ms on 2 workers = 40% busy while the workload runs (3 of ~3.1 s up).
      expect(node.utilization).toBeGreaterThan(0.3);
      expect(node.utilization).toBeLessThan(0.45);
      expect(node.meanInFlight).toBeCloseTo(node.utilization * 2 + node.meanQueueLength, 2);
      expect(node.admitted).toBe(node.completed + node.failed);
      expect(node.series.length).toBeGreaterThanOrEqual(3);
    }
  });

  it('terminal: one row per service with replicas collapsed; latency rows say whether they cover all requests or the successful ones', async () => {
    const text = renderTerminal(await runScenario(replicas, 1), { color: false });
    for (const label of ['p50 ms (all)', 'p99 ms (all)', 'p50 ms (succeeded)', 'p99 ms (succeeded)']) expect(text).toContain(`│ ${label} `);
    expect(text).toMatch(/│ node api +│ 2 replicas, utilisation \d+\.\d\d% +│/);
    expect(text).toMatch(/│ +│ queue [\d.]+, in flight [\d.]+ +│/);
  });

  it('HTML: utilisation and queue length over time per node, drawn without a warning', async () => {
    const result = await runScenario(replicas, 1);
    const { warnings, svg } = await renderSvg(nodeLoadChart(result), 'nodes');
    expect(warnings).toEqual([]);
    expect(svg).toContain('two: utilisation (busy workers / workers)');
    const html = await renderHtml(result);
    expect(html).toContain('<section id="nodes"><h2>What each node was doing (time-averaged per slice)</h2><div class="chart"><svg');
  });
});
