// Unhandled promise rejections in user code (`void somePromise` that rejects) would end the thread
// that runs seeds, long after the run that caused them. The trap collects them instead, so they fail
// the seed they came from: a user's bug, loud, with the seed and the replay line, never exit 4.
import type { ScenarioResult } from '../sim/harness/result.ts';
import { errorMessage } from '../sim/engine/errors.ts';
import { UNCAUGHT_CHECK } from './watchdog.ts';

/** Collects the unhandled rejections of this thread, to be taken after each seed. */
export class RejectionTrap {
  private first: unknown = undefined;
  private seen = false;

  constructor() {
    process.on('unhandledRejection', (reason) => {
      if (this.seen) return;
      this.seen = true;
      this.first = reason;
    });
  }

  /** Lets pending rejections surface (they are reported between macrotasks), then takes the first. */
  async take(): Promise<{ reason: unknown } | undefined> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!this.seen) return undefined;
    const taken = { reason: this.first };
    this.seen = false;
    this.first = undefined;
    return taken;
  }
}

/** The message of an escaped rejection, with the user's file:line when the stack has one. */
export function escapedMessage(reason: unknown): string {
  const stack = reason instanceof Error ? reason.stack ?? '' : '';
  const where = /\n\s+at .*?\(?((?:file:\/\/)?\/[^\s()]+:\d+):\d+\)?/.exec(stack)?.[1];
  return `a promise rejected and nobody handled it: ${errorMessage(reason)}${where ? ` at ${where}` : ''}`;
}

/** The result with its last variant failed by an escaped rejection (kind crash). */
export function withEscapedRejection(result: ScenarioResult, reason: unknown): ScenarioResult {
  const last = result.variants[result.variants.length - 1];
  if (!last) return result;
  const failure = { kind: 'crash' as const, check: UNCAUGHT_CHECK, atMs: last.simulatedMs, message: escapedMessage(reason) };
  const variants = result.variants.map((variant) => (variant === last ? { ...variant, ok: false, failures: [...variant.failures, failure] } : variant));
  return { ...result, ok: false, variants };
}
