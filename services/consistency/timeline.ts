// Text timelines of history witnesses, for failure messages in the terminal: one row per operation,
// a bar from invocation to completion on a shared time axis, open-ended when no answer came.
import type { HistoryWitness, WitnessOperation } from '../../sim/harness/checks.ts';

/** Columns of the time axis. */
const AXIS_COLUMNS = 48;

function formatMs(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(1);
}

function bar(operation: WitnessOperation, startMs: number, spanMs: number): string {
  const column = (ms: number): number => Math.min(AXIS_COLUMNS - 1, Math.round(((ms - startMs) / spanMs) * (AXIS_COLUMNS - 1)));
  const from = column(operation.invokeMs);
  const to = operation.completeMs === undefined ? AXIS_COLUMNS - 1 : Math.max(from, column(operation.completeMs));
  const cells = Array.from({ length: AXIS_COLUMNS }, () => ' ');
  for (let index = from; index <= to; index++) cells[index] = operation.completeMs === undefined ? '·' : '─';
  cells[from] = '├';
  cells[to] = operation.completeMs === undefined ? '→' : to === from ? '│' : '┤';
  return cells.join('');
}

/**
 * Renders a witness as lines of text: a header naming the model and the time span, then one row
 * per operation (id, session, operation, bar, outcome and times), in order of invocation.
 */
export function renderTimeline(witness: HistoryWitness): string[] {
  const operations = [...witness.operations].sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id);
  if (operations.length === 0) return [`${witness.model}: no operations`];
  const startMs = operations[0]!.invokeMs;
  const endMs = Math.max(...operations.map((operation) => operation.completeMs ?? operation.invokeMs));
  const spanMs = Math.max(endMs - startMs, 1);
  const labels = operations.map((operation) => `#${operation.id} ${operation.process} ${operation.key} ${operation.text}`);
  const width = Math.max(...labels.map((label) => label.length));
  const lines = [`${witness.model}: ${operations.length} operation${operations.length === 1 ? '' : 's'}, ${formatMs(startMs)}–${formatMs(endMs)} ms`];
  operations.forEach((operation, index) => {
    const times = operation.completeMs === undefined ? `${formatMs(operation.invokeMs)} ms – no answer` : `${formatMs(operation.invokeMs)}–${formatMs(operation.completeMs)} ms`;
    lines.push(`${labels[index]!.padEnd(width)}  ${bar(operation, startMs, spanMs)}  ${operation.outcome.padEnd(7)} ${times}`);
  });
  return lines;
}

/** A one-line summary plus the timeline: the message of a history check's failure. */
export function violationMessage(summary: string, witness: HistoryWitness): string {
  return [summary, ...renderTimeline(witness)].join('\n');
}
