// Checks observe a running system from outside: `always` must hold at every sample point,
// `eventually` must come true once faults heal, `sometimes` records coverage across seeds.

/** What a check predicate returns: true when it holds, false or a message saying why it does not. */
export type CheckVerdict = boolean | string;

/** A predicate over the system a variant built, evaluated from outside the services. */
export type CheckPredicate<S> = (system: S, nowMs: number) => CheckVerdict;

/** A check as data. */
export interface Check<S = unknown> {
  name: string;
  kind: 'always' | 'eventually' | 'sometimes';
  // Method syntax on purpose: a Check<Shop> is then usable where a Check<SystemHandle> is expected.
  predicate(system: S, nowMs: number): CheckVerdict;
  /** eventually: how long after faults heal it may take to come true (default: the scenario's quiesceMs). */
  withinMs?: number;
}

/**
 * Kinds of failure a run can report. `resource`: the run went past the heap limit and was stopped
 * by the CLI's watchdog (a runaway seed that took too long is `liveness`).
 */
export type FailureKind = 'correctness' | 'liveness' | 'crash' | 'resource';

/** One failed check or broken limit. */
export interface Failure {
  kind: FailureKind;
  check: string;
  atMs: number;
  message: string;
}

/** Must hold at every sample point and at the end: a correctness property. */
export function always<S>(name: string, predicate: CheckPredicate<S>): Check<S> {
  return { name, kind: 'always', predicate };
}

/** Must come true after faults heal and the workload stops, within `withinMs`: a liveness property. */
export function eventually<S>(name: string, predicate: CheckPredicate<S>, options: { withinMs?: number } = {}): Check<S> {
  return { name, kind: 'eventually', predicate, ...(options.withinMs !== undefined ? { withinMs: options.withinMs } : {}) };
}

/** Never fails; a sweep reports in how many seeds it was reached (coverage: "a breaker half-opened"). */
export function sometimes<S>(name: string, predicate: CheckPredicate<S>): Check<S> {
  return { name, kind: 'sometimes', predicate };
}

/** Evaluates a predicate; a throwing predicate counts as a failure with its message. */
export function evaluate<S>(check: Check<S>, system: S, nowMs: number): { holds: boolean; message: string } {
  try {
    const verdict = check.predicate(system, nowMs);
    if (verdict === true) return { holds: true, message: '' };
    return { holds: false, message: typeof verdict === 'string' ? verdict : `${check.name} does not hold` };
  } catch (error) {
    return { holds: false, message: `check threw: ${error instanceof Error ? error.message : String(error)}` };
  }
}
