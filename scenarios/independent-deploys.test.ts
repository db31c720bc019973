import { describe, expect, it } from 'vitest';
import definition from './independent-deploys.ts';
import { runOn } from '../test/kit/scenario.ts';

describe('independent-deploys scenario', () => {
  it('replaces only checkout as microservices and every replica as a monolith, which takes longer and costs more surge', async () => {
    const run = await runOn(definition, 1);
    expect(run.failureLines()).toEqual(['microservices: ok', 'monolith: ok']);
    const [micro, mono] = [run.variant('microservices'), run.variant('monolith')];
    const [microFigures, monoFigures] = [micro.metrics.consistency, mono.metrics.consistency];
    // Microservices: the 2 checkout pods are replaced, the 3 catalog pods keep running v1.
    expect(microFigures).toMatchObject({ podsReplaced: 2, podsKept: 3, failedDuringRollout: 0 });
    // Monolith: all 4 replicas are replaced, none is kept.
    expect(monoFigures).toMatchObject({ podsReplaced: 4, podsKept: 0, failedDuringRollout: 0 });
    // Twice the pods, each booting both modules (4 s instead of 2 s): more than twice as long.
    expect(monoFigures.rolloutMs!).toBeGreaterThan(2 * microFigures.rolloutMs!);
    expect(monoFigures.warmingPodSecondsDuringRollout!).toBeGreaterThan(2 * microFigures.warmingPodSecondsDuringRollout!);
    expect(monoFigures.surgeInstanceSeconds!).toBeGreaterThan(microFigures.surgeInstanceSeconds!);
    expect(microFigures.p99DuringRolloutMs!).toBeGreaterThan(0);
    expect(monoFigures.p99DuringRolloutMs!).toBeGreaterThan(0);
    expect(micro.metrics.requests.failed + mono.metrics.requests.failed).toBe(0);
  });
});
