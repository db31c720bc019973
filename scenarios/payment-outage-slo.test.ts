// The SLO variant of the flagship: sync misses "95% of orders placed during the outage succeed,
// median under 100 ms"; the breaker, async and self-healing designs meet it; deterministic.
import { describe, expect, it } from 'vitest';
import definition, { paymentOutageSlo } from './payment-outage-slo.ts';
import { runScenario } from '../sim/harness/runner.ts';

describe('payment-outage-slo', () => {
  it('fails the sync variant on the SLO, naming the figures, measured values and targets; the other designs meet it', async () => {
    const result = await runScenario(definition, 1);
    expect(result.ok).toBe(false);
    const byName = new Map(result.variants.map((variant) => [variant.name, variant]));
    expect(byName.get('sync')!.failures).toEqual([
      {
        kind: 'correctness',
        check: 'slo POST /orders p50<=100ms availability>=0.95 during-faults',
        atMs: byName.get('sync')!.simulatedMs,
        message: 'p50 latency of POST /orders is 2000 ms, target <= 100 ms; availability of POST /orders is 3.45%, target >= 95.00% (174 requests sent during faults)',
      },
    ]);
    for (const name of ['sync+breaker', 'async', 'sync+self-healing']) expect(byName.get(name)!.failures).toEqual([]);
  });

  it('is deterministic: same seed, same trace hash', async () => {
    const small = paymentOutageSlo({ durationMs: 20_000, ratePerSec: 10 });
    const first = await runScenario(small, 3, { variant: 'sync' });
    const second = await runScenario(small, 3, { variant: 'sync' });
    expect(second.traceHash).toBe(first.traceHash);
    expect(second.variants[0]!.failures).toEqual(first.variants[0]!.failures);
  });
});
