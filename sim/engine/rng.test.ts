// Tests for sim/engine/rng.ts: determinism, fork independence, distribution moments, and configuration validation.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { ConfigError, Rng, describeDistribution, distributionMean, validateDistribution, type Distribution } from './rng.ts';

const DRAWS = 100_000;

function draws(rng: Rng, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(rng.next());
  return out;
}

function sampleMean(count: number, draw: () => number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += draw();
  return sum / count;
}

describe('Rng determinism', () => {
  it('same seed gives the identical sequence', () => {
    expect(draws(new Rng(42), 1000)).toEqual(draws(new Rng(42), 1000));
    expect(draws(new Rng('run-7'), 1000)).toEqual(draws(new Rng('run-7'), 1000));
  });

  it('numeric and string forms of a seed are the same stream, and seed is the string', () => {
    const a = new Rng(42);
    expect(a.seed).toBe('42');
    expect(draws(a, 100)).toEqual(draws(new Rng('42'), 100));
  });

  it('different seeds give different sequences', () => {
    const a = draws(new Rng(1), 100);
    const b = draws(new Rng(2), 100);
    expect(a).not.toEqual(b);
    expect(a.filter((x, i) => x === b[i])).toEqual([]);
  });

  it('next() is bit-identical to seedrandom xor4096(seed).double()', () => {
    const rng = new Rng('compat');
    const ref = seedrandom.xor4096('compat');
    const mismatches: number[] = [];
    for (let i = 0; i < 10_000; i++) if (rng.next() !== ref.double()) mismatches.push(i);
    expect(mismatches).toEqual([]);
  });

  it('next() is bit-identical to seedrandom xor4096(seed).double() for any seed, past many wraps of its 128 words', () => {
    // Seeds longer than 128 characters take seedrandom's longer seeding loop; 600 draws are 1,200 steps.
    const seeds = fc.oneof(fc.string({ maxLength: 200 }), fc.nat().map(String), fc.string({ minLength: 129, maxLength: 300 }));
    fc.assert(
      fc.property(seeds, (seed) => {
        const rng = new Rng(seed);
        const ref = seedrandom.xor4096(seed);
        for (let i = 0; i < 600; i++) if (rng.next() !== ref.double()) return false;
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('rejects negative, fractional and unsafe numeric seeds', () => {
    expect(() => new Rng(-1)).toThrow(RangeError);
    expect(() => new Rng(1.5)).toThrow(RangeError);
    expect(() => new Rng(Number.NaN)).toThrow(RangeError);
    expect(() => new Rng(2 ** 53)).toThrow(RangeError);
    expect(() => new Rng(0)).not.toThrow();
  });
});

describe('Rng.fork', () => {
  it('is independent of how many draws the parent made', () => {
    const fresh = new Rng(42).fork('net');
    const used = new Rng(42);
    draws(used, 12_345);
    used.normal(0, 1); // leaves a cached Box–Muller spare on the parent
    expect(draws(used.fork('net'), 500)).toEqual(draws(fresh, 500));
  });

  it('is independent of fork order', () => {
    const p = new Rng(42);
    const aFirst = p.fork('a');
    const bSecond = p.fork('b');
    const q = new Rng(42);
    const bFirst = q.fork('b');
    const aSecond = q.fork('a');
    expect(draws(aFirst, 200)).toEqual(draws(aSecond, 200));
    expect(draws(bSecond, 200)).toEqual(draws(bFirst, 200));
  });

  it('drawing from a fork does not shift the parent', () => {
    const p = new Rng(9);
    draws(p.fork('x'), 1000);
    expect(draws(p, 100)).toEqual(draws(new Rng(9), 100));
  });

  it('nested forks are deterministic and replayable from their seed string', () => {
    const ab = new Rng(42).fork('a').fork('b');
    expect(ab.seed).toBe('42/a/b');
    expect(ab.streamName).toBe('seed 42/a/b');
    expect(draws(ab, 100)).toEqual(draws(new Rng(42).fork('a').fork('b'), 100));
    expect(draws(new Rng(ab.seed), 100)).toEqual(draws(new Rng(42).fork('a').fork('b'), 100));
  });

  it('different names and different parents give different streams', () => {
    const root = new Rng(42);
    const a = draws(root.fork('a'), 100);
    expect(a).not.toEqual(draws(root.fork('b'), 100));
    expect(a).not.toEqual(draws(root, 100));
    expect(a).not.toEqual(draws(new Rng(43).fork('a'), 100));
  });

  it("escapes '/' in names so fork('a/b') differs from fork('a').fork('b')", () => {
    const root = new Rng(1);
    expect(root.fork('a/b').seed).toBe('1/a\\/b');
    expect(draws(root.fork('a/b'), 50)).not.toEqual(draws(root.fork('a').fork('b'), 50));
  });

  it('sibling forks are uncorrelated', () => {
    const a = draws(new Rng(42).fork('a'), DRAWS);
    const b = draws(new Rng(42).fork('b'), DRAWS);
    let sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
    for (let i = 0; i < DRAWS; i++) {
      const x = a[i]!, y = b[i]!;
      sa += x; sb += y; sab += x * y; saa += x * x; sbb += y * y;
    }
    const cov = sab / DRAWS - (sa / DRAWS) * (sb / DRAWS);
    const r = cov / Math.sqrt((saa / DRAWS - (sa / DRAWS) ** 2) * (sbb / DRAWS - (sb / DRAWS) ** 2));
    expect(Math.abs(r)).toBeLessThan(0.016); // about 5 standard errors (1/sqrt(1e5))
  });
});

describe('Rng draws', () => {
  it('next() is in [0,1) with mean 1/2', () => {
    const xs = draws(new Rng(5), DRAWS);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / DRAWS - 0.5)).toBeLessThan(0.005);
  });

  it('uniform(min, max) stays within bounds with mean (min+max)/2', () => {
    const rng = new Rng(6);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < DRAWS; i++) {
      const x = rng.uniform(1, 3);
      if (!(x >= 1 && x < 3)) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / DRAWS - 2)).toBeLessThan(0.01);
  });

  it('int() covers exactly [min, max) uniformly and rejects bad bounds', () => {
    const rng = new Rng(7);
    const counts = new Map<number, number>();
    for (let i = 0; i < DRAWS; i++) {
      const k = rng.int(-2, 3);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((x, y) => x - y)).toEqual([-2, -1, 0, 1, 2]);
    for (const c of counts.values()) expect(Math.abs(c / DRAWS - 0.2)).toBeLessThan(0.01);
    expect(rng.int(4, 5)).toBe(4);
    expect(() => rng.int(3, 3)).toThrow(RangeError);
    expect(() => rng.int(0, 2.5)).toThrow(RangeError);
  });

  it('exponential() has the requested mean and is non-negative', () => {
    const rng = new Rng(8);
    let sum = 0;
    let min = Infinity;
    for (let i = 0; i < DRAWS; i++) {
      const x = rng.exponential(5);
      sum += x;
      min = Math.min(min, x);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(Math.abs(sum / DRAWS - 5)).toBeLessThan(0.08); // 5 standard errors of the mean (0.016)
  });

  it('normal() has the requested mean and standard deviation', () => {
    const rng = new Rng(9);
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < DRAWS; i++) {
      const x = rng.normal(10, 2);
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / DRAWS;
    expect(Math.abs(mean - 10)).toBeLessThan(0.03); // 5 standard errors of the mean (0.0063)
    expect(Math.abs(Math.sqrt(sumSq / DRAWS - mean * mean) - 2)).toBeLessThan(0.02);
  });

  it('lognormal() has median `median` and mean median·exp(sigma²/2)', () => {
    const rng = new Rng(10);
    const xs: number[] = [];
    for (let i = 0; i < DRAWS; i++) xs.push(rng.lognormal(4, 0.5));
    const mean = xs.reduce((s, x) => s + x, 0) / DRAWS;
    expect(Math.abs(mean / (4 * Math.exp(0.125)) - 1)).toBeLessThan(0.01);
    xs.sort((a, b) => a - b);
    expect(Math.abs(xs[DRAWS / 2]! / 4 - 1)).toBeLessThan(0.01);
  });

  it('pareto() is always >= scale with mean shape·scale/(shape−1)', () => {
    const rng = new Rng(11);
    let sum = 0;
    let min = Infinity;
    for (let i = 0; i < DRAWS; i++) {
      const x = rng.pareto(2, 3);
      sum += x;
      min = Math.min(min, x);
    }
    expect(min).toBeGreaterThanOrEqual(2);
    expect(Math.abs(sum / DRAWS / 3 - 1)).toBeLessThan(0.02);
  });

  it('chance(0) is never true, chance(1) always, chance(p) about p of the time', () => {
    const rng = new Rng(12);
    let hits = 0;
    let zeroTrue = 0;
    let oneFalse = 0;
    for (let i = 0; i < DRAWS; i++) {
      if (rng.chance(0)) zeroTrue++;
      if (!rng.chance(1)) oneFalse++;
      if (rng.chance(0.3)) hits++;
    }
    expect(zeroTrue).toBe(0);
    expect(oneFalse).toBe(0);
    expect(Math.abs(hits / DRAWS - 0.3)).toBeLessThan(0.007);
  });

  it('chance() consumes exactly one draw whatever p is', () => {
    const a = new Rng(13);
    a.chance(0);
    a.chance(1);
    const b = new Rng(13);
    b.next();
    b.next();
    expect(a.next()).toBe(b.next());
  });

  it('choice() picks every element and throws RangeError on an empty array', () => {
    const rng = new Rng(14, 'clients');
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(rng.choice(['a', 'b', 'c']));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    expect(() => rng.choice([])).toThrow(RangeError);
    expect(() => rng.choice([])).toThrow(/clients/);
  });

  it('shuffle() returns a permutation in a new array and leaves its input alone', () => {
    const rng = new Rng(15);
    const input = Object.freeze([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const out = rng.shuffle(input);
    expect(out).not.toBe(input);
    expect([...out].sort((a, b) => a - b)).toEqual([...input]);
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(out).not.toEqual(input); // 1/10! chance of identity; fixed seed, so this is exact
    expect(rng.shuffle([])).toEqual([]);
  });

  it('shuffle() makes every permutation of 3 about equally likely', () => {
    const rng = new Rng(16);
    const counts = new Map<string, number>();
    for (let i = 0; i < 60_000; i++) {
      const key = rng.shuffle(['a', 'b', 'c']).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c / 60_000 - 1 / 6)).toBeLessThan(0.01);
  });
});

describe('Rng.sample', () => {
  it('constant returns the value every time', () => {
    const rng = new Rng(20);
    for (let i = 0; i < 100; i++) expect(rng.sample({ kind: 'constant', value: 7.5 })).toBe(7.5);
  });

  it('uniform stays within [min, max)', () => {
    const rng = new Rng(21);
    let outside = 0;
    for (let i = 0; i < DRAWS; i++) {
      const x = rng.sample({ kind: 'uniform', min: 1, max: 3 });
      if (!(x >= 1 && x < 3)) outside++;
    }
    expect(outside).toBe(0);
  });

  it('pareto is always >= scale', () => {
    const rng = new Rng(22);
    const dist: Distribution = { kind: 'pareto', scale: 10, shape: 1.2 };
    let min = Infinity;
    for (let i = 0; i < DRAWS; i++) min = Math.min(min, rng.sample(dist));
    expect(min).toBeGreaterThanOrEqual(10);
  });

  it('normal with min clamps at min, and its sample mean matches distributionMean', () => {
    const rng = new Rng(23);
    const dist: Distribution = { kind: 'normal', mean: 1, stddev: 2, min: 0 };
    let clamped = 0;
    let sum = 0;
    let min = Infinity;
    for (let i = 0; i < DRAWS; i++) {
      const x = rng.sample(dist);
      min = Math.min(min, x);
      if (x === 0) clamped++;
      sum += x;
    }
    expect(min).toBe(0);
    expect(Math.abs(clamped / DRAWS - 0.3085)).toBeLessThan(0.007); // P(X < 0) = Φ(−0.5)
    expect(Math.abs(sum / DRAWS - distributionMean(dist))).toBeLessThan(0.025);
  });

  it('normal without min is not clamped', () => {
    const rng = new Rng(24);
    let negatives = 0;
    for (let i = 0; i < 1000; i++) if (rng.sample({ kind: 'normal', mean: 0, stddev: 1 }) < 0) negatives++;
    expect(negatives).toBeGreaterThan(400);
  });

  // Relative tolerances are about 5 standard errors of the mean (CV / sqrt(1e5)), so any healthy seed passes.
  const cases: Array<[string, Distribution, number]> = [
    ['constant', { kind: 'constant', value: 3 }, 0],
    ['uniform', { kind: 'uniform', min: 2, max: 8 }, 0.006],
    ['exponential', { kind: 'exponential', mean: 5 }, 0.016],
    ['normal', { kind: 'normal', mean: 20, stddev: 4 }, 0.004],
    ['normal with min', { kind: 'normal', mean: 2, stddev: 3, min: 0 }, 0.015],
    ['lognormal', { kind: 'lognormal', median: 10, sigma: 0.8 }, 0.015],
    ['pareto', { kind: 'pareto', scale: 1, shape: 3 }, 0.02],
  ];
  it.each(cases)('%s: sample mean over 1e5 draws is within tolerance of distributionMean', (name, dist, relTol) => {
    const rng = new Rng('means').fork(name);
    const mean = sampleMean(DRAWS, () => rng.sample(dist));
    const expected = distributionMean(dist);
    expect(Math.abs(mean / expected - 1)).toBeLessThanOrEqual(relTol);
  });

  it('sample() draws the same numbers as the matching methods', () => {
    const a = new Rng(25);
    const b = new Rng(25);
    expect(a.sample({ kind: 'exponential', mean: 5 })).toBe(b.exponential(5));
    expect(a.sample({ kind: 'uniform', min: 1, max: 2 })).toBe(b.uniform(1, 2));
    expect(a.sample({ kind: 'normal', mean: 5, stddev: 1 })).toBe(b.normal(5, 1));
    expect(a.sample({ kind: 'lognormal', median: 5, sigma: 1 })).toBe(b.lognormal(5, 1));
    expect(a.sample({ kind: 'pareto', scale: 5, shape: 2 })).toBe(b.pareto(5, 2));
  });
});

describe('validateDistribution', () => {
  const where = 'link a->b latency';
  const valid: Distribution[] = [
    { kind: 'constant', value: 0 },
    { kind: 'uniform', min: 3, max: 3 },
    { kind: 'exponential', mean: 5 },
    { kind: 'normal', mean: 5, stddev: 0 },
    { kind: 'normal', mean: 5, stddev: 1, min: 0 },
    { kind: 'lognormal', median: 5, sigma: 0 },
    { kind: 'pareto', scale: 1, shape: 0.5 },
  ];
  it.each(valid.map((d) => [describeDistribution(d), d] as const))('accepts %s', (_name, dist) => {
    expect(() => validateDistribution(dist, where)).not.toThrow();
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['negative constant', { kind: 'constant', value: -1 }, /value is negative/],
    ['negative uniform min', { kind: 'uniform', min: -1, max: 3 }, /min is negative/],
    ['uniform min > max', { kind: 'uniform', min: 5, max: 3 }, /min \(5\) is greater than max \(3\)/],
    ['negative exponential mean', { kind: 'exponential', mean: -5 }, /mean is negative/],
    ['negative normal mean', { kind: 'normal', mean: -1, stddev: 1 }, /mean is negative/],
    ['negative normal stddev', { kind: 'normal', mean: 5, stddev: -1 }, /stddev is negative/],
    ['negative normal min', { kind: 'normal', mean: 5, stddev: 1, min: -1 }, /min is negative/],
    ['negative lognormal median', { kind: 'lognormal', median: -1, sigma: 1 }, /median is negative/],
    ['negative lognormal sigma', { kind: 'lognormal', median: 5, sigma: -0.1 }, /sigma is negative/],
    ['negative pareto scale', { kind: 'pareto', scale: -1, shape: 2 }, /scale is negative/],
    ['zero pareto shape', { kind: 'pareto', scale: 1, shape: 0 }, /shape must be > 0/],
    ['negative pareto shape', { kind: 'pareto', scale: 1, shape: -2 }, /shape must be > 0/],
    ['NaN', { kind: 'exponential', mean: Number.NaN }, /mean must be a finite number, got NaN/],
    ['Infinity', { kind: 'uniform', min: 0, max: Infinity }, /max must be a finite number, got Infinity/],
    ['a string number', { kind: 'constant', value: '5' }, /value must be a finite number, got "5"/],
    ['a missing field', { kind: 'normal', mean: 5 }, /stddev must be a finite number, got undefined/],
    ['an unknown kind', { kind: 'gamma', shape: 2 }, /unknown distribution kind "gamma"/],
    ['null', null, /expected a distribution object, got null/],
  ];
  it.each(invalid)('rejects %s with a one-line ConfigError naming where', (_name, dist, problem) => {
    let error: unknown;
    try {
      validateDistribution(dist as Distribution, where);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const err = error as ConfigError;
    expect(err.name).toBe('ConfigError');
    expect(err.message.startsWith(`${where}: `)).toBe(true);
    expect(err.message).toMatch(problem);
    expect(err.message).not.toMatch(/[\r\n]/);
  });

  it('keeps the message on one line even if where contains a newline', () => {
    expect(() => validateDistribution({ kind: 'constant', value: -1 }, 'service x\nlatency')).toThrow(
      'service x latency: constant value is negative (-1); set value >= 0',
    );
  });
});

describe('distributionMean and describeDistribution', () => {
  it('computes means', () => {
    expect(distributionMean({ kind: 'constant', value: 4 })).toBe(4);
    expect(distributionMean({ kind: 'uniform', min: 1, max: 3 })).toBe(2);
    expect(distributionMean({ kind: 'exponential', mean: 5 })).toBe(5);
    expect(distributionMean({ kind: 'normal', mean: 5, stddev: 2 })).toBe(5);
    expect(distributionMean({ kind: 'normal', mean: 5, stddev: 0, min: 7 })).toBe(7);
    expect(distributionMean({ kind: 'normal', mean: 0, stddev: 1, min: 0 })).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 6);
    expect(distributionMean({ kind: 'normal', mean: 100, stddev: 1, min: 0 })).toBeCloseTo(100, 9);
    expect(distributionMean({ kind: 'lognormal', median: 10, sigma: 0 })).toBe(10);
    expect(distributionMean({ kind: 'lognormal', median: 10, sigma: 1 })).toBeCloseTo(10 * Math.exp(0.5), 12);
    expect(distributionMean({ kind: 'pareto', scale: 2, shape: 3 })).toBe(3);
    expect(distributionMean({ kind: 'pareto', scale: 2, shape: 1 })).toBe(Infinity);
    expect(distributionMean({ kind: 'pareto', scale: 2, shape: 0.5 })).toBe(Infinity);
  });

  it('describes distributions in short text', () => {
    expect(describeDistribution({ kind: 'constant', value: 5 })).toBe('5ms');
    expect(describeDistribution({ kind: 'uniform', min: 1, max: 3 })).toBe('uniform(1..3ms)');
    expect(describeDistribution({ kind: 'exponential', mean: 5 })).toBe('exp(mean 5ms)');
    expect(describeDistribution({ kind: 'exponential', mean: 0.1 + 0.2 })).toBe('exp(mean 0.3ms)');
    expect(describeDistribution({ kind: 'normal', mean: 5, stddev: 1 })).toBe('normal(mean 5ms, sd 1ms)');
    expect(describeDistribution({ kind: 'normal', mean: 5, stddev: 1, min: 0 })).toBe('normal(mean 5ms, sd 1ms, min 0ms)');
    expect(describeDistribution({ kind: 'lognormal', median: 5, sigma: 0.5 })).toBe('lognormal(median 5ms, sigma 0.5)');
    expect(describeDistribution({ kind: 'pareto', scale: 1, shape: 1.5 })).toBe('pareto(scale 1ms, shape 1.5)');
  });
});

describe('Rng properties', () => {
  it('for 200 seeds, draws are in [0,1) and the same seed reproduces the same first 50 draws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.string()), (seed) => {
        const first = draws(new Rng(seed), 50);
        expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
        expect(draws(new Rng(seed), 50)).toEqual(first);
      }),
      { numRuns: 200, seed: 20240601 },
    );
  });
});
