// Arrival rates from traces: steady Poisson arrivals give one rate, a step gives a profile.
import { describe, expect, it } from 'vitest';
import { Rng } from '../sim/index.ts';
import { inferRateProfile } from './arrivals.ts';

/** Poisson arrivals at `rate(t)` per second over [0, endMs). */
function arrivals(seed: number, endMs: number, rate: (nowMs: number) => number): number[] {
  const rng = new Rng(seed);
  const starts: number[] = [];
  for (let now = rng.exponential(1000 / rate(0)); now < endMs; now += rng.exponential(1000 / rate(now))) starts.push(now);
  return starts;
}

describe('inferRateProfile', () => {
  it('finds no profile in steady Poisson arrivals, over many seeds', () => {
    for (let seed = 1; seed <= 20; seed++) expect(inferRateProfile(arrivals(seed, 30_000, () => 100), 30_000)).toBeUndefined();
  });

  it('finds a step from 50 to 200 req/s at 10 s', () => {
    const profile = inferRateProfile(arrivals(7, 20_000, (now) => (now < 10_000 ? 50 : 200)), 20_000)!;
    expect(profile.map((point) => point.atMs)).toEqual([0, 10_000]);
    expect(profile[0]!.ratePerSec).toBeGreaterThan(45);
    expect(profile[0]!.ratePerSec).toBeLessThan(55);
    expect(profile[1]!.ratePerSec).toBeGreaterThan(190);
    expect(profile[1]!.ratePerSec).toBeLessThan(210);
  });

  it('needs at least four buckets to call anything a profile', () => {
    expect(inferRateProfile([0, 1, 2, 2500], 2600)).toBeUndefined();
  });
});
