// Tests for scenarios/monolith-vs-microservices.ts on a shorter run: every check holds, and the
// comparison shows what the scenario is about (determinism: scenarios/determinism.test.ts).
import { describe, expect, it } from 'vitest';
import { runOn } from '../test/kit/scenario.ts';
import type { VariantResult } from '../sim/harness/result.ts';
import { monolithVsMicroservices } from './monolith-vs-microservices.ts';
import scenarioFile from './monolith-vs-microservices.ts';

const availability = (variant: VariantResult, endpoint: string): number => variant.metrics.endpoints.find((entry) => entry.endpoint === endpoint)!.availability;

describe('monolith-vs-microservices', () => {
  it('holds every check and shows shared fate against isolation', async () => {
    const definition = monolithVsMicroservices({ durationMs: 15_000, ratePerSec: 60 });
    const run = await runOn(definition, 7);
    expect(run.failureLines()).toEqual(['monolith: ok', 'microservices: ok']);
    const [monolith, microservices] = [run.variant('monolith'), run.variant('microservices')];
    // The payments crash takes the catalogue down with the monolith, not with the microservices.
    expect(availability(monolith, 'GET /users/me')).toBeLessThan(availability(microservices, 'GET /users/me'));
    expect(availability(microservices, 'GET /users/me')).toBe(1);
    // One transaction per order against a saga: no compensations and no time to final in the monolith.
    expect(monolith.metrics.consistency).toMatchObject({ compensations: 0, timeToFinalP99Ms: 0, ordersNonFinal: 0 });
    expect(microservices.metrics.consistency.compensations).toBeGreaterThan(0);
    expect(microservices.metrics.consistency.timeToFinalP50Ms).toBeGreaterThan(0);
    expect(monolith.metrics.costInstanceSeconds).toBeLessThan(microservices.metrics.costInstanceSeconds);
  });

  it('exports the full-size scenario by default', () => {
    expect(scenarioFile.durationMs).toBe(40_000);
    expect(scenarioFile.variants.map((variant) => variant.name)).toEqual(['monolith', 'microservices']);
  });
});
