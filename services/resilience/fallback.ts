// The fallback policy: when an operation fails (with an error it is meant to handle), answer with a
// fallback value or the result of a fallback function instead — a cached price, a default page —
// or fail with an error that tells the caller what to do (an open circuit: try later).
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, errorMessage, RpcError } from '../../sim/engine/errors.ts';
import { FIRST_ATTEMPT, PolicyRun, type Attempt, type Operation, type Policy } from './policy.ts';

/** What a fallback policy needs from its node: NodeContext satisfies it. */
export type FallbackContext = Pick<NodeContext, 'emit'> & Partial<Pick<NodeContext, 'reportCaught'>>;

/**
 * Options of {@link FallbackPolicy}: exactly one of `value`, `fallback` and `failWith`. The fallback answer
 * stands in for the operation's, so it must be of the operation's type; the Policy contract is
 * generic per call, so this cannot be checked here.
 */
export interface FallbackOptions {
  /** The answer to give instead of a failure. */
  value?: unknown;
  /** Computes the answer from the failure (may be async, may throw its own error). */
  fallback?: (error: unknown, attempt: Attempt) => unknown;
  /**
   * Returns the error to fail with instead of the operation's, e.g. an open circuit's rejection
   * turned into "park and try later". The same as a `fallback` that throws it, without the cost of
   * a JavaScript `throw` (which is far more than the call's, and an outage makes them by the thousand).
   */
  failWith?: (error: unknown, attempt: Attempt) => unknown;
  /** Which failures to replace; others pass through. Default: every error. */
  shouldHandle?: (error: unknown) => boolean;
}

/**
 * Runs an operation and, if it fails with an error `shouldHandle` accepts, returns the fallback
 * (or fails with `failWith`'s error) instead and emits `fallback.used` (detail: the error's code or
 * message).
 */
export class FallbackPolicy implements Policy {
  readonly name = 'fallback';
  /** @internal The fallback answer's maker, unless the policy fails with `failWith`'s error instead. */
  readonly fallback: ((error: unknown, attempt: Attempt) => unknown) | undefined;
  /** @internal */
  readonly failWith: ((error: unknown, attempt: Attempt) => unknown) | undefined;
  private readonly shouldHandle: (error: unknown) => boolean;
  private usedCount = 0;

  constructor(
    private readonly ctx: FallbackContext,
    options: FallbackOptions,
  ) {
    const given = ('value' in options ? 1 : 0) + (options.fallback !== undefined ? 1 : 0) + (options.failWith !== undefined ? 1 : 0);
    if (given !== 1) throw new ConfigError('fallback: give exactly one of `value`, `fallback` and `failWith`');
    const value = options.value;
    this.failWith = options.failWith;
    this.fallback = options.failWith !== undefined ? undefined : (options.fallback ?? (() => value));
    this.shouldHandle = options.shouldHandle ?? (() => true);
  }

  /** Executions whose failure the policy replaced (by an answer, or by `failWith`'s error). */
  get used(): number {
    return this.usedCount;
  }

  /**
   * Runs `operation`; a handled failure is replaced by the fallback's answer. It settles as
   * `try { return await operation() } catch { …; return await fallback() }` in an async function
   * would, microtask for microtask, but a failure passes through without a JavaScript `throw`.
   */
  execute<T>(operation: Operation<T>, attempt: Attempt = FIRST_ATTEMPT): Promise<T> {
    const run = new FallbackRun<T>(this, attempt);
    let pending: Promise<T>;
    try {
      pending = operation(attempt);
    } catch (error) {
      run.recover(error);
      return run.promise;
    }
    Promise.resolve(pending).then(run.resolve, (error: unknown) => run.recover(error));
    return run.promise;
  }

  /** @internal True when `error` is one this policy replaces; then counts the use and says so. */
  takes(error: unknown): boolean {
    if (!this.shouldHandle(error)) return false;
    // Falling back must not hide a bug in the operation.
    this.ctx.reportCaught?.(error, 'fallback');
    this.usedCount++;
    this.ctx.emit('fallback.used', error instanceof RpcError ? error.code : errorMessage(error));
    return true;
  }
}

/** One execution under a fallback policy, settling the caller's promise. */
class FallbackRun<T> extends PolicyRun<T> {
  constructor(
    private readonly policy: FallbackPolicy,
    private readonly attempt: Attempt,
  ) {
    super();
  }

  /**
   * The operation failed: pass the error on, fail with `failWith`'s error, or answer with the
   * fallback's (one microtask after it, as `await` would).
   */
  recover(error: unknown): void {
    const policy = this.policy;
    let answer: unknown;
    try {
      if (!policy.takes(error)) {
        this.reject(error);
        return;
      }
      if (policy.fallback === undefined) {
        this.reject(policy.failWith!(error, this.attempt));
        return;
      }
      answer = policy.fallback(error, this.attempt);
    } catch (thrown) {
      this.reject(thrown);
      return;
    }
    Promise.resolve(answer as T).then(this.resolve, this.reject);
  }
}

/** Builds a {@link FallbackPolicy} on a node context. */
export function fallback(ctx: FallbackContext, options: FallbackOptions): FallbackPolicy {
  return new FallbackPolicy(ctx, options);
}
