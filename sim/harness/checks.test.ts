// Tests for sim/harness/checks.ts: check constructors and the evaluation of verdicts (true, false, message, throw).
// How the runner samples checks and records failures is tested in runner.test.ts.
import { describe, expect, it } from 'vitest';
import { always, eventually, evaluate, sometimes, type CheckContext } from './checks.ts';
import { World } from '../world/world.ts';
import { WorkloadMetrics } from './workload.ts';

/** A run as a check sees it, around `system`, at `nowMs`. */
function runOf<S>(system: S, nowMs = 0): CheckContext<S> {
  return { system, world: new World(1), nowMs, metrics: new WorkloadMetrics(1000) };
}

describe('check constructors', () => {
  it('always, eventually and sometimes make checks of their kind', () => {
    const predicate = (): boolean => true;
    expect(always('money conserved', predicate)).toEqual({ name: 'money conserved', kind: 'always', predicate });
    expect(eventually('orders final', predicate)).toEqual({ name: 'orders final', kind: 'eventually', predicate });
    expect(eventually('orders final', predicate, { withinMs: 5000 })).toEqual({ name: 'orders final', kind: 'eventually', predicate, withinMs: 5000 });
    expect(sometimes('retry gave up', predicate)).toEqual({ name: 'retry gave up', kind: 'sometimes', predicate });
  });
});

describe('evaluate', () => {
  it('passes the run (system, world, time, metrics) to the predicate', () => {
    const seen: unknown[] = [];
    const run = runOf({ id: 7 }, 1234);
    evaluate(always<{ id: number }>('x', ({ system, world, nowMs, metrics }) => (seen.push([system.id, world, nowMs, metrics]), true)), run);
    expect(seen).toEqual([[7, run.world, 1234, run.metrics]]);
  });

  it('true holds; false fails with a default message; a string fails with that message', () => {
    expect(evaluate(always('ok', () => true), runOf({}))).toEqual({ holds: true, message: '' });
    expect(evaluate(always('balance', () => false), runOf({}))).toEqual({ holds: false, message: 'balance does not hold' });
    expect(evaluate(always('balance', () => 'balance is -5'), runOf({}))).toEqual({ holds: false, message: 'balance is -5' });
  });

  it('a violation object fails with its message and carries its witness', () => {
    const witness = { model: 'read-your-writes', operations: [] };
    expect(evaluate(always('ryw', () => ({ message: 'stale', witness })), runOf({}))).toEqual({ holds: false, message: 'stale', witness });
    expect(evaluate(always('ryw', () => ({ message: 'stale' })), runOf({}))).toEqual({ holds: false, message: 'stale' });
  });

  it('an empty string is a failure too (only true holds)', () => {
    expect(evaluate(always('x', () => ''), runOf({})).holds).toBe(false);
  });

  it('a throwing predicate fails with its message instead of throwing', () => {
    const check = always('x', () => {
      throw new Error('no such table');
    });
    expect(evaluate(check, runOf({}))).toEqual({ holds: false, message: 'check threw: no such table' });
    expect(evaluate(always('y', () => {
      throw 'plain';
    }), runOf({}))).toEqual({ holds: false, message: 'check threw: plain' });
  });
});
