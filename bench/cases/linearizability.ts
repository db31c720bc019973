// The linearizability checker on a generated 10,000-operation history over 100 keys (issue 17:
// under 5 s): 20 client sessions, overlapping reads, writes and compare-and-sets, 5% timeouts
// (half of which took effect). The history is linearizable by construction (each operation takes
// effect at a drawn instant inside its interval), so the checker must search it through; a second
// run with one stale read planted measures finding and minimising a violation.
import { pathToFileURL } from 'node:url';
import { Rng } from '../../sim/engine/rng.ts';
import { checkLinearizable } from '../../services/consistency/linearizability.ts';
import { op, type Operation } from '../../services/consistency/history.ts';

interface Planned {
  operation: Operation;
  /** When it takes effect; Infinity when it never does. */
  effectMs: number;
}

/** A linearizable history: each session issues operations back to back on random keys. */
export function generateHistory(operations: number, keys: number, sessions: number, seed = 1): Operation[] {
  const rng = new Rng(seed, 'bench').fork('history');
  const planned: Planned[] = [];
  const clockMs = new Array<number>(sessions).fill(0);
  for (let id = 0; id < operations; id++) {
    const session = id % sessions;
    const invokeMs = clockMs[session]! + rng.exponential(2);
    const completeMs = invokeMs + rng.uniform(0.5, 8);
    clockMs[session] = completeMs;
    const key = `k${rng.int(0, keys)}`;
    const draw = rng.uniform(0, 1);
    const timedOut = rng.chance(0.05);
    const kind = draw < 0.5 ? 'read' : draw < 0.9 ? 'write' : 'cas';
    const fields = kind === 'write' ? { value: id } : kind === 'cas' ? { expected: 0, value: id } : {};
    const operation = op(id, `s${session}`, kind, key, { ...fields, outcome: timedOut ? 'unknown' : 'ok' }, invokeMs, timedOut ? undefined : completeMs);
    const takesEffect = !timedOut || rng.chance(0.5);
    planned.push({ operation, effectMs: takesEffect ? rng.uniform(invokeMs, completeMs) : Infinity });
  }
  // Apply in effect order to learn what each read returned and whether each cas matched.
  const state = new Map<string, unknown>();
  for (const { operation, effectMs } of [...planned].sort((a, b) => a.effectMs - b.effectMs)) {
    if (effectMs === Infinity) break;
    const current = state.get(operation.key) ?? null;
    if (operation.kind === 'read') operation.output = current;
    else if (operation.kind === 'write') state.set(operation.key, operation.value);
    else if (current === (operation.expected ?? null) || JSON.stringify(current) === JSON.stringify(operation.expected)) state.set(operation.key, operation.value);
    else if (operation.outcome === 'ok') operation.outcome = 'fail';
  }
  // A read that timed out returned nothing.
  for (const { operation } of planned) if (operation.kind === 'read' && operation.outcome === 'unknown') delete operation.output;
  return planned.map((entry) => entry.operation);
}

/** Times the checker on the generated history, then on a copy with one stale read planted. */
export function benchLinearizability(operations: number, keys: number): Record<string, number> {
  const history = generateHistory(operations, keys, 20);
  const startMs = performance.now();
  const verdict = checkLinearizable(history);
  const wallMs = performance.now() - startMs;
  if (verdict.result !== 'linearizable') throw new Error(`generated history judged ${verdict.result}`);
  // Plant a stale read: a late read of the first key that returns the key's first written value.
  const firstWrite = history.find((operation) => operation.kind === 'write' && operation.outcome === 'ok')!;
  const lastOfKey = history.filter((operation) => operation.key === firstWrite.key).at(-1)!;
  const endMs = (lastOfKey.completeMs ?? lastOfKey.invokeMs) + 100;
  const planted = [...history, op(history.length, 'stale', 'read', firstWrite.key, { output: firstWrite.value }, endMs, endMs + 1)];
  const violationStartMs = performance.now();
  const violation = checkLinearizable(planted);
  const violationWallMs = performance.now() - violationStartMs;
  if (violation.result !== 'violation') throw new Error(`planted stale read judged ${violation.result}`);
  return { operations, keys, wallMs, steps: verdict.steps, violationWallMs, witnessOperations: violation.witness.length };
}

// `node --import tsx bench/cases/linearizability.ts 10000 100` prints the figures as one JSON line.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = benchLinearizability(Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 100));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
