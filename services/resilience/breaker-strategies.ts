// Trigger strategies for the circuit breaker: when a closed breaker should open, judged from the
// outcomes of finished calls. Windows are ring buffers on typed arrays, so recording never allocates.
import { ConfigError } from '../../sim/engine/errors.ts';

/**
 * Decides when a closed breaker opens. The breaker feeds it every call that finished while closed;
 * it keeps its own window and answers "open now?". One instance belongs to one breaker.
 */
export interface BreakerStrategy {
  /** Short description for reports, e.g. `5 consecutive failures`. */
  readonly description: string;
  /**
   * Records one finished call. `failed` is the breaker's `isFailure` verdict, `slow` whether it
   * took longer than the breaker's `slowCallDurationMs`; `nowMs` is the node's clock when it ended.
   * Returns true when the breaker should open.
   */
  record(failed: boolean, slow: boolean, nowMs: number): boolean;
  /** Forgets every recorded call: the breaker closed, or was reset. */
  reset(): void;
  /**
   * Called once by the breaker that takes this strategy. Built-in strategies throw a ConfigError
   * on a second claim, because two breakers sharing one window would mix their outcomes.
   */
  claim?(): void;
}

/** Shared by the built-in strategies: the single-owner guard. */
abstract class OwnedStrategy {
  private claimed = false;

  claim(): void {
    if (this.claimed) {
      throw new ConfigError(`breaker strategy '${this.describe()}' is already used by another breaker: create one strategy per breaker`);
    }
    this.claimed = true;
  }

  protected abstract describe(): string;
}

/** Options of {@link ConsecutiveFailureStrategy}. */
export interface ConsecutiveFailureOptions {
  /** Open after this many failures in a row (a success resets the count). Default 5. */
  failureThreshold?: number;
}

/** Opens after `failureThreshold` failures in a row, like cockatiel's `ConsecutiveBreaker`. */
export class ConsecutiveFailureStrategy extends OwnedStrategy implements BreakerStrategy {
  readonly failureThreshold: number;
  private consecutiveFailures = 0;

  constructor(options: ConsecutiveFailureOptions = {}) {
    super();
    this.failureThreshold = options.failureThreshold ?? 5;
    requireWhole(this.failureThreshold, 1, 'consecutive-failure strategy: failureThreshold');
  }

  get description(): string {
    return this.describe();
  }

  protected describe(): string {
    return `${this.failureThreshold} consecutive failures`;
  }

  record(failed: boolean): boolean {
    if (!failed) {
      this.consecutiveFailures = 0;
      return false;
    }
    this.consecutiveFailures++;
    return this.consecutiveFailures >= this.failureThreshold;
  }

  reset(): void {
    this.consecutiveFailures = 0;
  }
}

/** Rate thresholds shared by the window strategies (resilience4j's failure and slow-call rates). */
export interface RateThresholds {
  /** Open when failed calls / calls in the window reach this fraction, in (0, 1]; `Infinity` turns it off. Default 0.5. */
  failureRateThreshold?: number;
  /**
   * Open when slow calls / calls in the window reach this fraction, in (0, 1]; `Infinity` turns it
   * off. A call is slow when it takes longer than the breaker's `slowCallDurationMs`. Default 1
   * (every call in the window slow), which never fires while `slowCallDurationMs` is left infinite.
   */
  slowCallRateThreshold?: number;
}

/** Options of {@link CountWindowStrategy}. */
export interface CountWindowOptions extends RateThresholds {
  /** The window holds the last this many calls. Default 100. */
  windowSize?: number;
  /** Rates are not evaluated until the window holds this many calls (<= windowSize). Default windowSize. */
  minimumCalls?: number;
}

const FAILED = 1;
const SLOW = 2;

/** Failure and slow-call rates over the last `windowSize` calls (resilience4j's COUNT_BASED window). */
export class CountWindowStrategy extends OwnedStrategy implements BreakerStrategy {
  readonly windowSize: number;
  readonly minimumCalls: number;
  readonly failureRateThreshold: number;
  readonly slowCallRateThreshold: number;
  /** Outcome flags (FAILED | SLOW) of the last `windowSize` calls, oldest at `next` once full. */
  private readonly outcomes: Uint8Array;
  private next = 0;
  private calls = 0;
  private failures = 0;
  private slowCalls = 0;

