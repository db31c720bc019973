import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RateLimiter, TokenBucket } from './ratelimit.ts';

describe('token bucket', () => {
  it('starts full, drains one token per take, and refills continuously up to capacity', () => {
    const bucket = new TokenBucket({ capacity: 3, refillPerSec: 4 }, 0);
    expect([bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0)]).toEqual([true, true, true, false]);
    expect(bucket.available(125)).toBe(0.5);
    expect(bucket.tryTake(249)).toBe(false);
    expect(bucket.tryTake(250)).toBe(true);
    expect(bucket.available(10_000)).toBe(3);
  });

  it('never refills from a clock that steps back', () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSec: 1 }, 1000);
    expect(bucket.tryTake(1000)).toBe(true);
    expect(bucket.tryTake(500)).toBe(false);
    expect(bucket.available(1999)).toBeCloseTo(0.999, 9);
  });

  it('admits at most capacity + refillPerSec × elapsed seconds, for any arrival times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 200 }),
        (capacity, refillPerSec, offsets) => {
          const times = [...offsets].sort((a, b) => a - b);
          const bucket = new TokenBucket({ capacity, refillPerSec }, 0);
          let admitted = 0;
          for (const atMs of times) if (bucket.tryTake(atMs)) admitted++;
          const lastMs = times.length > 0 ? times[times.length - 1]! : 0;
          return admitted <= capacity + (refillPerSec * lastMs) / 1000 + 1e-9;
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('rate limiter', () => {
  it('keeps one bucket per client', () => {
    const limiter = new RateLimiter({ capacity: 1, refillPerSec: 0 });
    expect([limiter.tryTake('a', 0), limiter.tryTake('a', 0), limiter.tryTake('b', 0)]).toEqual([true, false, true]);
    expect(limiter.available('a', 0)).toBe(0);
    expect(limiter.available('never-seen', 0)).toBe(1);
  });

  it('bounds its memory by dropping the least recently used bucket, which comes back full', () => {
    const limiter = new RateLimiter({ capacity: 1, refillPerSec: 0, maxClients: 2 });
    limiter.tryTake('a', 0);
    limiter.tryTake('b', 0);
    limiter.tryTake('a', 0); // a is now the most recently used
    limiter.tryTake('c', 0); // evicts b
    expect(limiter.clients).toBe(2);
    expect(limiter.tryTake('b', 0)).toBe(true);
    expect(limiter.tryTake('c', 0)).toBe(false);
  });

  it('rejects impossible settings with one-line configuration errors', () => {
    expect(() => new RateLimiter({ capacity: 0.5, refillPerSec: 1 })).toThrow('rate limit capacity is 0.5: use a finite number of tokens >= 1');
    expect(() => new RateLimiter({ capacity: 1, refillPerSec: -1 })).toThrow(/refillPerSec is -1/);
    expect(() => new RateLimiter({ capacity: 1, refillPerSec: 1, maxClients: 0 })).toThrow(/maxClients is 0/);
  });
});
