// Exit codes and the one-line error reporting of the CLI (DESIGN §6).
import { ConfigError, NondeterminismError, errorMessage } from '../sim/engine/errors.ts';

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

/** The variant run an error happened in: its seed, variant and the command that replays it. */
export interface RunPlace {
  seed: number;
  variant: string;
  replay: string;
}

/**
 * A bug in dsim itself (an EngineInvariantError, an exception from dsim's own code) during one
 * variant run: exit 4, reported with the seed and the replay line so the bug can be reproduced.
 */
export class InternalRunError extends Error {
  override name = 'InternalRunError';

  constructor(
    /** The error as the run threw it (its stack is printed for the bug report). */
    readonly original: unknown,
    readonly place: RunPlace,
  ) {
    super(errorMessage(original));
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
  if (error instanceof InternalRunError) {
    const { seed, variant, replay } = error.place;
    process.stderr.write(
      `sim: internal error at seed ${seed}, variant ${variant} (a bug in the simulator; please report it with this replay line): ${oneLine(describe(error.original))}\n` +
        `replay: ${replay}\n${stackOf(error.original)}`,
    );
    return EXIT.internal;
  }
  process.stderr.write(`sim: internal error (a bug in the simulator; please report it with the command you ran):\n${stackOf(error) || `${describe(error)}\n`}`);
  return EXIT.internal;
}

/** `Name: message` of anything thrown; total (a value whose String() throws gets a placeholder). */
function describe(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`.split('\n')[0]!;
  } catch {
    // A hostile value: errorMessage gives its placeholder.
  }
  return errorMessage(error);
}

/** The stack of an error with a newline after it, or '' when it has none (or reading it throws). */
function stackOf(error: unknown): string {
  try {
    return error instanceof Error && typeof error.stack === 'string' ? `${error.stack.trimEnd()}\n` : '';
  } catch {
    return '';
  }
}

/** Folds a message onto one line. */
export function oneLine(text: string): string {
  // Control characters go too: a message may carry a scenario's or a result file's text.
  return text.replace(/\s*\n\s*/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
}
