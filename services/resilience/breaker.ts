// The circuit breaker: stops calling a failing dependency for a while, then lets a few probes
// through to learn whether it recovered. States, triggers, probes, counters and timeline events.
import { registerTimelineKinds } from '../../sim/harness/timeline.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import { FIRST_ATTEMPT, PolicyRun, type Attempt, type Operation, type Policy } from './policy.ts';
import { ConsecutiveFailureStrategy, type BreakerStrategy } from './breaker-strategies.ts';

// Reports draw breaker states from the timeline.
registerTimelineKinds('breaker.state');

export {
  ConsecutiveFailureStrategy,
  CountWindowStrategy,
  TimeWindowStrategy,
  type BreakerStrategy,
  type ConsecutiveFailureOptions,
  type CountWindowOptions,
  type TimeWindowOptions,
  type RateThresholds,
} from './breaker-strategies.ts';

/**
 * Where a breaker stands.
 * - `closed`: calls pass; finished calls feed the trigger strategy.
 * - `open`: calls are rejected until the open duration has elapsed.
 * - `half-open`: up to `halfOpenProbes` calls pass as probes; the rest are rejected.
 * - `isolated`: opened by hand (`isolate()`); rejects everything until `reset()`.
 * - `disabled`: switched off by hand (`disable()`); lets everything through, records nothing.
 */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated' | 'disabled';

/** What a breaker needs from its node: NodeContext satisfies it. */
export type BreakerContext = Pick<NodeContext, 'name' | 'now' | 'emit' | 'setTimer' | 'clearTimer'>;

/** Options of {@link CircuitBreaker}; every field has a documented default. */
export interface BreakerOptions {
  /** When the closed breaker opens. Default `new ConsecutiveFailureStrategy({ failureThreshold: 5 })`. */
  strategy?: BreakerStrategy;
  /** How long the breaker stays open before it lets probes through, in node-clock ms. Default 5000. */
  openDurationMs?: number;
  /** Each probe failure multiplies the next open duration by this (>= 1); closing resets it. Default 1. */
  backoffMultiplier?: number;
  /** Cap on the grown open duration, in ms. Default 10 × openDurationMs. */
  maxOpenDurationMs?: number;
  /** Calls let through while half-open; further calls are rejected until the probes decide. Default 1. */
  halfOpenProbes?: number;
  /** Successful probes that close the breaker (1..halfOpenProbes). Default halfOpenProbes: all must succeed. */
  halfOpenSuccessThreshold?: number;
  /**
   * A call that takes longer than this (ms) is slow: it counts toward the slow-call rate, and a slow
   * probe counts as a failed probe. Default Infinity (no call is slow).
   */
  slowCallDurationMs?: number;
  /** Which errors count as failures; other errors pass through and count as successes. Default: every error. */
  isFailure?: (error: unknown) => boolean;
  /** The dependency this breaker guards: the `peer` of its trace events, and named in rejections. */
  peer?: string;
}

/** Options after defaults were filled in. */
export interface ResolvedBreakerOptions {
  strategy: BreakerStrategy;
  openDurationMs: number;
  backoffMultiplier: number;
  maxOpenDurationMs: number;
  halfOpenProbes: number;
  halfOpenSuccessThreshold: number;
  slowCallDurationMs: number;
  isFailure: (error: unknown) => boolean;
  peer: string | undefined;
}

/** One state change, as `onStateChange` listeners see it. */
export interface BreakerStateChange {
  from: BreakerState;
  to: BreakerState;
  /** The node's clock at the change, in ms. */
  atMs: number;
}

/** Counters since the breaker was built. */
export interface BreakerStats {
  /** Every call offered to `execute`, rejected ones included. */
  calls: number;
  /** Calls that returned, or threw an error `isFailure` does not count. */
  successes: number;
  /** Calls that threw an error `isFailure` counts. */
  failures: number;
  /** Calls that took longer than `slowCallDurationMs` (successes and failures alike). */
  slowCalls: number;
  /** Calls rejected without running (open, isolated, or half-open with every probe taken). */
  rejected: number;
}

