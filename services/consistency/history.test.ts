// Tests for services/consistency/history.ts: what the recorder keeps for each outcome, which errors
// count as definite failures, streaming to a listener, the cap, and the text of operations.
import { describe, expect, it } from 'vitest';
import { RpcError } from '../../sim/engine/errors.ts';
import { HistoryRecorder, describeOperation, isDefiniteFailure, op, type Caller, type Operation } from './history.ts';

describe('HistoryRecorder', () => {
  const clock = { nowMs: 0 };
  /** A caller whose answer (or error) arrives 5 ms later on the shared clock. */
  const callerAnswering = (answer: unknown): Caller => ({
    call: async <T>(): Promise<T> => {
      clock.nowMs += 5;
      if (answer instanceof Error) throw answer;
      return answer as T;
    },
  });

  it('records invocation and completion times, the read value and the version', async () => {
    clock.nowMs = 100;
    const recorder = new HistoryRecorder(clock);
    await recorder.call(callerAnswering({ value: 7, version: 3 }), 's1', { kind: 'read', key: 'k' }, 'kv', 'read');
    expect(recorder.operations).toEqual([{ id: 0, process: 's1', kind: 'read', key: 'k', invokeMs: 100, completeMs: 105, outcome: 'ok', output: 7, version: 3 }]);
  });

  it('a cas that did not apply is a fail; a timeout is unknown, with no completion time; errors are rethrown', async () => {
    const recorder = new HistoryRecorder(clock);
    await recorder.call(callerAnswering({ applied: false, value: 1, version: 2 }), 's1', { kind: 'cas', key: 'k', expected: 0, value: 1 }, 'kv', 'cas');
    await expect(recorder.call(callerAnswering(new RpcError('timeout', 'slow', 'kv')), 's1', { kind: 'write', key: 'k', value: 2 }, 'kv', 'write')).rejects.toThrow('slow');
    expect(recorder.operations.map((operation) => [operation.outcome, operation.completeMs === undefined])).toEqual([
      ['fail', false],
      ['unknown', true],
    ]);
  });

  it('counts an error as a definite failure only when its code proves nothing happened and the called node itself sent it', () => {
    expect(isDefiniteFailure(new RpcError('refused', 'down', 'kv'), 'kv')).toBe(true);
    expect(isDefiniteFailure(new RpcError('overloaded', 'full', 'kv'), 'kv')).toBe(true);
    // Relayed from a node further down: the called node may have applied the write before asking it.
    expect(isDefiniteFailure(new RpcError('refused', 'down', 'follower'), 'kv')).toBe(false);
    expect(isDefiniteFailure(new RpcError('timeout', 'slow', 'kv'), 'kv')).toBe(false);
    expect(isDefiniteFailure(new RpcError('application', 'boom', 'kv'), 'kv')).toBe(false);
    expect(isDefiniteFailure(new Error('plain'))).toBe(false);
  });

  it('streams each operation to a listener as it completes', async () => {
    const streamed: number[] = [];
    const recorder = new HistoryRecorder(clock, { onComplete: (operation) => streamed.push(operation.id) });
    const first = recorder.invoke('s1', { kind: 'write', key: 'a', value: 1 });
    const second = recorder.invoke('s2', { kind: 'write', key: 'b', value: 2 });
    recorder.complete(second, 'ok');
    recorder.complete(first, 'unknown');
    expect(streamed).toEqual([1, 0]);
    expect(() => recorder.complete(first, 'ok')).toThrow('operation 0 completed twice');
  });

  it('keeps at most maxOperations and counts what it refused', () => {
    const recorder = new HistoryRecorder(clock, { maxOperations: 2 });
    for (let index = 0; index < 5; index++) recorder.invoke('s1', { kind: 'read', key: 'k' });
    expect(recorder.operations).toHaveLength(2);
    expect(recorder.dropped).toBe(3);
    expect(recorder.overflowed).toBe(true);
    expect(() => new HistoryRecorder(clock, { maxOperations: 0 })).toThrow('maxOperations must be a whole number > 0, got 0');
  });

  it('counts changes per key, so checkers can skip keys that did not change', () => {
    const recorder = new HistoryRecorder(clock);
    const write = recorder.invoke('s1', { kind: 'write', key: 'a', value: 1 });
    recorder.complete(write, 'ok');
    recorder.invoke('s1', { kind: 'read', key: 'b' });
    expect([recorder.changesOf('a'), recorder.changesOf('b'), recorder.changesOf('c'), recorder.changes]).toEqual([2, 1, 0, 3]);
  });
});

describe('describeOperation', () => {
  it('writes each kind the way timelines show it', () => {
    const texts = [
      op(0, 's', 'read', 'k', { output: [1, 2], version: 4 }, 0, 1),
      op(1, 's', 'read', 'k', { output: null }, 0, 1),
      op(2, 's', 'read', 'k', {}, 0),
      op(3, 's', 'write', 'k', { value: 'x', version: 2 }, 0, 1),
      op(4, 's', 'cas', 'k', { expected: 1, value: 2 }, 0, 1),
      op(5, 's', 'append', 'k', { value: 3 }, 0),
    ].map((operation: Operation) => describeOperation(operation));
    expect(texts).toEqual(['read → [1,2] @v4', 'read → nil', 'read', 'write "x" @v2', 'cas 1→2', 'append 3']);
  });
});
