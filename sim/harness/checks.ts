// Checks observe a running system from outside: `always` must hold at every sample point,
// `eventually` must come true once faults heal, `sometimes` records coverage across seeds,
// `slo` (slo.ts) is judged at the end from the request figures.
import type { SloSpec } from './slo-spec.ts';
// `eventually` must come true once faults heal, `sometimes` records coverage across seeds.
import type { World } from '../world/world.ts';
import type { WorkloadMetrics } from './workload.ts';

/** What a check predicate returns: true when it holds, false or a message saying why it does not, or a violation with its evidence. */
export type CheckVerdict = boolean | string | CheckViolation;

/** A failed verdict that carries evidence, e.g. the operations of a history that cannot be ordered. */
export interface CheckViolation {
  message: string;
  witness?: HistoryWitness;
}

/** One client operation in a witness: what was asked, when (true virtual ms), and what came back. */
export interface WitnessOperation {
  /** Position in the recorded history (order of invocation). */
  id: number;
  /** The client session (process) that issued it. */
  process: string;
  kind: string;
  key: string;
  /** Human text of the operation and its answer (`write 3`, `read → 2`, `cas 1→4`). */
  text: string;
  invokeMs: number;
  /** Absent when the outcome is unknown: the operation may have taken effect any time after its invocation, or never. */
  completeMs?: number;
  outcome: 'ok' | 'fail' | 'unknown';
}

/** The smallest set of operations found that violates a consistency model, for timelines and charts. */
export interface HistoryWitness {
  /** The model they violate (`linearizable register`, `read-your-writes`…). */
  model: string;
  operations: WitnessOperation[];
}

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
  /** `slo`: judged once, at the end, from the workload's request figures (see slo.ts). */
  kind: 'always' | 'eventually' | 'sometimes' | 'slo';
  // Method syntax on purpose: a Check<Shop> is then usable where a Check<SystemHandle> is expected.
  predicate(run: CheckContext<S>): CheckVerdict;
  /** eventually: how long after faults heal it may take to come true (default: the scenario's quiesceMs). */
  withinMs?: number;
  /** slo: the targets (set by `slo()`). */
  slo?: SloSpec;
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
  /** Evidence from a history checker: the operations that cannot be ordered. */
  witness?: HistoryWitness;
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
export function evaluate<S>(check: Check<S>, run: CheckContext<S>): { holds: boolean; message: string; witness?: HistoryWitness } {
  try {
    const verdict = check.predicate(run);
    if (verdict === true) return { holds: true, message: '' };
    if (typeof verdict === 'object' && verdict !== null) {
      return { holds: false, message: verdict.message, ...(verdict.witness ? { witness: verdict.witness } : {}) };
    }
    return { holds: false, message: typeof verdict === 'string' ? verdict : `${check.name} does not hold` };
  } catch (error) {
    return { holds: false, message: `check threw: ${error instanceof Error ? error.message : String(error)}` };
  }
}
