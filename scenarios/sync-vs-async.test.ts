// Tests for scenarios/sync-vs-async.ts on a shorter run: every check holds, and the comparison
// shows availability traded for time to final (determinism: scenarios/determinism.test.ts).
import { describe, expect, it } from 'vitest';
import { runOn } from '../test/kit/scenario.ts';
import type { VariantResult } from '../sim/harness/result.ts';
import { syncVsAsync } from './sync-vs-async.ts';
import scenarioFile from './sync-vs-async.ts';

const placing = (variant: VariantResult): number => variant.metrics.endpoints.find((entry) => entry.endpoint === 'POST /orders')!.availability;

describe('sync-vs-async', () => {
  it('holds every check and trades availability for time to final', async () => {
    const definition = syncVsAsync({ durationMs: 15_000, ratePerSec: 60 });
    const run = await runOn(definition, 3);
    expect(run.failureLines()).toEqual(['microservices-sync: ok', 'microservices-sync+breaker: ok', 'microservices-async: ok']);
    const [sync, breaker, async] = ['microservices-sync', 'microservices-sync+breaker', 'microservices-async'].map((name) => run.variant(name)) as [VariantResult, VariantResult, VariantResult];
    expect(placing(sync)).toBeLessThan(placing(breaker));
    expect(placing(breaker)).toBeLessThanOrEqual(placing(async));
    expect(placing(async)).toBe(1);
    // The price: orders accepted but not final yet when the load stops (sync runs at most one saga per orders worker).
    const inFlight = (variant: VariantResult): number => variant.metrics.consistency.ordersNonFinalAtLoadEnd!;
    expect(inFlight(sync)).toBeLessThan(inFlight(breaker));
    expect(inFlight(sync)).toBeLessThan(inFlight(async));
    // …and sync, whose steps time out, compensates more orders than async, which waits.
    expect(sync.metrics.consistency.ordersCancelled).toBeGreaterThan(async.metrics.consistency.ordersCancelled!);
  });

  it('exports the full-size scenario by default', () => {
    expect(scenarioFile.durationMs).toBe(40_000);
    expect(scenarioFile.variants.map((variant) => variant.name)).toEqual(['microservices-sync', 'microservices-sync+breaker', 'microservices-async']);
  });
});
