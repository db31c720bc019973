// The timeout policy: gives an operation a deadline, tightened from any outer deadline, passes it
// on (so RPCs carry it to the next hop), and rejects at the deadline even if the operation hangs.
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import { earliestDeadline } from '../../sim/world/rpc.ts';
import { FIRST_ATTEMPT, PolicyRun, type Attempt, type Operation, type Policy } from './policy.ts';

/** What a timeout policy needs from its node: NodeContext satisfies it. */
export type TimeoutContext = Pick<NodeContext, 'name' | 'deadlineIn' | 'remainingMs' | 'emit' | 'setTimer' | 'clearTimer'>;

/** Options of {@link TimeoutPolicy}. */
export interface TimeoutOptions {
  /** The operation's own time limit, in ms (> 0). Required. */
  timeoutMs: number;
}

/**
 * Runs an operation with `deadlineMs = min(outer deadline, now + timeoutMs)` in its attempt: an
 * operation that makes RPCs passes it as their `deadlineMs`, so the budget shrinks hop by hop.
 * At the deadline it rejects with RpcError('timeout') and emits `timeout.expired`, whether or not
 * the operation ever answers (a late answer is dropped; the simulator has no cancellation, so the
 * operation's own RPCs end by their deadline).
 */
export class TimeoutPolicy implements Policy {
  readonly name = 'timeout';
  readonly timeoutMs: number;
  private expiredCount = 0;

  constructor(
    private readonly ctx: TimeoutContext,
    options: TimeoutOptions,
  ) {
    this.timeoutMs = options.timeoutMs;
    if (!(this.timeoutMs > 0 && Number.isFinite(this.timeoutMs))) {
      throw new ConfigError(`timeout: timeoutMs is ${this.timeoutMs}; use a finite number of ms > 0`);
    }
  }

  /** Executions that ended by this policy's deadline. */
  get expired(): number {
    return this.expiredCount;
  }

  /** Runs `operation` with the tightened deadline; rejects with RpcError('timeout') when it passes first. */
  execute<T>(operation: Operation<T>, attempt: Attempt = FIRST_ATTEMPT): Promise<T> {
    return this.run(operation, attempt, false) as Promise<T>;
  }

  /**
   * @internal `execute`, but a failure resolves as a `Failed` value on the same microtask instead of
   * rejecting: a caller that handles failures as values (the saga orchestrator) is spared the
   * JavaScript `throw` an `await` of a rejection makes, which costs far more than the call.
   */
  settle<T>(operation: Operation<T>, attempt: Attempt = FIRST_ATTEMPT): Promise<T | Failed> {
    return this.run(operation, attempt, true);
  }

  private run<T>(operation: Operation<T>, attempt: Attempt, asValue: boolean): Promise<T | Failed> {
    const ctx = this.ctx;
    // Deadlines are true virtual time: a skewed node clock must not stretch or cut them.
    const ownDeadlineMs = ctx.deadlineIn(this.timeoutMs);
    const deadlineMs = earliestDeadline(ownDeadlineMs, attempt.deadlineMs)!;
    const remainingMs = ctx.remainingMs(deadlineMs);
    if (!(remainingMs > 0)) {
      this.expiredCount++;
      ctx.emit('timeout.expired', 'deadline already passed');
      const error = new RpcError('timeout', `deadline passed ${-remainingMs}ms before the call started`, ctx.name);
      return asValue ? Promise.resolve(new Failed(error)) : Promise.reject(error);
    }
    const run = new TimeoutRun<T>(this, asValue, remainingMs);
    try {
      run.timer = ctx.setTimer(remainingMs, () => run.expire());
    } catch (error) {
      run.reject(error);
      return run.promise;
    }
    let pending: Promise<T>;
    try {
      pending = operation({ attempt: attempt.attempt, deadlineMs });
    } catch (error) {
      run.fail(error); // an operation that throws before returning its promise
      return run.promise;
    }
    try {
      pending.then(
        (value) => run.succeed(value),
        (error: unknown) => run.fail(error),
      );
    } catch (error) {
      run.reject(error); // not a promise: as the executor that called its then would have failed
    }
    return run.promise;
  }

  /** @internal The deadline passed first: count it and say so. */
  recordExpiry(remainingMs: number): RpcError {
    this.expiredCount++;
    this.ctx.emit('timeout.expired', `${remainingMs}ms`);
    return new RpcError('timeout', `no answer within ${remainingMs}ms`, this.ctx.name);
  }

  /** @internal Stops the deadline timer of an execution that ended first. */
  stopTimer(timer: number): void {
    this.ctx.clearTimer(timer);
  }
}

/** @internal A failure as a value (see `TimeoutPolicy.settle`). */
export class Failed {
  constructor(readonly error: unknown) {}
}

/** One execution under a timeout: whichever of the answer and the deadline comes first settles it. */
class TimeoutRun<T> extends PolicyRun<T | Failed> {
  settled = false;
  timer = -1;

  constructor(
    private readonly policy: TimeoutPolicy,
    /** Settle a failure as a Failed value (`settle`) rather than a rejection (`execute`). */
    private readonly asValue: boolean,
    private readonly remainingMs: number,
  ) {
    super();
  }

  expire(): void {
    if (this.settled) return;
    this.settled = true;
    this.failWith(this.policy.recordExpiry(this.remainingMs));
  }

  succeed(value: T): void {
    if (this.settled) return;
    this.settled = true;
    this.policy.stopTimer(this.timer);
    this.resolve(value);
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.policy.stopTimer(this.timer);
    this.failWith(error);
  }

  private failWith(error: unknown): void {
    if (this.asValue) this.resolve(new Failed(error));
    else this.reject(error);
  }
}

/** Builds a {@link TimeoutPolicy} on a node context. */
export function timeout(ctx: TimeoutContext, options: TimeoutOptions): TimeoutPolicy {
  return new TimeoutPolicy(ctx, options);
}
