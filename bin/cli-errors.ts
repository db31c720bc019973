// Exit codes and the one-line error reporting of the CLI (DESIGN §6).
import { ConfigError, NondeterminismError } from '../sim/engine/errors.ts';

/** Exit codes of `sim`. */
export const EXIT = {
  ok: 0,
  checkFailed: 1,
  badInput: 2,
  nondeterminism: 3,
  internal: 4,
} as const;

/** Bad usage or bad input: printed as one line on stderr, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';

  /** Lines printed after the one-line message, e.g. the code frame of a syntax error. */
  readonly detail: string | undefined;

  constructor(message: string, detail?: string) {
    super(message);
    this.detail = detail;
  }
}

/** Maps an error to its exit code and prints one line for it (no stack trace for input errors). */
export function reportError(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) {
    process.stderr.write(`sim: ${oneLine(error.message)}\n`);
    if (error instanceof UsageError && error.detail) process.stderr.write(`${error.detail.trimEnd()}\n`);
    return EXIT.badInput;
  }
  if (error instanceof NondeterminismError) {
    process.stderr.write(`sim: nondeterminism: ${oneLine(error.message)}\n`);
    return EXIT.nondeterminism;
  }
  const message = error instanceof Error ? error.stack ?? error.message : String(error);
  process.stderr.write(`sim: internal error (a bug in the simulator; please report it with the command you ran):\n${message}\n`);
  return EXIT.internal;
}

/** Folds a message onto one line. */
export function oneLine(text: string): string {
  // Control characters go too: a message may carry a scenario's or a result file's text.
  return text.replace(/\s*\n\s*/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
}
