// The retry policy: exponential backoff with jitter drawn from the node's random stream, a retry
// budget that keeps retries a bounded share of traffic, and respect for the attempt's deadline.
import type { NodeContext } from '../../sim/world/context.ts';
import type { Rng } from '../../sim/engine/rng.ts';
import { ConfigError, errorMessage, isTransientRpcError, RpcError } from '../../sim/engine/errors.ts';
import { FIRST_ATTEMPT, PolicyRun, type Attempt, type Operation, type Policy } from './policy.ts';
import { isBrokenCircuitError } from './breaker.ts';
import { registerTimelineKinds } from '../../sim/harness/timeline.ts';

// Retries go on the run's timeline and into trace exports.
registerTimelineKinds('retry.attempt', 'retry.budget-exhausted', 'retry.deadline');

/**
 * How the backoff delay is randomised, as defined in the AWS Architecture Blog post "Exponential
 * Backoff And Jitter" (Brooker, 2015), with `exp = min(maxDelayMs, baseDelayMs × multiplier^(n-1))`
 * for the n-th retry:
 * - `none`: `exp`;
 * - `full`: uniform in [0, exp);
 * - `equal`: exp/2 + uniform in [0, exp/2);
 * - `decorrelated`: `min(maxDelayMs, uniform in [baseDelayMs, previous × 3))`, previous starting
 *   at baseDelayMs (this mode ignores `multiplier`, as the post defines it).
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

/** What a retry policy needs from its node: NodeContext satisfies it. */
export type RetryContext = Pick<NodeContext, 'now' | 'remainingMs' | 'stream' | 'emit' | 'sleep'>;

/** Options of {@link RetryPolicy}; every field has a documented default. */
export interface RetryOptions {
  /** Attempts in all, the first included (>= 1). Default 3. */
  maxAttempts?: number;
  /** Backoff before the first retry (before jitter), in ms. Default 100. */
  baseDelayMs?: number;
  /** Cap on any backoff delay, in ms. Default 10 000. */
  maxDelayMs?: number;
  /** Growth of the backoff per retry (>= 1). Default 2. */
  multiplier?: number;
  /** Jitter mode. Default `full`. */
  jitter?: Jitter;
  /** Which errors are worth retrying. Default `isTransientRpcError`: never bad-request, not-found & co. */
  isRetryable?: (error: unknown) => boolean;
  /** Shared cap on retries as a share of requests. Default none: every retryable error is retried. */
  budget?: RetryBudget;
}

/** Options after defaults were filled in. */
export interface ResolvedRetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  jitter: Jitter;
  isRetryable: (error: unknown) => boolean;
  budget: RetryBudget | undefined;
}

/** Counters since the policy was built. */
export interface RetryStats {
  /** Executions (first attempts). */
  executions: number;
  /** Retries started (attempts after the first). */
  retries: number;
  /** Executions that gave up because the budget was spent. */
  budgetExhausted: number;
  /** Executions that gave up because the next attempt would start past the deadline. */
  deadlineReached: number;
}

/**
 * Runs an operation up to `maxAttempts` times, sleeping a jittered exponential backoff between
 * attempts. Gives up with the last error when the error is not retryable, the attempts are used
 * up, the budget is spent (`retry.budget-exhausted`) or the next attempt could only start at or
 * after `attempt.deadlineMs` (`retry.deadline`). Each retry emits `retry.attempt`.
 */
export class RetryPolicy implements Policy {
  readonly name = 'retry';
  readonly options: ResolvedRetryOptions;
  private executions = 0;
  private retries = 0;
  private budgetExhausted = 0;
  private deadlineReached = 0;
  /** The back-off jitter's own stream. */
  private readonly rng: Rng;

  constructor(
    private readonly ctx: RetryContext,
    options: RetryOptions = {},
  ) {
    this.options = resolveRetryOptions(options);
    this.rng = ctx.stream('retry');
  }

