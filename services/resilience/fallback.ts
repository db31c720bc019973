// The fallback policy: when an operation fails (with an error it is meant to handle), answer with a
// fallback value or the result of a fallback function instead — a cached price, a default page.
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, errorMessage, RpcError } from '../../sim/engine/errors.ts';
import { FIRST_ATTEMPT, type Attempt, type Operation, type Policy } from './policy.ts';

/** What a fallback policy needs from its node: NodeContext satisfies it. */
export type FallbackContext = Pick<NodeContext, 'emit'> & Partial<Pick<NodeContext, 'reportCaught'>>;

/**
 * Options of {@link FallbackPolicy}: exactly one of `value` and `fallback`. The fallback answer
 * stands in for the operation's, so it must be of the operation's type; the Policy contract is
 * generic per call, so this cannot be checked here.
 */
export interface FallbackOptions {
  /** The answer to give instead of a failure. */
  value?: unknown;
  /** Computes the answer from the failure (may be async, may throw its own error). */
  fallback?: (error: unknown, attempt: Attempt) => unknown;
  /** Which failures to replace; others pass through. Default: every error. */
  shouldHandle?: (error: unknown) => boolean;
}

/**
 * Runs an operation and, if it fails with an error `shouldHandle` accepts, returns the fallback
 * instead and emits `fallback.used` (detail: the error's code or message).
 */
export class FallbackPolicy implements Policy {
  readonly name = 'fallback';
  private readonly fallback: (error: unknown, attempt: Attempt) => unknown;
  private readonly shouldHandle: (error: unknown) => boolean;
  private usedCount = 0;

  constructor(
    private readonly ctx: FallbackContext,
    options: FallbackOptions,
  ) {
    const hasValue = 'value' in options;
    if (hasValue === (options.fallback !== undefined)) {
      throw new ConfigError('fallback: give exactly one of `value` and `fallback`');
    }
    const value = options.value;
    this.fallback = options.fallback ?? (() => value);
    this.shouldHandle = options.shouldHandle ?? (() => true);
  }

  /** Executions answered by the fallback. */
  get used(): number {
    return this.usedCount;
  }

  /** Runs `operation`; a handled failure is replaced by the fallback's answer. */
  async execute<T>(operation: Operation<T>, attempt: Attempt = FIRST_ATTEMPT): Promise<T> {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!this.shouldHandle(error)) throw error;
      // Falling back must not hide a bug in the operation.
      this.ctx.reportCaught?.(error, 'fallback');
      this.usedCount++;
      this.ctx.emit('fallback.used', error instanceof RpcError ? error.code : errorMessage(error));
      return (await this.fallback(error, attempt)) as T;
    }
  }
}

/** Builds a {@link FallbackPolicy} on a node context. */
export function fallback(ctx: FallbackContext, options: FallbackOptions): FallbackPolicy {
  return new FallbackPolicy(ctx, options);
}
