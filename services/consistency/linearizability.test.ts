// Tests for the linearizability checker: known histories (fixtures.ts), minimal witnesses, timeouts
// as indeterminate, the search budget, keys checked independently, and the check in a scenario's terms.
import { describe, expect, it } from 'vitest';
import { checkRunOf } from '../../test/kit/scenario.ts';
import { FIXTURES } from './fixtures.ts';
import { checkKey, checkLinearizable, searchKey } from './linearizability.ts';
import { HistoryRecorder, op, type Operation } from './history.ts';
import { linearizable } from './linearizable-check.ts';
import { evaluate } from '../../sim/harness/checks.ts';

describe('known histories', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture.linearizable ? 'linearizable' : 'violation'}: ${fixture.name}`, () => {
      const verdict = checkKey('x', fixture.operations);
      expect(verdict.result).toBe(fixture.linearizable ? 'linearizable' : 'violation');
      if (verdict.result === 'violation') expect(verdict.witness.map((operation) => operation.id)).toEqual(fixture.witness);
    });
  }
});

describe('the witness', () => {
  it('is cut down from a long history to the operations that cannot be ordered', () => {
    const operations: Operation[] = [];
    for (let index = 0; index < 30; index++) {
      operations.push(op(2 * index, 'p1', 'write', 'x', { value: index }, index * 100, index * 100 + 10));
      operations.push(op(2 * index + 1, 'p2', 'read', 'x', { output: index }, index * 100 + 20, index * 100 + 30));
    }
    // A stale read in the middle: write 15 completed, then a read returns 14.
    operations[31] = op(31, 'p2', 'read', 'x', { output: 14 }, 1520, 1530);
    const verdict = checkKey('x', operations);
    expect(verdict.result).toBe('violation');
    if (verdict.result === 'violation') expect(verdict.witness.map((operation) => operation.id)).toEqual([28, 30, 31]);
  });
});

describe('keys and budget', () => {
  it('checks each key on its own: a violation names its key', () => {
    const operations = [
      op(0, 'p1', 'write', 'a', { value: 1 }, 0, 10),
      op(1, 'p1', 'write', 'b', { value: 1 }, 0, 10),
      op(2, 'p2', 'read', 'a', { output: 1 }, 20, 30),
      op(3, 'p2', 'read', 'b', { output: null }, 20, 30),
    ];
    const verdict = checkLinearizable(operations);
    expect(verdict.result).toBe('violation');
    if (verdict.result === 'violation') expect(verdict.key).toBe('b');
    expect(checkLinearizable(operations.filter((operation) => operation.key === 'a')).result).toBe('linearizable');
  });

  it('gives up with "unknown" when the search budget runs out, never runs on', () => {
    // Many concurrent writes followed by a read nobody can explain: every order of the writes is tried.
    const operations: Operation[] = [];
    for (let index = 0; index < 18; index++) operations.push(op(index, `p${index}`, 'write', 'x', { value: index }, 0, 100));
    operations.push(op(18, 'q', 'read', 'x', { output: 99 }, 200, 210));
    expect(searchKey(operations, { maxSearchSteps: 1_000 })).toEqual({ result: 'unknown', steps: 1_001 });
    const verdict = checkLinearizable(operations, { maxSearchSteps: 1_000 });
    expect(verdict.result).toBe('unknown');
    if (verdict.result === 'unknown') expect(verdict.reason).toBe('search budget exhausted after 1000 steps on key "x"');
  });

  it('leaves out unanswered writes whose value nobody saw, and keeps those whose value was read', () => {
    const unseen: Operation[] = [op(0, 'p1', 'write', 'x', { value: 1 }, 0, 10)];
    for (let index = 1; index <= 40; index++) unseen.push(op(index, `p${index}`, 'write', 'x', { value: 100 + index }, 0));
    unseen.push(op(41, 'q', 'read', 'x', { output: 1 }, 20, 30));
    expect(searchKey(unseen)).toEqual({ result: 'linearizable', steps: 2 });
    const seen = [op(0, 'p1', 'write', 'x', { value: 1 }, 0, 10), op(1, 'p2', 'write', 'x', { value: 2 }, 0), op(2, 'q', 'read', 'x', { output: 2 }, 20, 30)];
    expect(searchKey(seen).result).toBe('linearizable');
    expect(searchKey(seen.slice(0, 1).concat(seen.slice(2))).result).toBe('violation');
  });

  it('honours an initial value', () => {
    const operations = [op(0, 'p1', 'read', 'x', { output: 0 }, 0, 10)];
    expect(checkKey('x', operations).result).toBe('violation');
    expect(checkKey('x', operations, { initialValue: 0 }).result).toBe('linearizable');
    const absent = checkKey('x', [op(0, 'p1', 'read', 'x', { output: null }, 0, 10)], { initialValue: 0 });
    expect(absent.result === 'violation' && absent.witness.map((operation) => operation.id)).toEqual([0]);
  });
});

describe('the linearizable check', () => {
  const clock = { nowMs: 0 };
  const at = (ms: number): void => {
    clock.nowMs = ms;
  };

  it('holds on a linearizable history and fails on a stale read, with the witness as a timeline', () => {
    const recorder = new HistoryRecorder(clock);
    const check = linearizable<{ history: HistoryRecorder }>((system) => system.history);
    at(0);
    const write = recorder.invoke('p1', { kind: 'write', key: 'k', value: 1 });
    at(10);
    recorder.complete(write, 'ok', { version: 1 });
    expect(evaluate(check, checkRunOf({ history: recorder }, 10))).toEqual({ holds: true, message: '' });
    at(20);
    const read = recorder.invoke('p2', { kind: 'read', key: 'k' });
    at(30);
    recorder.complete(read, 'ok', { output: null, version: 0 });
    const verdict = evaluate(check, checkRunOf({ history: recorder }, 30));
    expect(verdict.holds).toBe(false);
    expect(verdict.message.split('\n')).toEqual([
      'key "k": operations #0, #1 cannot be put in any order that respects real time and a register\'s semantics',
      'linearizable register, key "k": 2 operations, 0–30 ms',
      '#0 p1 k write 1 @v1     ├───────────────┤                                 ok      0–10 ms',
      '#1 p2 k read → nil @v0                                 ├───────────────┤  ok      20–30 ms',
    ]);
    expect(verdict.witness?.operations.map((operation) => operation.id)).toEqual([0, 1]);
  });

  it('fails with "unknown: search budget exhausted" when a key\'s search runs out', () => {
    const recorder = new HistoryRecorder(clock);
    at(0);
    const writes = Array.from({ length: 18 }, (_, index) => recorder.invoke(`p${index}`, { kind: 'write', key: 'x', value: index }));
    at(100);
    for (const write of writes) recorder.complete(write, 'ok');
    at(200);
    const read = recorder.invoke('q', { kind: 'read', key: 'x' });
    at(210);
    recorder.complete(read, 'ok', { output: 99 });
    const verdict = evaluate(linearizable<HistoryRecorder>((system) => system, { maxSearchSteps: 1_000 }), checkRunOf(recorder, 210));
    expect(verdict).toEqual({ holds: false, message: 'unknown: search budget exhausted after 1000 steps on key "x" (raise maxSearchSteps)' });
  });

  it('fails with a clear message when the history hit its cap', () => {
    const recorder = new HistoryRecorder(clock, { maxOperations: 1 });
    recorder.invoke('p1', { kind: 'read', key: 'k' });
    expect(recorder.invoke('p1', { kind: 'read', key: 'k' })).toBeUndefined();
    const verdict = evaluate(linearizable<HistoryRecorder>((system) => system), checkRunOf(recorder, 0));
    expect(verdict.message).toBe('the history reached its cap of 1 operations (1 more not recorded): raise maxOperations or send fewer requests');
  });
});