  constructor(options: CountWindowOptions = {}) {
    super();
    this.windowSize = options.windowSize ?? 100;
    requireWhole(this.windowSize, 1, 'count-window strategy: windowSize');
    this.minimumCalls = options.minimumCalls ?? this.windowSize;
    requireWhole(this.minimumCalls, 1, 'count-window strategy: minimumCalls');
    if (this.minimumCalls > this.windowSize) {
      throw new ConfigError(`count-window strategy: minimumCalls ${this.minimumCalls} exceeds windowSize ${this.windowSize}; set minimumCalls <= windowSize`);
    }
    this.failureRateThreshold = rateThreshold(options.failureRateThreshold, 0.5, 'count-window strategy: failureRateThreshold');
    this.slowCallRateThreshold = rateThreshold(options.slowCallRateThreshold, 1, 'count-window strategy: slowCallRateThreshold');
    this.outcomes = new Uint8Array(this.windowSize);
  }

  get description(): string {
    return this.describe();
  }

  protected describe(): string {
    return `rates over the last ${this.windowSize} calls (failure ${this.failureRateThreshold}, slow ${this.slowCallRateThreshold}, min ${this.minimumCalls})`;
  }

  record(failed: boolean, slow: boolean): boolean {
    const slot = this.next;
    if (this.calls === this.windowSize) {
      const evicted = this.outcomes[slot] as number;
      if (evicted & FAILED) this.failures--;
      if (evicted & SLOW) this.slowCalls--;
    } else {
      this.calls++;
    }
    this.outcomes[slot] = (failed ? FAILED : 0) | (slow ? SLOW : 0);
    if (failed) this.failures++;
    if (slow) this.slowCalls++;
    this.next = slot + 1 === this.windowSize ? 0 : slot + 1;
    return exceeds(this.calls, this.failures, this.slowCalls, this.minimumCalls, this.failureRateThreshold, this.slowCallRateThreshold);
  }

  reset(): void {
    this.outcomes.fill(0);
    this.next = 0;
    this.calls = 0;
    this.failures = 0;
    this.slowCalls = 0;
  }
}

/** Options of {@link TimeWindowStrategy}. */
export interface TimeWindowOptions extends RateThresholds {
  /** The window covers the calls that ended in the last this many ms (node clock). Default 10 000. */
  windowMs?: number;
  /** The window is kept as this many buckets of windowMs/buckets each; calls age out a bucket at a time. Default 10. */
  buckets?: number;
  /** Rates are not evaluated until the window holds this many calls. Default 100. */
  minimumCalls?: number;
}

/**
 * Failure and slow-call rates over the calls that ended in the last `windowMs` (resilience4j's
 * TIME_BASED window). The window is `buckets` buckets of `windowMs / buckets`: a call counts from
 * the bucket it ended in until that bucket is `buckets` buckets old.
 */
export class TimeWindowStrategy extends OwnedStrategy implements BreakerStrategy {
  readonly windowMs: number;
  readonly buckets: number;
  readonly bucketMs: number;
  readonly minimumCalls: number;
  readonly failureRateThreshold: number;
  readonly slowCallRateThreshold: number;
  /** Bucket number (floor(timeMs / bucketMs)) each slot currently counts for; -Infinity when empty. */
  private readonly bucketNumbers: Float64Array;
  private readonly bucketCalls: Int32Array;
  private readonly bucketFailures: Int32Array;
  private readonly bucketSlowCalls: Int32Array;
  /** The newest bucket number seen: a clock that steps back (skew) still counts in it. */
  private newestBucket = -Infinity;
  private calls = 0;
  private failures = 0;
  private slowCalls = 0;