/**
 * A call rejected by a breaker: an operating error (code `unavailable`) the caller handles, for
 * instance by a fallback. Its `state` says why: open, half-open (probes taken) or isolated.
 */
export class BrokenCircuitError extends RpcError {
  override name = 'BrokenCircuitError';
  constructor(
    message: string,
    source: string | undefined,
    /** The breaker's state when it rejected the call. */
    readonly state: BreakerState,
  ) {
    super('unavailable', message, source);
  }
}

/** Type guard for a breaker's rejection. */
export function isBrokenCircuitError(error: unknown): error is BrokenCircuitError {
  return error instanceof BrokenCircuitError;
}

/** Listener of state changes; it must not throw (it runs inside `execute`). */
export type BreakerListener = (change: BreakerStateChange) => void;

/**
 * A circuit breaker (closed → open → half-open → closed), as rich as resilience4j's: pluggable
 * triggers, slow calls, probe count, growing open duration, manual isolation. Every state change
 * is a `breaker.state` trace event with detail `<from>-><to>`, which reports draw as a timeline.
 *
 * The hot path (`execute` while closed) allocates one record of the call besides its promises.
 */
export class CircuitBreaker implements Policy {
  readonly name = 'breaker';
  readonly options: ResolvedBreakerOptions;
  private currentState: BreakerState = 'closed';
  /** Bumped on every transition: outcomes of calls begun in an older epoch change no state. */
  private epoch = 0;
  private openUntil = 0;
  private openDuration: number;
  private openTimer = -1;
  private probesStarted = 0;
  private probeSuccesses = 0;
  private readonly listeners: BreakerListener[] = [];
  private readonly openElapsed = (): void => {
    this.openTimer = -1;
    if (this.currentState === 'open') this.transition('half-open');
  };
  private callCount = 0;
  private successCount = 0;
  private failureCount = 0;
  private slowCount = 0;
  private rejectedCount = 0;

  constructor(
    private readonly ctx: BreakerContext,
    options: BreakerOptions = {},
  ) {
    this.options = resolveBreakerOptions(options);
    this.options.strategy.claim?.();
    this.openDuration = this.options.openDurationMs;
  }

  /** The current state. Reading it changes nothing: the open → half-open move is driven by a timer. */
  get state(): BreakerState {
    return this.currentState;
  }

  /** The open duration the next (or current) opening uses, in ms: grows with failed probes. */
  get currentOpenDurationMs(): number {
    return this.openDuration;
  }

  /** While open: the node-clock time at which probes will be let through. */
  get openUntilMs(): number {
    return this.openUntil;
  }

  /** A snapshot of the counters. */
  stats(): BreakerStats {
    return {
      calls: this.callCount,
      successes: this.successCount,
      failures: this.failureCount,
      slowCalls: this.slowCount,
      rejected: this.rejectedCount,
    };
  }

