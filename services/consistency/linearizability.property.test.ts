// Property: on small random histories the checker agrees with a brute-force search over every
// order of every admissible subset of operations. This guards the search's shortcuts (unknown
// writes dropped at their deadline, values nobody saw merged, reads taken as soon as they fit).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { op, type Operation, type OperationKind } from './history.ts';
import { searchKey } from './linearizability.ts';

const text = (value: unknown): string => (value === undefined || value === null ? 'nil' : JSON.stringify(value));

/** The register as a sequential specification: the next state, or undefined when the operation cannot happen. */
function apply(state: unknown, operation: Operation): { state: unknown } | undefined {
  switch (operation.kind) {
    case 'read':
      return text(operation.output) === text(state) ? { state } : undefined;
    case 'write':
      return { state: operation.value };
    case 'cas':
      return text(operation.expected) === text(state) ? { state: operation.value } : undefined;
    case 'append':
      if (state !== null && state !== undefined && !Array.isArray(state)) return undefined;
      return { state: [...((state as unknown[] | null | undefined) ?? []), operation.value] };
  }
}

/** Brute force: some subset (every ok operation, any unknown ones) in some real-time-respecting order fits the register. */
function bruteForce(operations: readonly Operation[]): boolean {
  const required = operations.filter((operation) => operation.outcome === 'ok');
  const optional = operations.filter((operation) => operation.outcome === 'unknown' && operation.kind !== 'read');
  const precedes = (a: Operation, b: Operation): boolean => a.completeMs !== undefined && a.completeMs < b.invokeMs;
  const orderExists = (chosen: Operation[]): boolean => {
    const used = new Array<boolean>(chosen.length).fill(false);
    const extend = (state: unknown, placed: number): boolean => {
      if (placed === chosen.length) return true;
      for (let index = 0; index < chosen.length; index++) {
        if (used[index]) continue;
        const candidate = chosen[index]!;
        // Every chosen operation that completed before this one began must already be placed.
        if (chosen.some((other, otherIndex) => !used[otherIndex] && otherIndex !== index && precedes(other, candidate))) continue;
        const next = apply(state, candidate);
        if (next === undefined) continue;
        used[index] = true;
        if (extend(next.state, placed + 1)) return true;
        used[index] = false;
      }
      return false;
    };
    return extend(null, 0);
  };
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    const chosen = [...required, ...optional.filter((_, index) => (mask >> index) & 1)];
    if (orderExists(chosen)) return true;
  }
  return false;
}

const VALUES = [1, 2, 3];

const registerOperation = fc.record({
  kind: fc.constantFrom<OperationKind>('read', 'write', 'cas'),
  value: fc.constantFrom(...VALUES),
  expected: fc.constantFrom(null, ...VALUES),
  output: fc.constantFrom(null, ...VALUES),
  invokeMs: fc.integer({ min: 0, max: 12 }),
  lengthMs: fc.integer({ min: 0, max: 6 }),
  outcome: fc.constantFrom('ok', 'ok', 'ok', 'unknown', 'fail'),
});

const listOperation = fc.record({
  kind: fc.constantFrom<OperationKind>('read', 'append'),
  value: fc.constantFrom(...VALUES),
  expected: fc.constant(null),
  output: fc.constantFrom<unknown>(null, [1], [2], [1, 2], [2, 1], [1, 2, 3], [3]),
  invokeMs: fc.integer({ min: 0, max: 12 }),
  lengthMs: fc.integer({ min: 0, max: 6 }),
  outcome: fc.constantFrom('ok', 'ok', 'ok', 'unknown'),
});

type Drawn = { kind: OperationKind; value: number; expected: number | null; output: unknown; invokeMs: number; lengthMs: number; outcome: string };

function toHistory(drawn: Drawn[]): Operation[] {
  return drawn.map((draw, id) => {
    const outcome = draw.outcome as 'ok' | 'unknown' | 'fail';
    const fields =
      draw.kind === 'read'
        ? { output: draw.output, outcome }
        : draw.kind === 'cas'
          ? { value: draw.value, expected: draw.expected, outcome }
          : { value: draw.value, outcome };
    return op(id, `p${id}`, draw.kind, 'x', fields, draw.invokeMs, outcome === 'unknown' ? undefined : draw.invokeMs + draw.lengthMs);
  });
}

describe('the search agrees with brute force', () => {
  it('on registers with reads, writes and compare-and-set, answered or not', () => {
    fc.assert(
      fc.property(fc.array(registerOperation, { minLength: 1, maxLength: 6 }), (drawn) => {
        const history = toHistory(drawn as Drawn[]);
        expect(searchKey(history).result).toBe(bruteForce(history) ? 'linearizable' : 'violation');
      }),
      { numRuns: 3000, seed: 17 },
    );
  });

  it('on lists with appends and reads', () => {
    fc.assert(
      fc.property(fc.array(listOperation, { minLength: 1, maxLength: 6 }), (drawn) => {
        const history = toHistory(drawn as Drawn[]);
        expect(searchKey(history).result).toBe(bruteForce(history) ? 'linearizable' : 'violation');
      }),
      { numRuns: 3000, seed: 17 },
    );
  });
});
