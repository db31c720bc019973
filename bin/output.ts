// Where the CLI writes: stdout for results, stderr for progress and colour (only on a TTY).
import { replayCommand } from './replay-command.ts';

/** True when colour may be used on `stream` (a TTY and NO_COLOR unset). */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env);
}

/** Writes one JSON document to stdout and nothing else. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export { replayCommand };
