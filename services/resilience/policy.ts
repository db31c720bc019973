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

// The settle functions of the promise a PolicyRun is building, handed over by one shared executor
// (a closure per call would cost an allocation on every policy call).
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;

function captureSettlers(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * @internal One execution of a policy that settles its caller's promise itself (instead of being an
 * async function): a failure then passes through without a JavaScript `throw`, which costs V8
 * far more than the call, and the promise settles on the microtask the async form's would.
 */
export abstract class PolicyRun<T> {
  /** What the policy's `execute` returns. */
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<T>(captureSettlers);
    this.resolve = capturedResolve as (value: T) => void;
    this.reject = capturedReject!;
    capturedResolve = undefined;
    capturedReject = undefined;
  }
}
