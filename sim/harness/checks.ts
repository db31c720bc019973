// Checks observe a running system from outside: `always` must hold at every sample point,
// `eventually` must come true once faults heal, `sometimes` records coverage across seeds.
import type { World } from '../world/world.ts';
import type { WorkloadMetrics } from './workload.ts';

/** What a check predicate returns: true when it holds, false or a message saying why it does not. */
export type CheckVerdict = boolean | string;

/**
 * What a check (and a system's `metrics()`) sees of a run: the system the variant built, the world
 * it runs in, the virtual time, and the workload's metrics so far (requests sent, answered, failed).
 */
export interface CheckContext<S = unknown> {
  system: S;
  world: World;
  nowMs: number;
  metrics: WorkloadMetrics;
}

/** A predicate over a run, evaluated from outside the services. */
export type CheckPredicate<S> = (run: CheckContext<S>) => CheckVerdict;

/** A check as data. */
export interface Check<S = unknown> {
  name: string;
  kind: 'always' | 'eventually' | 'sometimes';
  // Method syntax on purpose: a Check<Shop> is then usable where a Check<SystemHandle> is expected.
  predicate(run: CheckContext<S>): CheckVerdict;
  /** eventually: how long after faults heal it may take to come true (default: the scenario's quiesceMs). */
  withinMs?: number;
}

/** Kinds of failure a run can report. */
export type FailureKind = 'correctness' | 'liveness' | 'crash';

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

/** Never fails; a sweep reports in how many seeds it was reached (coverage: "a retry gave up"). */
export function sometimes<S>(name: string, predicate: CheckPredicate<S>): Check<S> {
  return { name, kind: 'sometimes', predicate };
}

/** Evaluates a predicate; a throwing predicate counts as a failure with its message. */
export function evaluate<S>(check: Check<S>, run: CheckContext<S>): { holds: boolean; message: string } {
  try {
    const verdict = check.predicate(run);
    if (verdict === true) return { holds: true, message: '' };
    return { holds: false, message: typeof verdict === 'string' ? verdict : `${check.name} does not hold` };
  } catch (error) {
    return { holds: false, message: `check threw: ${error instanceof Error ? error.message : String(error)}` };
  }
}
