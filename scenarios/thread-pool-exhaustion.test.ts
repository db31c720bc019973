// Tests for scenarios/thread-pool-exhaustion.ts: it replays exactly from its seed, and on seed 1 it
// shows what it claims — a slow dependency exhausts a thread-per-request shop's threads so an
// endpoint that never calls it fails too; an event loop (or a bulkhead) confines the damage.
import { beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../sim/harness/runner.ts';
import type { ScenarioResult, VariantResult } from '../sim/harness/result.ts';
import threadPoolExhaustion from './thread-pool-exhaustion.ts';

let result: ScenarioResult;
const variant = (name: string): VariantResult => result.variants.find((candidate) => candidate.name === name)!;
const figure = (name: string, key: string): number => variant(name).metrics.consistency[key]!;
const availability = (name: string, endpoint: 'GET /browse' | 'POST /checkout'): number => {
  const stats = variant(name).metrics.endpoints.find((candidate) => candidate.endpoint === endpoint)!;
  return stats.ok / stats.total;
};

beforeAll(async () => {
  result = await runScenario(threadPoolExhaustion, 1);
});

describe('thread-pool-exhaustion scenario', () => {
  it('replays exactly: the same seed gives the same trace hash', async () => {
    const again = await runScenario(threadPoolExhaustion, 1, { variant: 'threads' });
    expect(again.variants[0]!.traceHash).toBe(variant('threads').traceHash);
  });

  it('runs four variants on the same workload and every check holds', () => {
    expect(result.variants.map((v) => v.name)).toEqual(['threads', 'threads+bulkhead', 'event-loop', 'event-loop+bulkhead']);
    for (const v of result.variants) expect(v.failures, v.name).toEqual([]);
    expect(new Set(result.variants.map((v) => v.metrics.requests.total)).size).toBe(1);
  });

  it('threads: waiting checkouts hold every thread, the queue overflows, and browse fails although it never calls inventory', () => {
    expect(figure('threads', 'shopBusyPeak')).toBe(32);
    expect(figure('threads', 'shopShed')).toBeGreaterThan(500);
    expect(availability('threads', 'GET /browse')).toBeLessThan(0.8);
    expect(availability('threads', 'POST /checkout')).toBeLessThan(0.8);
  });

  it('threads+bulkhead: checkout is capped at 16 threads and fails fast beyond; browse keeps every answer', () => {
    expect(availability('threads+bulkhead', 'GET /browse')).toBe(1);
    expect(figure('threads+bulkhead', 'checkoutRejectedByBulkhead')).toBeGreaterThan(500);
    expect(figure('threads+bulkhead', 'shopShed')).toBe(0);
    expect(availability('threads+bulkhead', 'POST /checkout')).toBeLessThan(0.8);
  });

  it('event-loop: a waiting checkout holds nothing, so only checkout is slow and both endpoints answer every request', () => {
    expect(availability('event-loop', 'GET /browse')).toBe(1);
    expect(availability('event-loop', 'POST /checkout')).toBe(1);
    expect(figure('event-loop', 'shopBusyPeak')).toBeGreaterThan(100);
    const endpoints = variant('event-loop').metrics.endpoints;
    expect(endpoints.find((e) => e.endpoint === 'GET /browse')!.latencyMs.p99).toBeLessThan(10);
    expect(endpoints.find((e) => e.endpoint === 'POST /checkout')!.latencyMs.p99).toBeGreaterThan(1_500);
  });

  it('event-loop+bulkhead: the bulkhead only turns slow checkouts into rejected ones', () => {
    expect(availability('event-loop+bulkhead', 'GET /browse')).toBe(1);
    expect(figure('event-loop+bulkhead', 'checkoutRejectedByBulkhead')).toBeGreaterThan(500);
  });

  it('CPU utilisation stays low everywhere: waiting on a call is not CPU work', () => {
    for (const v of result.variants) {
      expect(figure(v.name, 'shopCpuUtilization'), v.name).toBeGreaterThan(0);
      expect(figure(v.name, 'shopCpuUtilization'), v.name).toBeLessThan(0.2);
    }
  });
});

describe('CPU in the result', () => {
  it('lists each node with cores, its busy core-ms and utilisation = busy / (cores × uptime)', () => {
    const cpu = variant('event-loop').metrics.cpu!;
    expect(cpu.map((entry) => [entry.node, entry.cores])).toEqual([['inventory', 4], ['shop', 4]]);
    const shop = cpu[1]!;
    expect(shop.utilization).toBeCloseTo(shop.busyCoreMs / (4 * variant('event-loop').simulatedMs), 9);
    expect(shop.utilization).toBe(figure('event-loop', 'shopCpuUtilization'));
  });
});
