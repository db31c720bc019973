// Runs the checkout scenario over a range of seeds, every variant, and fails on any check that
// fails, naming the seed and the command that replays it. Written by `sim init`.
import { describe, expect, it } from 'vitest';
import { runScenario, describeFailures } from 'dsim';
import checkout from './checkout.ts';

/** The seeds every run of the tests covers; widen the range in CI with `sim sweep`. */
const SEEDS = Array.from({ length: 20 }, (_, index) => index + 1);

describe('checkout', () => {
  it.for(SEEDS)('holds every check on seed %i', async (seed) => {
    const result = await runScenario(checkout, { seed });
    expect(describeFailures(result, 'scenarios/checkout.ts')).toEqual([]);
  });

  it('runs the same seed the same way twice', async () => {
    const first = await runScenario(checkout, { seed: 7 });
    const second = await runScenario(checkout, { seed: 7 });
    expect(second.traceHash).toBe(first.traceHash);
  });
});