  /** A snapshot of the counters. */
  stats(): RetryStats {
    return { executions: this.executions, retries: this.retries, budgetExhausted: this.budgetExhausted, deadlineReached: this.deadlineReached };
  }

  /**
   * Runs `operation` as attempt 1, 2…; resolves with the first success or rejects with the last
   * error. It settles as the loop `try { return await operation() } catch { …; await sleep() }` of
   * an async function would, microtask for microtask, but a failure it gives up on passes through
   * without a JavaScript `throw` (see CircuitBreaker.execute).
   */
  execute<T>(operation: Operation<T>, attempt: Attempt = FIRST_ATTEMPT): Promise<T> {
    const deadlineMs = attempt.deadlineMs;
    this.executions++;
    const run = new RetryRun(this, operation, deadlineMs);
    try {
      this.options.budget?.recordRequest(this.ctx.now());
    } catch (error) {
      run.reject(error);
      return run.promise;
    }
    run.run(1);
    return run.promise;
  }

  /**
   * @internal After attempt `number` failed with `error`: the delay before the next attempt, or
   * undefined to give up (and the reason is counted and emitted here).
   */
  nextDelayMs(error: unknown, number: number, previousDelayMs: number, deadlineMs: number | undefined): number | undefined {
    const { ctx, options } = this;
    if (!options.isRetryable(error) || number >= options.maxAttempts) return undefined;
    const delayMs = this.backoffMs(number, previousDelayMs);
    const nowMs = ctx.now();
    // Compared as time left, not against the skewable node clock: deadlines are true time.
    if (deadlineMs !== undefined && delayMs >= ctx.remainingMs(deadlineMs)) {
      this.deadlineReached++;
      ctx.emit('retry.deadline', `attempt ${number + 1} would start after ${delayMs}ms, only ${ctx.remainingMs(deadlineMs)}ms left`);
      return undefined;
    }
    if (options.budget && !options.budget.tryWithdraw(nowMs)) {
      this.budgetExhausted++;
      ctx.emit('retry.budget-exhausted', `attempt ${number + 1} refused: ${describeError(error)}`);
      return undefined;
    }
    this.retries++;
    ctx.emit('retry.attempt', `attempt ${number + 1} in ${delayMs}ms after ${describeError(error)}`);
    return delayMs;
  }

  /** @internal The node's sleep, for the wait between attempts. */
  sleep(delayMs: number): Promise<void> {
    return this.ctx.sleep(delayMs);
  }

  /** The backoff before retry number `retry` (1 = first retry), drawing jitter from the retry's own stream. */
  private backoffMs(retry: number, previousDelayMs: number): number {
    const { baseDelayMs, maxDelayMs, multiplier, jitter } = this.options;
    const rng = this.rng;
    if (jitter === 'decorrelated') return Math.min(maxDelayMs, rng.uniform(baseDelayMs, previousDelayMs * 3));
    const exponentialMs = Math.min(maxDelayMs, baseDelayMs * multiplier ** (retry - 1));
    if (jitter === 'full') return rng.uniform(0, exponentialMs);
    if (jitter === 'equal') return exponentialMs / 2 + rng.uniform(0, exponentialMs / 2);
    return exponentialMs;
  }
}

