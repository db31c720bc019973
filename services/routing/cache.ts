// A response cache with a time-to-live and a bound on entries (least recently used goes first),
// on whatever clock the caller passes: the gateway passes its node's clock.
import { ConfigError } from '../../sim/engine/errors.ts';

interface CacheEntry<V> {
  value: V;
  expiresAtMs: number;
}

/** Entries live until `storedAt + ttlMs` (exclusive): a read at exactly that time misses. */
export class TtlCache<V> {
  private readonly entries = new Map<string, CacheEntry<V>>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new ConfigError(`cache maxEntries is ${maxEntries}: use a whole number >= 1`);
    }
  }

  /** The value cached under `key`, or undefined when absent or expired (expired ones are dropped). */
  get(key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAtMs) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-inserted so the Map's order is least recently used first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Caches `value` for `ttlMs` from `nowMs`; returns the key evicted to make room, if any. */
  set(key: string, value: V, nowMs: number, ttlMs: number): string | undefined {
    let evicted: string | undefined;
    if (this.entries.has(key)) this.entries.delete(key);
    else if (this.entries.size >= this.maxEntries) {
      evicted = this.entries.keys().next().value!;
      this.entries.delete(evicted);
    }
    this.entries.set(key, { value, expiresAtMs: nowMs + ttlMs });
    return evicted;
  }

  /** Entries held (expired ones included until read or evicted). */
  get size(): number {
    return this.entries.size;
  }
}
