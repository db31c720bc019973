import { describe, expect, it } from 'vitest';
import definition from './rolling-update.ts';
import { runScenario } from '../sim/harness/runner.ts';

describe('rolling-update scenario', () => {
  it('fails nothing in a rolling update, everything in a recreate gap, and little in a bad rollout that is rolled back', async () => {
    const result = await runScenario(definition, 1);
    expect(result.ok).toBe(true);
    const figures = Object.fromEntries(result.variants.map((variant) => [variant.name, variant.metrics.consistency]));
    expect(figures.rolling).toMatchObject({ failedDuringRollout: 0, minReadyDuringRollout: 4, rollbacks: 0, podsOnV2AtEnd: 4 });
    // Recreate: no pod ready between the old ones leaving and the new ones warming up (3 s cold start).
    expect(figures.recreate).toMatchObject({ minReadyDuringRollout: 0, podsOnV2AtEnd: 4 });
    expect(figures.recreate!.failedDuringRollout).toBeGreaterThan(500);
    expect(figures['bad-rollback']).toMatchObject({ rollbacks: 1, podsOnV2AtEnd: 0, minReadyDuringRollout: 4 });
    // Without analysis the bad version takes all traffic and keeps failing a fifth of it.
    expect(figures['bad-no-analysis']).toMatchObject({ rollbacks: 0, podsOnV2AtEnd: 4 });
    expect(figures['bad-rollback']!.failedDuringRollout).toBeLessThan(figures['bad-no-analysis']!.failedDuringRollout!);
    const byName = Object.fromEntries(result.variants.map((variant) => [variant.name, variant.metrics.requests.failed]));
    expect(byName['bad-rollback']).toBeLessThan(byName['bad-no-analysis']! / 10);
  });
});