/** One execution under a retry policy: its attempts, one after another, and the caller's promise. */
class RetryRun<T> extends PolicyRun<T> {
  /** The last backoff, which decorrelated jitter grows from. */
  private previousDelayMs: number;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly operation: Operation<T>,
    private readonly deadlineMs: number | undefined,
  ) {
    super();
    this.previousDelayMs = policy.options.baseDelayMs;
  }

  /** Starts attempt `number`; settles the caller one microtask after its answer, as `await` would. */
  run(number: number): void {
    let pending: Promise<T>;
    try {
      pending = this.operation({ attempt: number, deadlineMs: this.deadlineMs });
    } catch (error) {
      this.failed(error, number);
      return;
    }
    Promise.resolve(pending).then(this.resolve, (error: unknown) => this.failed(error, number));
  }

  /** Attempt `number` failed: give up with its error, or sleep and start the next one. */
  private failed(error: unknown, number: number): void {
    let slept: Promise<void>;
    try {
      const delayMs = this.policy.nextDelayMs(error, number, this.previousDelayMs, this.deadlineMs);
      if (delayMs === undefined) {
        this.reject(error);
        return;
      }
      this.previousDelayMs = delayMs;
      slept = this.policy.sleep(delayMs);
    } catch (thrown) {
      this.reject(thrown); // a custom isRetryable threw: the execution fails with its error
      return;
    }
    Promise.resolve(slept).then(() => this.run(number + 1), this.reject);
  }
}

/** Builds a {@link RetryPolicy} on a node context. */
export function retry(ctx: RetryContext, options: RetryOptions = {}): RetryPolicy {
  return new RetryPolicy(ctx, options);
}

/** Fills defaults and validates; throws a one-line ConfigError naming the bad option. */
export function resolveRetryOptions(options: RetryOptions): ResolvedRetryOptions {
  const maxAttempts = options.maxAttempts ?? 3;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
    throw new ConfigError(`retry: maxAttempts is ${maxAttempts}; use a whole number >= 1 (the first attempt included)`);
  }
  const baseDelayMs = options.baseDelayMs ?? 100;
  if (!(baseDelayMs >= 0 && Number.isFinite(baseDelayMs))) throw new ConfigError(`retry: baseDelayMs is ${baseDelayMs}; use a finite number of ms >= 0`);
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  if (!(maxDelayMs >= baseDelayMs && Number.isFinite(maxDelayMs))) {
    throw new ConfigError(`retry: maxDelayMs is ${maxDelayMs}; use a finite number of ms >= baseDelayMs (${baseDelayMs})`);
  }
  const multiplier = options.multiplier ?? 2;
  if (!(multiplier >= 1 && Number.isFinite(multiplier))) throw new ConfigError(`retry: multiplier is ${multiplier}; use a finite number >= 1`);
  const jitter = options.jitter ?? 'full';
  if (!JITTERS.includes(jitter)) throw new ConfigError(`retry: jitter is '${String(jitter)}'; use one of ${JITTERS.join(', ')}`);
  return { maxAttempts, baseDelayMs, maxDelayMs, multiplier, jitter, isRetryable: options.isRetryable ?? isRetryableByDefault, budget: options.budget };
}

const JITTERS: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];

/** Options of {@link RetryBudget}; every field has a documented default (Finagle's). */
export interface RetryBudgetOptions {
  /** Retries may add at most this fraction of the requests seen in the window (>= 0). Default 0.2. */
  budgetRatio?: number;
  /** Retries always allowed regardless of traffic, per second of window (>= 0). Default 10. */
  minRetriesPerSec?: number;
  /** The window over which requests and retries are counted, in ms. Default 10 000. */
  windowMs?: number;
}

/** Buckets a budget window is kept in; requests and retries leave the window a bucket at a time. */
const BUDGET_BUCKETS = 10;

/**
 * A retry budget (Finagle's RetryBudget, Envoy's retry_budget): over the last `windowMs`,
 * retries ≤ minRetriesPerSec × windowMs/1000 + budgetRatio × requests. It bounds the extra load
 * retries put on a struggling dependency, which turns a retry storm into fast failures. One budget
 * may be shared by several retry policies (all routes to one dependency). Clock values come from
 * the callers, so it needs no context.
 */
export class RetryBudget {
  readonly budgetRatio: number;
  readonly minRetriesPerSec: number;
  readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly bucketNumbers = new Float64Array(BUDGET_BUCKETS).fill(-Infinity);
  private readonly bucketRequests = new Float64Array(BUDGET_BUCKETS);
  private readonly bucketRetries = new Float64Array(BUDGET_BUCKETS);
  private newestBucket = -Infinity;
  private requests = 0;
  private retries = 0;

