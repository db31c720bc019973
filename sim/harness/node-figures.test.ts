import { describe, expect, it } from 'vitest';
import { scenario } from './scenario.ts';
import { runScenario } from './runner.ts';
import type { World } from '../world/world.ts';

/** An M/M/1 node: Poisson arrivals at `ratePerSec`, one worker, exponential service, no network delay. */
function mm1(ratePerSec: number, serviceMeanMs: number, requests: number) {
  return scenario({
    name: 'mm1',
    description: 'one M/M/1 node',
    durationMs: (requests / ratePerSec) * 1000 * 1.2,
    quiesceMs: 1000,
    checkIntervalMs: 1e6,
    maxEvents: 50 * requests,
    network: { latencyMs: { kind: 'constant', value: 0 } },
    workload: { kind: 'open', ratePerSec, maxRequests: requests, timeoutMs: 1e9, request: () => ({ endpoint: 'serve', method: 'serve' }) },
    variants: [
      {
        name: 'mm1',
        build: (world: World) => {
          world.addNode('server', () => ({ handlers: { serve: { serviceTimeMs: { kind: 'exponential', mean: serviceMeanMs }, handle: () => 'ok' } } }), { workers: 1, queueCapacity: 100_000 });
          return { entry: 'server' };
        },
      },
    ],
  });
}

describe('per-node time-averaged figures', () => {
  it("Little's law holds on an M/M/1 node at 1e6 requests: mean in flight = arrival rate × mean time in the node, within 2%", async () => {
    const result = await runScenario(mm1(800, 1, 1_000_000), 1);
    const variant = result.variants[0]!;
    const server = variant.metrics.nodes!.find((node) => node.node === 'server')!;
    expect(server.admitted).toBe(1_000_000);
    expect(server.completed).toBe(1_000_000);
    // λ from the node's own counter and uptime; W from the client's latency (zero network delay).
    const arrivalsPerMs = server.admitted / server.upMs;
    const littleL = arrivalsPerMs * variant.metrics.latencyMs.mean;
    expect(Math.abs(server.meanInFlight - littleL) / littleL).toBeLessThan(0.02);
    // Busy time is the total service time: 1e6 requests × 1 ms mean, within 1%.
    expect(Math.abs((server.utilization * server.upMs) / 1_000_000 - 1)).toBeLessThan(0.01);
    // One worker: in flight = busy workers + queue.
    expect(server.meanQueueLength).toBeCloseTo(server.meanInFlight - server.utilization, 6);
  });

  it('reports utilisation, queue length and in-flight over time per node, and counts admitted, shed, failed and crashes', async () => {
    const result = await runScenario(mm1(800, 1, 20_000), 3);
    const server = result.variants[0]!.metrics.nodes![0]!;
    expect(server.service).toBe('server');
    expect(server.shed).toBe(0);
    expect(server.crashes).toBe(0);
    const busyMs = server.series.reduce((sum, point) => sum + point.utilization * (point.endMs - point.startMs), 0);
    expect(busyMs).toBeCloseTo(server.utilization * server.upMs, 3);
  });
});
