// The policy contract shared by every resilience policy (breaker, retry, timeout, bulkhead,
// fallback): each wraps one async operation, and `wrap` composes them in order.

/** What an operation learns about the attempt it runs in. */
export interface Attempt {
  /** 1 for the first try, 2 for the first retry… */
  attempt: number;
  /** Absolute true virtual time (ms) by which the answer is needed; propagated to RPC deadlines. */
  deadlineMs: number | undefined;
}

/** One async operation run under policies; it receives the attempt's number and deadline. */
export type Operation<T> = (attempt: Attempt) => Promise<T>;

/**
 * A resilience policy. Policies hold their own state (a breaker's counts, a bulkhead's slots)
 * and take clock and randomness from the node context they were built with, never from the host.
 */
export interface Policy {
  /** Short name for traces and reports (`breaker`, `retry`…). */
  readonly name: string;
  /** Runs `operation` under this policy. `attempt` comes from an outer policy, if any. */
  execute<T>(operation: Operation<T>, attempt?: Attempt): Promise<T>;
}

/** The attempt an outermost policy starts with. */
export const FIRST_ATTEMPT: Readonly<Attempt> = Object.freeze({ attempt: 1, deadlineMs: undefined });