  constructor(options: RetryBudgetOptions = {}) {
    this.budgetRatio = options.budgetRatio ?? 0.2;
    if (!(this.budgetRatio >= 0 && Number.isFinite(this.budgetRatio))) {
      throw new ConfigError(`retry budget: budgetRatio is ${this.budgetRatio}; use a finite fraction >= 0 (0.2 lets retries add 20% load)`);
    }
    this.minRetriesPerSec = options.minRetriesPerSec ?? 10;
    if (!(this.minRetriesPerSec >= 0 && Number.isFinite(this.minRetriesPerSec))) {
      throw new ConfigError(`retry budget: minRetriesPerSec is ${this.minRetriesPerSec}; use a finite number >= 0`);
    }
    this.windowMs = options.windowMs ?? 10_000;
    if (!(this.windowMs > 0 && Number.isFinite(this.windowMs))) {
      throw new ConfigError(`retry budget: windowMs is ${this.windowMs}; use a finite number of ms > 0`);
    }
    this.bucketMs = this.windowMs / BUDGET_BUCKETS;
  }

  /** Retries the window allows right now (its balance may be fractional). */
  get allowedRetries(): number {
    return (this.minRetriesPerSec * this.windowMs) / 1000 + this.budgetRatio * this.requests;
  }

  /** Requests counted in the window as of the last call. */
  get requestsInWindow(): number {
    return this.requests;
  }

  /** Retries counted in the window as of the last call. */
  get retriesInWindow(): number {
    return this.retries;
  }

  /** Counts one request (a first attempt) at `nowMs`. */
  recordRequest(nowMs: number): void {
    const slot = this.slotFor(nowMs);
    (this.bucketRequests[slot] as number)++;
    this.requests++;
  }

  /** Takes one retry from the budget at `nowMs`; false (and nothing taken) when it is spent. */
  tryWithdraw(nowMs: number): boolean {
    const slot = this.slotFor(nowMs);
    if (this.retries + 1 > this.allowedRetries) return false;
    (this.bucketRetries[slot] as number)++;
    this.retries++;
    return true;
  }

  /** Advances the window to `nowMs` (dropping buckets that left it) and returns the current slot. */
  private slotFor(nowMs: number): number {
    let bucket = Math.floor(nowMs / this.bucketMs);
    if (bucket > this.newestBucket) {
      const oldestKept = bucket - BUDGET_BUCKETS + 1;
      for (let slot = 0; slot < BUDGET_BUCKETS; slot++) if ((this.bucketNumbers[slot] as number) < oldestKept) this.clearSlot(slot);
      this.newestBucket = bucket;
    } else {
      bucket = this.newestBucket; // a clock that stepped back (skew) still counts in the newest bucket
    }
    const slot = ((bucket % BUDGET_BUCKETS) + BUDGET_BUCKETS) % BUDGET_BUCKETS;
    if (this.bucketNumbers[slot] !== bucket) {
      this.clearSlot(slot);
      this.bucketNumbers[slot] = bucket;
    }
    return slot;
  }

  private clearSlot(slot: number): void {
    this.requests -= this.bucketRequests[slot] as number;
    this.retries -= this.bucketRetries[slot] as number;
    this.bucketRequests[slot] = 0;
    this.bucketRetries[slot] = 0;
    this.bucketNumbers[slot] = -Infinity;
  }
}

function describeError(error: unknown): string {
  return error instanceof RpcError ? error.code : errorMessage(error);
}

/**
 * Transient RPC errors, except an open circuit's fast rejection: retrying straight into an open
 * breaker only burns the retry budget (wrap(retry, breaker) would otherwise do exactly that).
 */
export function isRetryableByDefault(error: unknown): boolean {
  return isTransientRpcError(error) && !isBrokenCircuitError(error);
}