  /** Calls `listener` after every state change; returns a function that unsubscribes it. */
  onStateChange(listener: BreakerListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /**
   * Runs `operation` if the breaker permits it; otherwise rejects at once with a BrokenCircuitError.
   * It settles as `return await operation()` in an async function would, one microtask after the
   * operation, with the call recorded first; a failure passes through without a JavaScript
   * `throw`, which costs V8 far more than the call itself (an open breaker fails calls by the thousand).
   */
  execute<T>(operation: Operation<T>, attempt: Attempt = FIRST_ATTEMPT): Promise<T> {
    this.callCount++;
    let probe = false;
    if (this.currentState !== 'closed') {
      if (this.currentState === 'disabled') return this.passThrough(operation, attempt);
      try {
        // The timer normally moves open → half-open; this covers a call at the very same instant.
        if (this.currentState === 'open' && this.ctx.now() >= this.openUntil) this.transition('half-open');
      } catch (error) {
        return Promise.reject(error); // a state listener threw: this call fails with it
      }
      if (this.currentState !== 'half-open' || this.probesStarted >= this.options.halfOpenProbes) {
        this.rejectedCount++;
        return Promise.reject(this.rejection());
      }
      this.probesStarted++;
      probe = true;
    }
    const call = new BreakerCall<T>(this, this.epoch, probe, this.ctx.now());
    let pending: Promise<T>;
    try {
      pending = operation(attempt);
    } catch (error) {
      return call.failedAtOnce(error);
    }
    call.follow(pending);
    return call.promise;
  }

  /** A disabled breaker: the operation's own promise, through an async function as before. */
  private async passThrough<T>(operation: Operation<T>, attempt: Attempt): Promise<T> {
    return operation(attempt);
  }

  /** Opens the breaker by hand until `reset()`: every call is rejected. */
  isolate(): void {
    if (this.currentState !== 'isolated') this.transition('isolated');
  }

  /** Switches the breaker off until `reset()`: every call passes and nothing is recorded. */
  disable(): void {
    if (this.currentState !== 'disabled') this.transition('disabled');
  }

  /** Closes the breaker from any state, forgetting recorded calls and any grown open duration. */
  reset(): void {
    if (this.currentState !== 'closed') {
      this.transition('closed');
    } else {
      this.options.strategy.reset();
      this.openDuration = this.options.openDurationMs;
    }
  }

  /** @internal Records a finished call. */
  finish(epoch: number, probe: boolean, startMs: number, failed: boolean): void {
    const endMs = this.ctx.now();
    const slow = endMs - startMs > this.options.slowCallDurationMs;
    if (failed) this.failureCount++;
    else this.successCount++;
    if (slow) this.slowCount++;
    if (epoch !== this.epoch) return; // began before the last state change: it decides nothing now
    if (probe) {
      if (failed || slow) {
        this.openDuration = Math.min(this.openDuration * this.options.backoffMultiplier, this.options.maxOpenDurationMs);
        this.transition('open');
      } else if (++this.probeSuccesses >= this.options.halfOpenSuccessThreshold) {
        this.transition('closed');
      }
      return;
    }
    if (this.options.strategy.record(failed, slow, endMs)) this.transition('open');
  }

  private transition(to: BreakerState): void {
    const from = this.currentState;
    const ctx = this.ctx;
    if (this.openTimer >= 0) {
      ctx.clearTimer(this.openTimer);
      this.openTimer = -1;
    }
    this.currentState = to;
    this.epoch++;
    this.probesStarted = 0;
    this.probeSuccesses = 0;
    const nowMs = ctx.now();
    if (to === 'open') {
      this.openUntil = nowMs + this.openDuration;
      this.openTimer = ctx.setTimer(this.openDuration, this.openElapsed);
    } else if (to === 'closed') {
      this.openDuration = this.options.openDurationMs;
      this.options.strategy.reset();
    }
    ctx.emit('breaker.state', `${from}->${to}`, this.options.peer);
    for (const listener of this.listeners) listener({ from, to, atMs: nowMs });
  }

  private rejection(): BrokenCircuitError {
    const guarded = this.options.peer ?? 'calls';
    const state = this.currentState;
    const message =
      state === 'open'
        ? `circuit open: ${guarded} rejected until ${this.openUntil}ms`
        : state === 'half-open'
          ? `circuit half-open: ${guarded} rejected while ${this.options.halfOpenProbes} probe(s) decide`
          : `circuit isolated: ${guarded} rejected until reset`;
    // Stackless like every RpcError: an open breaker may reject every call of a hot path.
    return new BrokenCircuitError(message, this.ctx.name, state);
  }
}

/**
 * One call let through a breaker: records its outcome, then settles the caller's promise with it.
 * Anything the recording throws (a state listener, a custom strategy or `isFailure`) fails the call
 * instead, as it would from an async function.
 */
class BreakerCall<T> extends PolicyRun<T> {
  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly epoch: number,
    private readonly probe: boolean,
    private readonly startMs: number,
  ) {
    super();
  }

