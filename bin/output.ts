// Where the CLI writes: stdout for results, stderr for progress and colour (only on a TTY).
import { replayCommand } from './replay-command.ts';

/** True when colour may be used on `stream` (a TTY and NO_COLOR unset). */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env);
}

/** An SGR sequence (colour, bold): the only escape sequence our own output uses on stdout. */
const SGR = /^\u001b\[[0-9;]*m/;

/**
 * Text for a terminal with every control character removed but newline and tab: names and
 * messages from scenarios and result files must not clear the screen, move the cursor or retitle
 * the terminal. Colour sequences (SGR) are kept when `keepColour`.
 */
export function stripControl(text: string, keepColour = false): string {
  // Fast path: most output has no control character at all.
  if (!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text)) return text;
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x1b && keepColour) {
      const match = SGR.exec(text.slice(index, index + 32));
      if (match) {
        out += match[0];
        index += match[0].length - 1;
        continue;
      }
    }
    if ((code < 0x20 && code !== 0x0a && code !== 0x09) || (code >= 0x7f && code <= 0x9f)) continue;
    out += text[index];
  }
  return out;
}

/**
 * Routes everything written to stdout through stripControl (colour kept only where colour is
 * enabled). Installed once by the CLI; JSON output is unaffected (JSON escapes control characters).
 */
export function guardStdout(): void {
  const stream = process.stdout;
  // A reader that stops early (`sim list | head`) closes the pipe: that ends our output, it is
  // not an error of ours, so stop quietly instead of dying on an unhandled EPIPE.
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const keepColour = colorEnabled(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? stripControl(chunk, keepColour) : chunk, ...rest)) as typeof stream.write;
}

/** Writes one JSON document to stdout and nothing else. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export { replayCommand };
