// Linearizability of key-value histories: each key is a register (read, write, compare-and-set,
// append), checked on its own (linearizability is compositional, P-compositionality), by the
// Wing–Gong search with Lowe's memoisation (the algorithm of Knossos' `wgl` and Porcupine), under a
// step budget. A violation is cut down to a small set of operations that still cannot be ordered.
//
// Cost: nearly linear in the operations of a key while few overlap (10,000 operations over 100
// keys: ~9,000 steps, ~0.1 s), but it grows steeply with the operations in flight at once on one
// key: 10,000 operations on a single key from 10 concurrent sessions take ~230,000 steps; 1,000
// from 20 sessions, ~1.2 million, past the default budget (the answer is then "unknown").
import { byKey, type Operation } from './history.ts';

/** Options of the linearizability checker. */
export interface LinearizabilityOptions {
  /** Most search steps per key before the answer is "unknown: search budget exhausted". Default 1,000,000. */
  maxSearchSteps?: number;
  /** Most sub-histories tried while minimising a witness (each one a search). Default 400. */
  maxMinimiseChecks?: number;
  /** Value of every key before any write (default: absent, shown as nil). */
  initialValue?: unknown;
}

/** The verdict on a history. */
export type LinearizabilityResult =
  | { result: 'linearizable'; steps: number }
  | {
      result: 'violation';
      key: string;
      /** A small set of operations of `key` that cannot be ordered (no operation can be dropped and keep it so, within the minimising budget). */
      witness: Operation[];
      steps: number;
    }
  | { result: 'unknown'; key: string; reason: string; steps: number };

/** The verdict on one key's operations. */
export type SearchResult = { result: 'linearizable' | 'violation' | 'unknown'; steps: number };

const NIL = 'nil';
/** The state after a write of a value no answered operation saw (not JSON, so no read matches it). */
const UNSEEN = '\u0000unseen';

/** An operation prepared for the search: values as JSON text, so states compare as strings. */
interface Prepared {
  kind: Operation['kind'];
  /** write, cas, append: the value written (JSON). */
  input: string;
  /** cas: the value expected (JSON). */
  expected: string;
  /** read: the value returned (JSON). */
  output: string;
  /** No answer: may take effect any time after invocation, or never. */
  indeterminate: boolean;
  invokeMs: number;
  completeMs: number;
}

function json(value: unknown): string {
  return value === undefined || value === null ? NIL : JSON.stringify(value);
}

/**
 * Operations that matter to the search. A `fail` took no effect, and a read without an answer
 * constrains nothing, so both are left out. Pending operations count as unknown.
 *
 * An unknown write may take effect any time after its invocation, or never. Once every answered
 * operation that saw its value has completed (its deadline), taking effect would change nothing
 * anyone observed, so the search treats it as completing at that deadline, where it may also be
 * dropped as "never"; one whose value nobody saw is left out altogether. Without this, every
 * unknown write stays a candidate at every later point of the search.
 */
function prepare(operations: readonly Operation[]): Prepared[] {
  const deadlines = observationDeadlines(operations);
  const prepared: Prepared[] = [];
  for (const operation of operations) {
    if (operation.outcome === 'fail') continue;
    const indeterminate = operation.outcome !== 'ok';
    if (indeterminate && operation.kind === 'read') continue;
    const deadlineMs = indeterminate ? deadlines.get(json(operation.value)) : undefined;
    if (indeterminate && !(deadlineMs !== undefined && deadlineMs >= operation.invokeMs)) continue;
    const input = json(operation.value);
    prepared.push({
      kind: operation.kind,
      // Values nobody saw are all alike to what follows, so they share one state: orders of
      // concurrent writes that differ only in such values meet in the memo instead of multiplying.
      input: operation.kind !== 'append' && !deadlines.has(input) && !Array.isArray(operation.value) ? UNSEEN : input,
      expected: json(operation.expected),
      output: json(operation.output),
      indeterminate,
      invokeMs: operation.invokeMs,
      completeMs: indeterminate ? deadlineMs! : (operation.completeMs ?? Infinity),
    });
  }
  return prepared;
}

