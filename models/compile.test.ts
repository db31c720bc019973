// Compiled models run as the architecture says: the gateway routes and caches, the bus delivers to
// subscribers, a closed workload keeps its clients busy, and a CSV rate profile shapes arrivals.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../sim/harness/runner.ts';
import { createTraceCollector } from '../reports/trace-export.ts';
import { loadModelScenario } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'dsim-compile-'));

function model(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('compiled models', () => {
  it('the seed shop: gateway routes and caches, orders publish, shipping consumes every order', async () => {
    const scenario = loadModelScenario('examples/seed-shop.yaml');
    const collector = createTraceCollector('otlp');
    const result = await runScenario({ ...scenario, durationMs: 5000 }, 1, { observersFor: () => ({ filteredSinks: [{ kinds: collector.kinds, sink: collector.sink }] }) });
    const endpoints = new Map(result.variants[0]!.metrics.endpoints.map((entry) => [entry.endpoint, entry]));
    expect([...endpoints.keys()].sort()).toEqual(['GET /api/products', 'GET /api/users/me', 'POST /api/orders']);
    // Products are cached at the gateway for 500 ms: most reads never leave it.
    expect(endpoints.get('GET /api/products')!.latencyMs.p50).toBeLessThan(1);
    // Orders wait for the ~80 ms card charge.
    expect(endpoints.get('POST /api/orders')!.latencyMs.p50).toBeGreaterThan(80);
    const spans = JSON.parse(collector.finish()).resourceSpans as { resource: { attributes: { value: { stringValue: string } }[] }; scopeSpans: { spans: { name: string; status: { code: number } }[] }[] }[];
    const count = (node: string, name: string) =>
      spans.filter((entry) => entry.resource.attributes[0]!.value.stringValue === node).flatMap((entry) => entry.scopeSpans[0]!.spans).filter((span) => span.name === name && span.status.code === 1).length;
    const created = count('orders-1', 'create') + count('orders-2', 'create');
    expect(created).toBeGreaterThan(20);
    // Every order that got past payments was published once and delivered once (the bus is at least once; no faults here).
    expect(count('shipping', 'bus.deliver')).toBe(count('broker', 'bus.publish'));
    expect(count('broker', 'bus.publish')).toBe(created);
  });

  it('a closed workload keeps each client in a loop of request and think time', async () => {
    const path = model('closed.yaml', `name: closed
durationMs: 10000
quiesceMs: 1000
services:
  api: { operations: { get: { cpuMs: 10 } } }
workload: { kind: closed, clients: 4, thinkTimeMs: 90, mix: [{ call: api.get }] }
`);
    const result = await runScenario(loadModelScenario(path), 1);
    // Each client: 10 ms of work + 90 ms of thought = 10 requests a second, for 10 s.
    expect(result.variants[0]!.metrics.requests.total).toBeGreaterThanOrEqual(396);
    expect(result.variants[0]!.metrics.requests.total).toBeLessThanOrEqual(404);
  });

  it('a CSV rate profile shapes the arrivals', async () => {
    writeFileSync(join(dir, 'rates.csv'), 'time,rate\n0,20\n5,200\n');
    const path = model('csv.yaml', `name: csv
durationMs: 10000
quiesceMs: 1000
services:
  api: { workers: 64, operations: { get: { cpuMs: 1 } } }
workload: { rateCsv: rates.csv, mix: [{ call: api.get }] }
`);
    const result = await runScenario({ ...loadModelScenario(path), bucketMs: 5000 }, 2);
    const buckets = result.variants[0]!.series;
    // 5 s at 20/s, then 5 s at 200/s (Poisson: within a few standard deviations).
    expect((buckets[0]!.ok + buckets[0]!.failed)).toBeGreaterThan(70);
    expect((buckets[0]!.ok + buckets[0]!.failed)).toBeLessThan(130);
    expect((buckets[1]!.ok + buckets[1]!.failed)).toBeGreaterThan(900);
    expect((buckets[1]!.ok + buckets[1]!.failed)).toBeLessThan(1100);
  });

  it('cores are shared: two parallel 10 ms bursts take 20 ms on one core and 10 ms on two', async () => {
    const path = model('cores.yaml', `name: cores
durationMs: 1000
quiesceMs: 100
network: { latencyMs: 0 }
services:
  api:
    cores: 1
    operations:
      get: { cpuMs: 0, steps: [{ parallel: [{ cpuMs: 10 }, { cpuMs: 10 }] }] }
workload: { kind: closed, clients: 1, thinkTimeMs: 90, mix: [{ call: api.get }] }
variants:
  two-cores: { services.api.cores: 2 }
`);
    const result = await runScenario(loadModelScenario(path), 1);
    const latency = (variant: number) => result.variants[variant]!.metrics.endpoints[0]!.latencyMs;
    expect([latency(0).p50, latency(0).max]).toEqual([20, 20]);
    expect([latency(1).p50, latency(1).max]).toEqual([10, 10]);
  });

  it('an event loop holds nothing while it waits; one thread holds the replica', async () => {
    const path = model('event-loop.yaml', `name: event-loop
durationMs: 1000
quiesceMs: 500
network: { latencyMs: 0 }
services:
  api:
    concurrency: { threads: 1 }
    operations:
      get: { cpuMs: 1, steps: [{ call: store.read }] }
  store:
    operations:
      read: { cpuMs: 49 }
workload: { kind: closed, clients: 4, thinkTimeMs: 0, mix: [{ call: api.get }] }
variants:
  event-loop: { services.api.concurrency: { eventLoop: true } }
`);
    const result = await runScenario(loadModelScenario(path), 1);
    const latency = (variant: number) => result.variants[variant]!.metrics.endpoints[0]!.latencyMs;
    // One thread: four clients take turns, 50 ms each. An event loop: only the 1 ms of CPU is shared.
    expect(latency(0).p50).toBe(200);
    expect(latency(1).p50).toBe(53);
  });

  it('an open workload without a rate is refused, naming the choices', () => {
    const path = model('no-rate.yaml', `name: no-rate
durationMs: 1000
services:
  api: { operations: { get: { cpuMs: 1 } } }
workload: { mix: [{ call: api.get }] }
`);
    expect(() => loadModelScenario(path)).toThrow('workload: an open workload needs exactly one of ratePerSec, rateProfile, rateCsv (got 0)');
  });
});
