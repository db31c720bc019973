// The flagship scenario shows what it claims: sync loses order availability during the outage,
// the breaker keeps it, async keeps it and pays in time-to-final, self-healing shortens the
// outage; every invariant holds.
import { describe, expect, it } from 'vitest';
import definition from './payment-outage.ts';
import { runScenario } from '../sim/harness/runner.ts';
import type { VariantResult } from '../sim/harness/result.ts';

function orderAvailability(variant: VariantResult): number {
  return variant.metrics.endpoints.find((endpoint) => endpoint.endpoint === 'POST /orders')!.availability;
}

describe('payment-outage', () => {
  it('shows the trade between sync, breaker, async and self-healing, and keeps every invariant', async () => {
    const result = await runScenario(definition, 42);
    const byName = new Map(result.variants.map((variant) => [variant.name, variant]));
    const sync = byName.get('sync')!;
    const breaker = byName.get('sync+breaker')!;
    const async = byName.get('async')!;
    const healing = byName.get('sync+self-healing')!;
    expect(result.ok).toBe(true);
    for (const variant of result.variants) expect(variant.failures).toEqual([]);
    // Sync clients wait for the saga and time out while payments is down.
    expect(orderAvailability(sync)).toBeLessThan(0.8);
    expect(orderAvailability(breaker)).toBeGreaterThan(0.95);
    expect(orderAvailability(async)).toBe(1);
    // Async accepts everything at once but orders caught by the outage finish only after it.
    expect(async.metrics.latencyMs.p99).toBeLessThan(sync.metrics.latencyMs.p99 / 10);
    expect(async.metrics.consistency['timeToFinalP50Ms']!).toBeGreaterThan(10 * sync.metrics.consistency['timeToFinalP50Ms']!);
    expect(async.metrics.consistency['timeToFinalP99Ms']!).toBeGreaterThan(20_000);
    // Self-healing restarts payments several times, with a back-off that grows to its cap.
    expect(healing.metrics.consistency['selfHealingRestarts']).toBeGreaterThanOrEqual(5);
    expect(healing.metrics.consistency['longestBackoffMs']).toBe(8000);
    expect(healing.metrics.consistency['timeToFinalP99Ms']!).toBeLessThan(breaker.metrics.consistency['timeToFinalP99Ms']!);
  });
});
