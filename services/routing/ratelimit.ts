// Token-bucket rate limiting on the virtual clock: one bucket per client key, refilled
// continuously at `refillPerSec`, up to `capacity`; a request takes one token or is refused.
import { ConfigError } from '../../sim/engine/errors.ts';

/** Token bucket settings. */
export interface TokenBucketOptions {
  /** Tokens a full bucket holds: the largest burst allowed. */
  capacity: number;
  /** Tokens added per second of clock time (fractions accumulate). */
  refillPerSec: number;
}

/** Throws ConfigError unless capacity >= 1 and refillPerSec >= 0. */
export function validateTokenBucket(options: TokenBucketOptions, where: string): void {
  if (!(options.capacity >= 1 && Number.isFinite(options.capacity))) {
    throw new ConfigError(`${where} capacity is ${options.capacity}: use a finite number of tokens >= 1`);
  }
  if (!(options.refillPerSec >= 0 && Number.isFinite(options.refillPerSec))) {
    throw new ConfigError(`${where} refillPerSec is ${options.refillPerSec}: use a finite rate >= 0`);
  }
}

/**
 * One bucket. Refill is computed lazily from elapsed time, so it costs nothing between requests
 * and is exact at any instant: after `1000 / refillPerSec` ms a drained bucket holds one token.
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly options: TokenBucketOptions,
    nowMs: number,
  ) {
    this.tokens = options.capacity;
    this.updatedMs = nowMs;
  }

  /** Tokens available at `nowMs` (fractional). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /** Takes one token at `nowMs` if there is a whole one; false means rate-limited. */
  tryTake(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(nowMs: number): void {
    const elapsedMs = nowMs - this.updatedMs;
    // A clock stepped back (skew change) must not drain the bucket.
    if (elapsedMs <= 0) return;
    this.updatedMs = nowMs;
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsedMs * this.options.refillPerSec) / 1000);
  }
}

/** Per-client limiter settings. */
export interface RateLimiterOptions extends TokenBucketOptions {
  /** Buckets kept at most; the least recently used is dropped (it comes back full). Default 10000. */
  maxClients?: number;
}

const DEFAULT_MAX_CLIENTS = 10_000;

/** Throws ConfigError unless the bucket settings and maxClients are possible. */
export function validateRateLimiter(options: RateLimiterOptions): void {
  validateTokenBucket(options, 'rate limit');
  const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  if (!Number.isInteger(maxClients) || maxClients < 1) {
    throw new ConfigError(`rate limit maxClients is ${maxClients}: use a whole number >= 1`);
  }
}

/** A token bucket per client key, with bounded memory. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly maxClients: number;

  constructor(private readonly options: RateLimiterOptions) {
    validateRateLimiter(options);
    this.maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  }

  /** Takes a token from `clientKey`'s bucket at `nowMs`; false means rate-limited. */
  tryTake(clientKey: string, nowMs: number): boolean {
    let bucket = this.buckets.get(clientKey);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.options, nowMs);
      if (this.buckets.size >= this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
    } else {
      // Re-inserted so the Map's order is least recently used first.
      this.buckets.delete(clientKey);
    }
    this.buckets.set(clientKey, bucket);
    return bucket.tryTake(nowMs);
  }

  /** Tokens `clientKey` has at `nowMs` (capacity for an unseen client). */
  available(clientKey: string, nowMs: number): number {
    return this.buckets.get(clientKey)?.available(nowMs) ?? this.options.capacity;
  }

  /** Clients with a bucket. */
  get clients(): number {
    return this.buckets.size;
  }
}