  constructor(options: TimeWindowOptions = {}) {
    super();
    this.windowMs = options.windowMs ?? 10_000;
    if (!(this.windowMs > 0 && Number.isFinite(this.windowMs))) {
      throw new ConfigError(`time-window strategy: windowMs is ${this.windowMs}; use a finite number of ms > 0`);
    }
    this.buckets = options.buckets ?? 10;
    requireWhole(this.buckets, 1, 'time-window strategy: buckets');
    this.bucketMs = this.windowMs / this.buckets;
    this.minimumCalls = options.minimumCalls ?? 100;
    requireWhole(this.minimumCalls, 1, 'time-window strategy: minimumCalls');
    this.failureRateThreshold = rateThreshold(options.failureRateThreshold, 0.5, 'time-window strategy: failureRateThreshold');
    this.slowCallRateThreshold = rateThreshold(options.slowCallRateThreshold, 1, 'time-window strategy: slowCallRateThreshold');
    this.bucketNumbers = new Float64Array(this.buckets).fill(-Infinity);
    this.bucketCalls = new Int32Array(this.buckets);
    this.bucketFailures = new Int32Array(this.buckets);
    this.bucketSlowCalls = new Int32Array(this.buckets);
  }

  get description(): string {
    return this.describe();
  }

  protected describe(): string {
    return `rates over the last ${this.windowMs}ms (failure ${this.failureRateThreshold}, slow ${this.slowCallRateThreshold}, min ${this.minimumCalls})`;
  }

  record(failed: boolean, slow: boolean, nowMs: number): boolean {
    let bucket = Math.floor(nowMs / this.bucketMs);
    if (bucket > this.newestBucket) {
      this.expireBefore(bucket - this.buckets + 1);
      this.newestBucket = bucket;
    } else {
      bucket = this.newestBucket;
    }
    const n = this.buckets;
    const slot = ((bucket % n) + n) % n;
    if (this.bucketNumbers[slot] !== bucket) {
      this.clearSlot(slot);
      this.bucketNumbers[slot] = bucket;
    }
    (this.bucketCalls[slot] as number)++;
    this.calls++;
    if (failed) {
      (this.bucketFailures[slot] as number)++;
      this.failures++;
    }
    if (slow) {
      (this.bucketSlowCalls[slot] as number)++;
      this.slowCalls++;
    }
    return exceeds(this.calls, this.failures, this.slowCalls, this.minimumCalls, this.failureRateThreshold, this.slowCallRateThreshold);
  }

  /** Calls in the window as of the last recorded call (for tests and reports). */
  get callsInWindow(): number {
    return this.calls;
  }

  reset(): void {
    for (let slot = 0; slot < this.buckets; slot++) this.clearSlot(slot);
    this.newestBucket = -Infinity;
  }

  private expireBefore(oldestKeptBucket: number): void {
    for (let slot = 0; slot < this.buckets; slot++) {
      if ((this.bucketNumbers[slot] as number) < oldestKeptBucket) this.clearSlot(slot);
    }
  }

  private clearSlot(slot: number): void {
    this.calls -= this.bucketCalls[slot] as number;
    this.failures -= this.bucketFailures[slot] as number;
    this.slowCalls -= this.bucketSlowCalls[slot] as number;
    this.bucketCalls[slot] = 0;
    this.bucketFailures[slot] = 0;
    this.bucketSlowCalls[slot] = 0;
    this.bucketNumbers[slot] = -Infinity;
  }
}

/** True when enough calls were seen and either rate reached its threshold. */
function exceeds(
  calls: number,
  failures: number,
  slowCalls: number,
  minimumCalls: number,
  failureRateThreshold: number,
  slowCallRateThreshold: number,
): boolean {
  if (calls < minimumCalls) return false;
  // Divide rather than multiply the threshold: 3/10 rounds to the same double as 0.3, 0.3*10 does not.
  return failures / calls >= failureRateThreshold || slowCalls / calls >= slowCallRateThreshold;
}

function requireWhole(value: number, min: number, what: string): void {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${what} is ${value}; use a whole number >= ${min}`);
}

function rateThreshold(value: number | undefined, fallback: number, what: string): number {
  const resolved = value ?? fallback;
  if (resolved === Infinity || (resolved > 0 && resolved <= 1)) return resolved;
  throw new ConfigError(`${what} is ${resolved}; use a fraction in (0, 1], or Infinity to turn this trigger off`);
}
