// Tests for session guarantees and bounded staleness: each guarantee broken and kept, one by one,
// on hand-made histories whose versions are what the store reported.
import { describe, expect, it } from 'vitest';
import { checkRunOf } from '../../test/kit/scenario.ts';
import { op } from './history.ts';
import { findSessionViolation, readYourWrites } from './session-guarantees.ts';
import { findStaleRead, boundedStaleness } from './staleness.ts';
import { HistoryRecorder } from './history.ts';
import { evaluate } from '../../sim/harness/checks.ts';

const write = (id: number, process: string, version: number, invokeMs: number, completeMs: number, key = 'k') => op(id, process, 'write', key, { value: version, version }, invokeMs, completeMs);
const read = (id: number, process: string, version: number, invokeMs: number, completeMs: number, key = 'k') => op(id, process, 'read', key, { output: version, version }, invokeMs, completeMs);

describe('read-your-writes', () => {
  it('fails when a session reads an older version than it wrote', () => {
    const violation = findSessionViolation([write(0, 's1', 5, 0, 10), read(1, 's1', 4, 20, 30)], 'read-your-writes');
    expect(violation?.message).toBe('read-your-writes: session s1, key "k": #1 read → 4 @v4 after #0 write 5 @v5 (a read must see the session\'s earlier writes)');
  });
  it('holds when the read sees the write or a newer one, and ignores other sessions and keys', () => {
    expect(findSessionViolation([write(0, 's1', 5, 0, 10), read(1, 's1', 5, 20, 30), read(2, 's1', 7, 40, 50)], 'read-your-writes')).toBeUndefined();
    expect(findSessionViolation([write(0, 's1', 5, 0, 10), read(1, 's2', 4, 20, 30)], 'read-your-writes')).toBeUndefined();
    expect(findSessionViolation([write(0, 's1', 5, 0, 10), read(1, 's1', 4, 20, 30, 'other')], 'read-your-writes')).toBeUndefined();
  });
  it('does not order a read that began before the write completed', () => {
    expect(findSessionViolation([write(0, 's1', 5, 0, 10), read(1, 's1', 4, 10, 30)], 'read-your-writes')).toBeUndefined();
  });
  it('does not judge writes that failed or got no answer', () => {
    const unanswered = op(0, 's1', 'write', 'k', { value: 5 }, 0);
    const failed = op(1, 's1', 'write', 'k', { value: 6, version: 6, outcome: 'fail' }, 0, 5);
    expect(findSessionViolation([unanswered, failed, read(2, 's1', 4, 20, 30)], 'read-your-writes')).toBeUndefined();
  });
});

describe('monotonic reads', () => {
  it('fails when a later read sees an older version', () => {
    expect(findSessionViolation([read(0, 's1', 5, 0, 10), read(1, 's1', 3, 20, 30)], 'monotonic-reads')?.message).toBe(
      'monotonic-reads: session s1, key "k": #1 read → 3 @v3 after #0 read → 5 @v5 (a read must not see an older version than an earlier read)',
    );
  });
  it('holds for equal or newer versions and for overlapping reads', () => {
    expect(findSessionViolation([read(0, 's1', 5, 0, 10), read(1, 's1', 5, 20, 30), read(2, 's1', 6, 40, 50)], 'monotonic-reads')).toBeUndefined();
    expect(findSessionViolation([read(0, 's1', 5, 0, 30), read(1, 's1', 3, 20, 40)], 'monotonic-reads')).toBeUndefined();
  });
});

describe('monotonic writes', () => {
  it('fails when a later write of the session was ordered before an earlier one', () => {
    expect(findSessionViolation([write(0, 's1', 8, 0, 10), write(1, 's1', 7, 20, 30)], 'monotonic-writes')?.later.id).toBe(1);
  });
  it('holds when the session\'s writes are ordered as it made them', () => {
    expect(findSessionViolation([write(0, 's1', 7, 0, 10), write(1, 's1', 8, 20, 30), write(2, 's2', 1, 40, 50)], 'monotonic-writes')).toBeUndefined();
  });
});

describe('writes follow reads', () => {
  it('fails when a write is ordered before a version the session read', () => {
    expect(findSessionViolation([read(0, 's1', 9, 0, 10), write(1, 's1', 9, 20, 30)], 'writes-follow-reads')?.message).toBe(
      'writes-follow-reads: session s1, key "k": #1 write 9 @v9 after #0 read → 9 @v9 (a write must be ordered after the versions the session read)',
    );
  });
  it('holds when the write comes after what was read', () => {
    expect(findSessionViolation([read(0, 's1', 9, 0, 10), write(1, 's1', 10, 20, 30)], 'writes-follow-reads')).toBeUndefined();
  });
});

describe('a session-guarantee check', () => {
  it('fails with a witness of the two operations', () => {
    const clock = { nowMs: 0 };
    const recorder = new HistoryRecorder(clock);
    const w = recorder.invoke('s1', { kind: 'write', key: 'k', value: 1 });
    clock.nowMs = 10;
    recorder.complete(w, 'ok', { version: 1 });
    const check = readYourWrites<HistoryRecorder>((system) => system);
    expect(evaluate(check, checkRunOf(recorder, 10)).holds).toBe(true);
    clock.nowMs = 20;
    const r = recorder.invoke('s1', { kind: 'read', key: 'k' });
    clock.nowMs = 30;
    recorder.complete(r, 'ok', { output: null, version: 0 });
    const verdict = evaluate(check, checkRunOf(recorder, 30));
    expect(verdict.message.split('\n')[0]).toBe('read-your-writes: session s1, key "k": #1 read → nil @v0 after #0 write 1 @v1 (a read must see the session\'s earlier writes)');
    expect(verdict.witness?.operations.map((operation) => [operation.id, operation.text])).toEqual([[0, 'write 1 @v1'], [1, 'read → nil @v0']]);
  });
});

describe('bounded staleness', () => {
  it('fails when a read misses a write acknowledged longer ago than the bound', () => {
    const violation = findStaleRead([write(0, 'w', 1, 0, 10), write(1, 'w', 2, 20, 30), read(2, 'r', 1, 600, 610)], 500);
    expect(violation?.message).toBe('bounded staleness (500 ms): key "k": #2 read → 1 @v1 missed #1 write 2 @v2, acknowledged 570 ms before the read');
    expect(violation?.ageMs).toBe(570);
  });
  it('allows a read to miss writes younger than the bound', () => {
    expect(findStaleRead([write(0, 'w', 1, 0, 10), write(1, 'w', 2, 20, 300), read(2, 'r', 1, 600, 610)], 500)).toBeUndefined();
  });
  it('judges each key on its own', () => {
    expect(findStaleRead([write(0, 'w', 5, 0, 10, 'a'), read(1, 'r', 1, 600, 610, 'b')], 500)).toBeUndefined();
  });
  it('as a check, names the bound in its name', () => {
    const recorder = new HistoryRecorder({ nowMs: 0 });
    expect(boundedStaleness<HistoryRecorder>((system) => system, { boundMs: 250 }).name).toBe('reads at most 250 ms stale');
    expect(evaluate(boundedStaleness<HistoryRecorder>((system) => system, { boundMs: 250 }), checkRunOf(recorder, 0)).holds).toBe(true);
  });
});
