// Hedged requests: if the first attempt has not answered after `delayMs`, start another (which may
// pick another instance), take the first success and ignore the rest — trading load for tail latency.
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, isTransientRpcError } from '../../sim/engine/errors.ts';
import { FIRST_ATTEMPT, type Attempt, type Operation, type Policy } from './policy.ts';

/** What a hedge policy needs from its node: NodeContext satisfies it. */
export type HedgeContext = Pick<NodeContext, 'remainingMs' | 'emit' | 'setTimer' | 'clearTimer'>;

/** Options of {@link HedgePolicy}; every field has a documented default. */
export interface HedgeOptions {
  /** Start another attempt when none has answered for this long, in ms (>= 0). Required. */
  delayMs: number;
  /** Extra attempts at most, on top of the first (>= 0). Default 1. */
  maxHedges?: number;
  /**
   * Failures after which hedging goes on: the next hedge then starts at once (as gRPC hedging does).
   * Any other failure ends the execution with that error. Default `isTransientRpcError`.
   */
  isRetryable?: (error: unknown) => boolean;
}

/** Counters since the policy was built. */
export interface HedgeStats {
  /** Executions. */
  executions: number;
  /** Hedges started (attempts after the first). */
  hedges: number;
  /** Executions answered by a hedge rather than the first attempt. */
  wonByHedge: number;
}

/** One execution's state, shared by its attempts' callbacks. */
interface Race<T> {
  operation: Operation<T>;
  deadlineMs: number | undefined;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  started: number;
  failed: number;
  settled: boolean;
  timer: number;
  lastError: unknown;
}

/**
 * Hedged requests (Dean & Barroso, "The Tail at Scale"): the operation runs once; if no attempt
 * answered within `delayMs`, it runs again (attempt 2, 3…), up to `maxHedges` extra times. The
 * first success wins; later answers are ignored. A retryable failure starts the next hedge at once;
 * when every attempt failed, the execution fails with the last error. No hedge starts at or after
 * the attempt's deadline. Each hedge emits `hedge.attempt`; a win by a hedge emits `hedge.won`.
 */
export class HedgePolicy implements Policy {
  readonly name = 'hedge';
  readonly delayMs: number;
  readonly maxHedges: number;
  private readonly isRetryable: (error: unknown) => boolean;
  private executions = 0;
  private hedges = 0;
  private wonByHedge = 0;

  constructor(
    private readonly ctx: HedgeContext,
    options: HedgeOptions,
  ) {
    this.delayMs = options.delayMs;
    if (!(this.delayMs >= 0 && Number.isFinite(this.delayMs))) {
      throw new ConfigError(`hedge: delayMs is ${this.delayMs}; use a finite number of ms >= 0`);
    }
    this.maxHedges = options.maxHedges ?? 1;
    if (!(Number.isInteger(this.maxHedges) && this.maxHedges >= 0)) {
      throw new ConfigError(`hedge: maxHedges is ${this.maxHedges}; use a whole number >= 0`);
    }
    this.isRetryable = options.isRetryable ?? isTransientRpcError;
  }

  /** A snapshot of the counters. */
  stats(): HedgeStats {
    return { executions: this.executions, hedges: this.hedges, wonByHedge: this.wonByHedge };
  }

  /** Runs `operation`, hedging it as described above; resolves with the first success. */
  execute<T>(operation: Operation<T>, attempt: Attempt = FIRST_ATTEMPT): Promise<T> {
    this.executions++;
    return new Promise<T>((resolve, reject) => {
      const race: Race<T> = { operation, deadlineMs: attempt.deadlineMs, resolve, reject, started: 0, failed: 0, settled: false, timer: -1, lastError: undefined };
      this.launch(race);
    });
  }

  /** Starts the next attempt and, if hedges remain, arms the timer for the one after. */
  private launch<T>(race: Race<T>): void {
    const number = ++race.started;
    if (number > 1) {
      this.hedges++;
      this.ctx.emit('hedge.attempt', `attempt ${number}`);
    }
    if (race.timer >= 0) this.ctx.clearTimer(race.timer);
    race.timer = race.started <= this.maxHedges ? this.ctx.setTimer(this.delayMs, () => this.onDelay(race)) : -1;
    let pending: Promise<T>;
    try {
      pending = race.operation({ attempt: number, deadlineMs: race.deadlineMs });
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => this.onSuccess(race, number, value),
      (error: unknown) => this.onFailure(race, error),
    );
  }

  private onDelay<T>(race: Race<T>): void {
    race.timer = -1;
    if (race.settled || !this.mayHedge(race)) return;
    this.launch(race);
  }

  private onSuccess<T>(race: Race<T>, number: number, value: T): void {
    if (race.settled) return;
    this.settle(race);
    if (number > 1) {
      this.wonByHedge++;
      this.ctx.emit('hedge.won', `attempt ${number}`);
    }
    race.resolve(value);
  }

  private onFailure<T>(race: Race<T>, error: unknown): void {
    if (race.settled) return;
    race.failed++;
    race.lastError = error;
    if (this.isRetryable(error) && this.mayHedge(race)) {
      this.launch(race);
      return;
    }
    if (!this.isRetryable(error) || race.failed === race.started) {
      this.settle(race);
      race.reject(error);
    }
    // Otherwise other attempts are still out: wait for them.
  }

  /** A hedge may start: one is left, and the deadline (if any) is still ahead. */
  private mayHedge<T>(race: Race<T>): boolean {
    return race.started <= this.maxHedges && (race.deadlineMs === undefined || this.ctx.remainingMs(race.deadlineMs) > 0);
  }

  private settle<T>(race: Race<T>): void {
    race.settled = true;
    if (race.timer >= 0) {
      this.ctx.clearTimer(race.timer);
      race.timer = -1;
    }
  }
}

/** Builds a {@link HedgePolicy} on a node context. */
export function hedge(ctx: HedgeContext, options: HedgeOptions): HedgePolicy {
  return new HedgePolicy(ctx, options);
}
