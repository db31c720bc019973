// Tests for bin/sweep-shard.ts: parsing --shard, the Kubernetes Indexed Job fallback, and that the
// shards of a range are disjoint and cover it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseShard, resolveShard, shardSeeds } from './sweep-shard.ts';
import { UsageError } from './cli-errors.ts';

describe('parseShard', () => {
  it('reads I/N, 1-based', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
  });

  it('refuses malformed and out-of-range shards with a usage error', () => {
    for (const text of ['0/4', '5/4', '2', 'a/b', '1/0', '-1/2', '1.5/3']) expect(() => parseShard(text)).toThrow(UsageError);
    expect(() => parseShard('5/4')).toThrow('--shard 5/4: the index must be between 1 and 4');
  });
});

describe('resolveShard', () => {
  it('takes --shard over the environment', () => {
    expect(resolveShard({ shard: '3/5' }, { JOB_COMPLETION_INDEX: '0', SIM_SHARD_COUNT: '2' })).toEqual({ index: 3, count: 5 });
  });

  it('maps the 0-based JOB_COMPLETION_INDEX to shard index+1, with the count from the flag or SIM_SHARD_COUNT', () => {
    expect(resolveShard({}, { JOB_COMPLETION_INDEX: '0', SIM_SHARD_COUNT: '4' })).toEqual({ index: 1, count: 4 });
    expect(resolveShard({ shardCount: '4' }, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 4, count: 4 });
  });

  it('is no shard when neither flag nor JOB_COMPLETION_INDEX is set', () => {
    expect(resolveShard({}, {})).toBeUndefined();
    expect(resolveShard({}, { SIM_SHARD_COUNT: '4' })).toBeUndefined();
  });

  it('refuses an index without a count, an index out of range, and a count without an index', () => {
    expect(() => resolveShard({}, { JOB_COMPLETION_INDEX: '1' })).toThrow(/shard count is not: pass --shard-count N or set SIM_SHARD_COUNT/);
    expect(() => resolveShard({}, { JOB_COMPLETION_INDEX: '4', SIM_SHARD_COUNT: '4' })).toThrow('JOB_COMPLETION_INDEX 4 is out of range for 4 shards (indexes 0..3)');
    expect(() => resolveShard({ shardCount: '4' }, {})).toThrow(/--shard-count needs JOB_COMPLETION_INDEX/);
    expect(() => resolveShard({ shard: '1/2', shardCount: '2' }, {})).toThrow(UsageError);
  });
});

describe('shardSeeds', () => {
  it('deals every N-th seed to a shard', () => {
    expect(shardSeeds({ first: 1, last: 10 }, { index: 1, count: 3 })).toEqual([1, 4, 7, 10]);
    expect(shardSeeds({ first: 1, last: 10 }, { index: 3, count: 3 })).toEqual([3, 6, 9]);
    expect(shardSeeds({ first: 5, last: 7 }, undefined)).toEqual([5, 6, 7]);
    expect(shardSeeds({ first: 1, last: 2 }, { index: 4, count: 4 })).toEqual([]);
  });

  it('cuts any range into disjoint shards that together cover it (property)', () => {
    fc.assert(
      fc.property(fc.nat(1_000), fc.nat(300), fc.integer({ min: 1, max: 12 }), (first, length, count) => {
        const range = { first, last: first + length };
        const shards = Array.from({ length: count }, (_, index) => shardSeeds(range, { index: index + 1, count }));
        const all = shards.flat().sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: length + 1 }, (_, offset) => first + offset));
        const sizes = shards.map((seeds) => seeds.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a range too large to hold in memory', () => {
    expect(() => shardSeeds({ first: 0, last: 2e9 }, undefined)).toThrow(/too many seeds/);
  });
});
