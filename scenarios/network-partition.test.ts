// The network-partition scenario shows what it claims: the sync saga loses order availability
// across the cut, the breaker keeps it, async is untouched but slower to finish; the registry
// expires the instance it cannot hear; every invariant holds.
import { describe, expect, it } from 'vitest';
import definition from './network-partition.ts';
import { runScenario } from '../sim/harness/runner.ts';
import type { VariantResult } from '../sim/harness/result.ts';

function orderAvailability(variant: VariantResult): number {
  return variant.metrics.endpoints.find((endpoint) => endpoint.endpoint === 'POST /orders')!.availability;
}

describe('network-partition', () => {
  it('sync loses orders across the cut, breaker and async keep them, invariants hold', async () => {
    const result = await runScenario(definition, 1);
    const [sync, breaker, async] = result.variants as [VariantResult, VariantResult, VariantResult];
    expect(result.ok).toBe(true);
    expect(orderAvailability(sync)).toBeLessThan(0.85);
    expect(orderAvailability(breaker)).toBeGreaterThan(0.95);
    expect(orderAvailability(async)).toBe(1);
    for (const variant of result.variants) expect(variant.metrics.consistency['registryExpiries']).toBeGreaterThanOrEqual(1);
    // Orders use discovery to find inventory only in the sync designs.
    expect(sync.metrics.consistency['viewChanges']).toBeGreaterThan(0);
    expect(async.metrics.consistency['viewChanges']).toBe(0);
  });
});
