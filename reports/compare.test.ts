import { describe, expect, it } from 'vitest';
import { compareSeeds, imprecise, verdictOf, type SeedFigures } from './compare.ts';
import { meanInterval, spread, tQuantile, unpairedDifferenceInterval } from './statistics.ts';
import { headlineFigures } from './figures.ts';
import { pairingGain, renderComparison } from './compare-render.ts';
import { syntheticResult } from './fixtures.ts';

/** Seeds where `b` = `a` + 2 ± a little, with a shared seed effect much larger than the difference. */
function seeds(): SeedFigures[] {
  const shared = [10, 30, 20, 50, 40];
  const jitter = [0.1, -0.1, 0.2, -0.2, 0];
  return shared.map((value, index) => ({
    seed: index + 1,
    variants: [
      { name: 'a', figures: { availability: 0.9, 'latencyMs.p99': value, 'consistency.orders': value } },
      { name: 'b', figures: { availability: 0.9, 'latencyMs.p99': value + 2 + jitter[index]!, 'consistency.orders': value + 2 + jitter[index]! } },
    ],
  }));
}

describe('statistics', () => {
  it('gives the Student t interval of a mean (t(0.975, 4) = 2.776)', () => {
    expect(tQuantile(0.95, 4)).toBeCloseTo(2.776445, 5);
    const interval = meanInterval([1, 2, 3, 4, 5], 0.95);
    expect(interval.mean).toBe(3);
    expect(interval.low).toBeCloseTo(1.036757, 5);
    expect(interval.high).toBeCloseTo(4.963243, 5);
  });

  it('gives Welch’s interval for independent samples', () => {
    const interval = unpairedDifferenceInterval([1, 2, 3, 4, 5], [3, 4, 5, 6, 7], 0.95);
    expect(interval.mean).toBe(2);
    // R: t.test(c(3,4,5,6,7), c(1,2,3,4,5)) → 95% CI -0.3060, 4.3060.
    expect(interval.low).toBeCloseTo(-0.306004, 5);
  });

  it('summarises values by min, p50, p90, max and mean (nearest rank)', () => {
    expect(spread([5, 1, 4, 2, 3, 6, 7, 8, 9, 10])).toEqual({ min: 1, p50: 5, p90: 9, max: 10, mean: 5.5 });
    expect(spread([])).toBeUndefined();
  });
});

describe('compareSeeds', () => {
  it('pairs by seed: a small steady difference under a large shared seed effect is significant paired, not unpaired', () => {
    const comparison = compareSeeds(seeds(), { confidence: 0.95, baseline: 'a' });
    const p99 = comparison.figures.find((figure) => figure.key === 'latencyMs.p99')!;
    const difference = p99.differences[0]!;
    expect(difference.variant).toBe('b');
    expect(difference.mean).toBeCloseTo(2, 10);
    expect(difference.low).toBeGreaterThan(0);
    expect(difference.unpairedHalfWidth).toBeGreaterThan(2);
    expect(difference.verdict).toBe('worse');
    expect(p99.variants.map((variant) => variant.values.map((entry) => entry.seed))).toEqual([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]);
    expect(pairingGain(comparison)!.medianRatio).toBeGreaterThan(10);
  });

  it('says which way is better per figure: lower latency is better, undeclared custom figures are only higher or lower, declared ones are judged', () => {
    const undeclared = compareSeeds(seeds(), { confidence: 0.95, baseline: 'a' });
    expect(undeclared.figures.find((figure) => figure.key === 'consistency.orders')!.differences[0]!.verdict).toBe('higher');
    const declared = compareSeeds(seeds(), { confidence: 0.95, baseline: 'b', declared: { orders: 'higher' } });
    expect(declared.figures.find((figure) => figure.key === 'consistency.orders')!.differences[0]!.verdict).toBe('worse');
    expect(declared.figures.find((figure) => figure.key === 'latencyMs.p99')!.differences[0]!.verdict).toBe('better');
    expect(declared.figures.find((figure) => figure.key === 'availability')!.differences[0]!.verdict).toBe('no significant difference');
  });

  it('calls an interval that holds zero no significant difference', () => {
    expect(verdictOf({ n: 5, mean: 1, halfWidth: 2, low: -1, high: 3, stdDev: 1 }, 'lower')).toBe('no significant difference');
    expect(verdictOf({ n: 5, mean: 1, halfWidth: 0.5, low: 0.5, high: 1.5, stdDev: 1 }, 'higher')).toBe('better');
  });

  it('lists every figure still wider than the precision asked', () => {
    const comparison = compareSeeds(seeds(), { confidence: 0.95, baseline: 'a' });
    expect(imprecise(comparison, 0.01)).toEqual(['a: p99 latency, all', 'b: p99 latency, all', 'a: orders', 'b: orders']);
    expect(imprecise(comparison, 10)).toEqual([]);
  });

  it('takes every custom figure a scenario reports, after the fixed ones', () => {
    const variant = syntheticResult().variants[1]!;
    const keys = Object.keys(headlineFigures(variant));
    expect(keys.slice(0, 2)).toEqual(['availability', 'throughputPerSec']);
    expect(keys.filter((key) => key.startsWith('consistency.'))).toEqual(['consistency.ordersNonFinal', 'consistency.timeToFinalP50Ms', 'consistency.timeToFinalP99Ms', 'consistency.staleReads']);
  });

  it('renders one table per figure group with the interval and the verdict', () => {
    const text = renderComparison(compareSeeds(seeds(), { confidence: 0.95, baseline: 'a' }), { color: false });
    expect(text).toContain('│ requests ');
    expect(text).toContain('│ latency of all requests ');
    expect(text).toContain('│ consistency and custom figures ');
    expect(text).toMatch(/│ p99 latency, all +│ a +│ 30 ms ± 19\.6 +│ \(baseline\) +│ +│/);
    expect(text).toMatch(/│ +│ b +│ 32 ms ± 19\.5 +│ \+2 ms \[\+1\.80 ms, \+2\.20 ms\] +│ worse +│/);
  });
});
