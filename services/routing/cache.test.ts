import { describe, expect, it } from 'vitest';
import { TtlCache } from './cache.ts';

describe('ttl cache', () => {
  it('hits before storedAt + ttl and misses from that instant on', () => {
    const cache = new TtlCache<string>(10);
    cache.set('k', 'v', 100, 50);
    expect(cache.get('k', 149)).toBe('v');
    expect(cache.get('k', 150)).toBeUndefined();
    // The expired entry was dropped on read.
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry when full and says which', () => {
    const cache = new TtlCache<number>(2);
    expect(cache.set('a', 1, 0, 100)).toBeUndefined();
    expect(cache.set('b', 2, 0, 100)).toBeUndefined();
    cache.get('a', 1);
    expect(cache.set('c', 3, 2, 100)).toBe('b');
    expect(cache.set('a', 4, 3, 100)).toBeUndefined(); // overwrite, no eviction
    expect([cache.get('a', 4), cache.get('b', 4), cache.get('c', 4)]).toEqual([4, undefined, 3]);
  });

  it('rejects a size below one', () => {
    expect(() => new TtlCache(0)).toThrow('cache maxEntries is 0: use a whole number >= 1');
  });
});
