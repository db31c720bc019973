// Turns what a world recorded about its service code (programmer errors, requests that never
// ended) into the run's failures and result figures, so a bug in a handler is never silent.
import type { World, HungRequests } from '../world/world.ts';
import type { ServiceErrorGroup } from '../world/service-errors.ts';
import type { Failure } from './checks.ts';

/**
 * A request still running this long after its caller's deadline, when the run ends, counts as hung:
 * nobody waits for its answer any more and its worker stays busy (a handler that never resolves).
 */
export const HANG_AFTER_DEADLINE_MS = 10_000;

/** Error groups turned into failures, at most; the rest are summed up in one more failure. */
const MAX_ERROR_FAILURES = 5;

/** What a variant result carries about its service code. */
export interface ServiceFigures {
  /** Errors thrown by service code, grouped by node, method, code and message; most frequent first. */
  errors: ServiceErrorGroup[];
  /** Requests still running long after their caller's deadline, per node and method. */
  hungRequests: HungRequests[];
}

/** The figures of a finished run. */
export function serviceFigures(world: World): ServiceFigures {
  return { errors: world.serviceErrors.list(), hungRequests: world.hungRequests(HANG_AFTER_DEADLINE_MS) };
}

/**
 * One `crash` failure per group of programmer errors (unless the scenario tolerates them) and one
 * `liveness` failure naming every hung node and method.
 */
export function serviceFailures(world: World, figures: ServiceFigures, tolerateServiceErrors: boolean): Failure[] {
  const failures: Failure[] = [];
  if (!tolerateServiceErrors) {
    const bugs = world.serviceErrors.bugs();
    for (const group of bugs.slice(0, MAX_ERROR_FAILURES)) {
      failures.push({ kind: 'crash', check: `${group.node}.${group.method}`, atMs: group.firstAtMs, message: bugMessage(group) });
    }
    if (bugs.length > MAX_ERROR_FAILURES) {
      const rest = bugs.slice(MAX_ERROR_FAILURES);
      failures.push({
        kind: 'crash',
        check: 'service errors',
        atMs: rest[0]!.firstAtMs,
        message: `${rest.length} more kinds of programmer error in service code (see errors in the result)`,
      });
    }
  }
  if (figures.hungRequests.length > 0) {
    const lines = figures.hungRequests.map((hung) => `${hung.node}.${hung.method}: ${hung.count} (oldest started at ${Math.round(hung.oldestStartMs)} ms)`);
    failures.push({
      kind: 'liveness',
      check: 'hung requests',
      atMs: world.sim.nowMs,
      message: `requests still running ${HANG_AFTER_DEADLINE_MS} ms or more after their caller's deadline (a handler that never resolves?): ${lines.join('; ')}`,
    });
  }
  return failures;
}

function bugMessage(group: ServiceErrorGroup): string {
  const where = group.where === '' ? '' : ` at ${group.where}`;
  const times = group.count === 1 ? 'once' : `${group.count} times`;
  return (
    `${group.code}: ${group.message}${where} — thrown ${times} in ${group.node}.${group.method}. ` +
    'A bug in service code fails the run: throw a ServiceError to fail only the request, or set tolerateServiceErrors: true in the scenario'
  );
}