/**
 * For each value the history depends on, the last completion of an answered operation that saw
 * it: a read that returned it (or a list holding it), a cas that expected it. An unknown cas
 * that produces such a value passes its deadline on to the value it expected, since that value
 * had to be written first.
 */
function observationDeadlines(operations: readonly Operation[]): Map<string, number> {
  const deadlines = new Map<string, number>();
  const observe = (value: string, atMs: number): boolean => {
    const current = deadlines.get(value);
    if (current !== undefined && current >= atMs) return false;
    deadlines.set(value, atMs);
    return true;
  };
  for (const operation of operations) {
    if (operation.outcome !== 'ok' || operation.completeMs === undefined) continue;
    if (operation.kind === 'cas') observe(json(operation.expected), operation.completeMs);
    if (operation.kind !== 'read') continue;
    observe(json(operation.output), operation.completeMs);
    if (Array.isArray(operation.output)) for (const element of operation.output) observe(json(element), operation.completeMs);
  }
  const pendingCas = operations.filter((operation) => operation.kind === 'cas' && operation.outcome !== 'ok' && operation.outcome !== 'fail');
  // Deadlines only grow, to values already present: at most one pass per pending cas changes anything.
  for (let pass = 0, grew = true; grew && pass <= pendingCas.length; pass++) {
    grew = false;
    for (const operation of pendingCas) {
      const deadlineMs = deadlines.get(json(operation.value));
      if (deadlineMs !== undefined && observe(json(operation.expected), deadlineMs)) grew = true;
    }
  }
  return deadlines;
}

/** The register's transition: the next state, or undefined when the operation cannot happen in `state`. */
function step(state: string, operation: Prepared): string | undefined {
  switch (operation.kind) {
    case 'read':
      return operation.output === state ? state : undefined;
    case 'write':
      return operation.input;
    case 'cas':
      // An unknown cas that did not match failed: the search drops it at its deadline instead.
      return operation.expected === state ? operation.input : undefined;
    case 'append':
      if (state === NIL || state === '[]') return `[${operation.input}]`;
      return state.startsWith('[') ? `${state.slice(0, -1)},${operation.input}]` : undefined;
  }
}

/** A set of operations as a bitset, with a 64-bit Zobrist hash kept up to date on every toggle. */
class OperationSet {
  readonly words: Uint32Array;
  hashLow = 0;
  hashHigh = 0;
  private readonly keysLow: Int32Array;
  private readonly keysHigh: Int32Array;

  constructor(count: number) {
    this.words = new Uint32Array(Math.ceil(count / 32));
    this.keysLow = new Int32Array(count);
    this.keysHigh = new Int32Array(count);
    // Fixed pseudo-random keys (xorshift32): the same on every run, no host randomness.
    let x = 0x9e3779b9 | 0;
    const nextKey = (): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x;
    };
    for (let index = 0; index < count; index++) {
      this.keysLow[index] = nextKey();
      this.keysHigh[index] = nextKey();
    }
  }

  toggle(index: number): void {
    this.words[index >> 5]! ^= 1 << (index & 31);
    this.hashLow ^= this.keysLow[index]!;
    this.hashHigh ^= this.keysHigh[index]!;
  }
}

/** Lowe's memo: (set of linearized operations, state) pairs already explored, compared exactly (the hash only buckets). */
class Memo {
  private readonly buckets = new Map<string, Uint32Array[]>();