  /** The operation threw before returning its promise. */
  failedAtOnce(error: unknown): Promise<T> {
    this.failed(error);
    return this.promise;
  }

  /** Settles the caller's promise one microtask after `pending` (what `await pending` takes). */
  follow(pending: Promise<T>): void {
    Promise.resolve(pending).then(
      (value) => this.succeeded(value),
      (error: unknown) => this.failed(error),
    );
  }

  private succeeded(value: T): void {
    try {
      this.breaker.finish(this.epoch, this.probe, this.startMs, false);
    } catch (thrown) {
      this.reject(thrown);
      return;
    }
    this.resolve(value);
  }

  private failed(error: unknown): void {
    try {
      this.breaker.finish(this.epoch, this.probe, this.startMs, this.breaker.options.isFailure(error));
    } catch (thrown) {
      this.reject(thrown);
      return;
    }
    this.reject(error);
  }
}

/** Builds a {@link CircuitBreaker} on a node context. */
export function circuitBreaker(ctx: BreakerContext, options: BreakerOptions = {}): CircuitBreaker {
  return new CircuitBreaker(ctx, options);
}

/** Fills defaults and validates; throws a one-line ConfigError naming the bad option. */
export function resolveBreakerOptions(options: BreakerOptions): ResolvedBreakerOptions {
  const openDurationMs = options.openDurationMs ?? 5000;
  if (!(openDurationMs > 0 && Number.isFinite(openDurationMs))) {
    throw new ConfigError(`breaker: openDurationMs is ${openDurationMs}; use a finite number of ms > 0`);
  }
  const backoffMultiplier = options.backoffMultiplier ?? 1;
  if (!(backoffMultiplier >= 1 && Number.isFinite(backoffMultiplier))) {
    throw new ConfigError(`breaker: backoffMultiplier is ${backoffMultiplier}; use a finite number >= 1 (1 keeps the open duration fixed)`);
  }
  const maxOpenDurationMs = options.maxOpenDurationMs ?? 10 * openDurationMs;
  if (!(maxOpenDurationMs >= openDurationMs && Number.isFinite(maxOpenDurationMs))) {
    throw new ConfigError(`breaker: maxOpenDurationMs is ${maxOpenDurationMs}; use a finite number of ms >= openDurationMs (${openDurationMs})`);
  }
  const halfOpenProbes = options.halfOpenProbes ?? 1;
  if (!(Number.isInteger(halfOpenProbes) && halfOpenProbes >= 1)) {
    throw new ConfigError(`breaker: halfOpenProbes is ${halfOpenProbes}; use a whole number >= 1`);
  }
  const halfOpenSuccessThreshold = options.halfOpenSuccessThreshold ?? halfOpenProbes;
  if (!(Number.isInteger(halfOpenSuccessThreshold) && halfOpenSuccessThreshold >= 1 && halfOpenSuccessThreshold <= halfOpenProbes)) {
    throw new ConfigError(`breaker: halfOpenSuccessThreshold is ${halfOpenSuccessThreshold}; use a whole number from 1 to halfOpenProbes (${halfOpenProbes})`);
  }
  const slowCallDurationMs = options.slowCallDurationMs ?? Infinity;
  if (!(slowCallDurationMs > 0)) {
    throw new ConfigError(`breaker: slowCallDurationMs is ${slowCallDurationMs}; use a number of ms > 0 (Infinity: no call is slow)`);
  }
  return {
    strategy: options.strategy ?? new ConsecutiveFailureStrategy({ failureThreshold: 5 }),
    openDurationMs,
    backoffMultiplier,
    maxOpenDurationMs,
    halfOpenProbes,
    halfOpenSuccessThreshold,
    slowCallDurationMs,
    isFailure: options.isFailure ?? everyError,
    peer: options.peer,
  };
}

function everyError(): boolean {
  return true;
}