  /** True when the pair is new (and remembers it); false when it was seen before. */
  remember(set: OperationSet, state: string): boolean {
    const key = `${set.hashLow},${set.hashHigh}|${state}`;
    const bucket = this.buckets.get(key);
    if (bucket === undefined) {
      this.buckets.set(key, [set.words.slice()]);
      return true;
    }
    for (const words of bucket) if (sameWords(words, set.words)) return false;
    bucket.push(set.words.slice());
    return true;
  }
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/**
 * Wing–Gong–Lowe search over one key's operations: walks the invocation/completion events in time
 * order, linearizes an invoked operation when the register allows it, backtracks at a completion
 * whose operation is not yet linearized, and skips any (linearized set, state) pair seen before.
 * Operations completing at the instant another is invoked count as concurrent.
 */
export function searchKey(operations: readonly Operation[], options: LinearizabilityOptions = {}): SearchResult {
  return search(prepare(operations), json(options.initialValue), options.maxSearchSteps ?? 1_000_000);
}

function search(ops: readonly Prepared[], initial: string, maxSteps: number): SearchResult {
  const count = ops.length;
  if (count === 0) return { result: 'linearizable', steps: 0 };
  const eventCount = 2 * count;
  // Events: 2i is the invocation of op i, 2i+1 its completion; sorted by time, invocations first on ties.
  const order: number[] = [];
  for (let event = 0; event < eventCount; event++) order.push(event);
  const timeOf = (event: number): number => ((event & 1) === 0 ? ops[event >> 1]!.invokeMs : ops[event >> 1]!.completeMs);
  order.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
  const head = eventCount;
  const next = new Int32Array(eventCount + 1).fill(-1);
  const prev = new Int32Array(eventCount + 1).fill(-1);
  let last = head;
  for (const event of order) {
    next[last] = event;
    prev[event] = last;
    last = event;
  }
  const unlink = (event: number): void => {
    next[prev[event]!] = next[event]!;
    if (next[event]! >= 0) prev[next[event]!] = prev[event]!;
  };
  const relink = (event: number): void => {
    if (next[event]! >= 0) prev[next[event]!] = event;
    next[prev[event]!] = event;
  };
  const linearized = new OperationSet(count);
  const memo = new Memo();
  const stackEvents: number[] = [];
  const stackStates: string[] = [];
  /** Whether each stacked choice had no alternative (a read taken, an unknown operation dropped). */
  const stackForced: boolean[] = [];
  let state = initial;
  let entry = next[head]!;
  let steps = 0;
  while (next[head]! !== -1) {
    if (++steps > maxSteps) return { result: 'unknown', steps };
    const index = entry >> 1;
    const op = ops[index]!;
    let backtrack = false;
    if ((entry & 1) === 0) {
      const after = step(state, op);
      if (after !== undefined) {
        linearized.toggle(index);
        if (memo.remember(linearized, after)) {
          // A read that fits now is taken now, with no alternative: it changes no state, so any
          // order that takes it later works with it moved here (every operation that must precede
          // it has already completed, hence is linearized).
          stackEvents.push(entry);
          stackStates.push(state);
          stackForced.push(op.kind === 'read');
          state = after;
          unlink(entry);
          unlink(entry + 1);
          entry = next[head]!;
          continue;
        }
        linearized.toggle(index);
        // Seen and failed: for a read that means this configuration fails too (as above).
        backtrack = op.kind === 'read';
      }
      if (!backtrack) {
        entry = next[entry]!;
        continue;
      }
    } else if (op.indeterminate) {
      // Past its deadline an unknown operation may be dropped: it never took effect.
      linearized.toggle(index);
      if (memo.remember(linearized, state)) {
        stackEvents.push(entry - 1);
        stackStates.push(state);
        stackForced.push(true);
        unlink(entry - 1);
        unlink(entry);
        entry = next[head]!;
        continue;
      }
      linearized.toggle(index);
    }
    // A completion reached while its operation is not linearized: undo the last choice. Forced
    // choices (a read taken, an operation dropped) have no alternative, so undoing goes on past them.
    let forced = true;
    while (forced) {
      if (stackEvents.length === 0) return { result: 'violation', steps };
      const call = stackEvents.pop()!;
      state = stackStates.pop()!;
      forced = stackForced.pop()!;
      const undone = call >> 1;
      linearized.toggle(undone);
      relink(call + 1);
      relink(call);
      entry = next[call]!;
    }
  }
  return { result: 'linearizable', steps };
}

/**
 * True when every answer in `operations` can be explained by a write among them (a failed one
 * too: a read of its value is the violation to show) or the initial value. Minimising keeps to
 * such sub-histories, so a witness never degenerates to "a read of a value nobody wrote".
 */
function explained(operations: readonly Operation[], initial: string): boolean {
  const writers = new Map<string, number>([[initial, 1]]);
  const appended = new Set<string>();
  for (const operation of operations) {
    if (operation.kind === 'write' || operation.kind === 'cas') writers.set(json(operation.value), (writers.get(json(operation.value)) ?? 0) + 1);
    if (operation.kind === 'append') appended.add(json(operation.value));
  }
  const written = new Set(writers.keys());
  for (const operation of operations) {
    if (operation.outcome === 'fail') continue;
    if (operation.kind === 'cas') {
      // The value a cas expects must come from some other operation than the cas itself.
      const expected = json(operation.expected);
      const own = json(operation.value) === expected ? 1 : 0;
      if ((writers.get(expected) ?? 0) - own < 1) return false;
    }
    if (operation.kind !== 'read' || operation.outcome !== 'ok') continue;
    const output = json(operation.output);
    if (written.has(output)) continue;
    if (output === NIL) return false;
    const list: unknown = JSON.parse(output);
    if (!Array.isArray(list) || !list.every((element) => appended.has(JSON.stringify(element)))) return false;
  }
  return true;
}

/**
 * Cuts a non-linearizable history down: drops chunks of operations, halving the chunk size down
 * to single operations (repeated until none can go), keeping each cut after which the rest is
 * still non-linearizable and explained. Ends 1-minimal unless `maxChecks` searches run out first.
 */
function minimise(operations: readonly Operation[], initial: string, maxSteps: number, maxChecks: number): Operation[] {
  let current = [...operations];
  let checks = 0;
  const stillViolates = (candidate: Operation[]): boolean => {
    checks++;
    return explained(candidate, initial) && search(prepare(candidate), initial, maxSteps).result === 'violation';
  };
  let chunk = Math.max(1, Math.floor(current.length / 2));
  for (;;) {
    let removed = false;
    for (let end = current.length; end > 0 && checks < maxChecks; end -= chunk) {
      const start = Math.max(0, end - chunk);
      const candidate = [...current.slice(0, start), ...current.slice(end)];
      if (candidate.length > 0 && stillViolates(candidate)) {
        current = candidate;
        removed = true;
      }
    }
    // Single operations are tried again after any removal: dropping one can free another.
    if (checks >= maxChecks || (chunk === 1 && !removed)) return current;
    chunk = Math.max(1, Math.floor(chunk / 2));
  }
}

/** Checks one key's operations; on a violation, returns a minimised witness. */
export function checkKey(key: string, operations: readonly Operation[], options: LinearizabilityOptions = {}): LinearizabilityResult {
  const initial = json(options.initialValue);
  const maxSteps = options.maxSearchSteps ?? 1_000_000;
  const ops = prepare(operations);
  const verdict = search(ops, initial, maxSteps);
  if (verdict.result === 'linearizable') return { result: 'linearizable', steps: verdict.steps };
  if (verdict.result === 'unknown') return { result: 'unknown', key, reason: `search budget exhausted after ${maxSteps} steps on key ${JSON.stringify(key)}`, steps: verdict.steps };
  const witness = minimise(operations, initial, maxSteps, options.maxMinimiseChecks ?? 400);
  witness.sort((a, b) => a.id - b.id);
  return { result: 'violation', key, witness, steps: verdict.steps };
}

/**
 * Checks a whole history, key by key, in order of each key's first operation. Stops at the first
 * violation; a key whose search ran out of budget makes the answer "unknown" unless another
 * key is a violation.
 */
export function checkLinearizable(operations: readonly Operation[], options: LinearizabilityOptions = {}): LinearizabilityResult {
  let steps = 0;
  let unknown: LinearizabilityResult | undefined;
  for (const [key, group] of byKey(operations)) {
    const verdict = checkKey(key, group, options);
    steps += verdict.steps;
    if (verdict.result === 'violation') return { ...verdict, steps };
    if (verdict.result === 'unknown') unknown ??= verdict;
  }
  return unknown ? { ...unknown, steps } : { result: 'linearizable', steps };
}
