// The replay line that ends every failure: the exact command that reruns it, quoted for a POSIX
// shell so that a pasted line gives `sim` the same words (variant names with spaces, `$`, quotes…).
import { quote } from 'shell-quote';

/** Joins command words into one line a POSIX shell splits back into exactly those words. */
export function shellLine(words: readonly string[]): string {
  return quote(words);
}

/** `sim run <file> --seed N [--variant V] [flags…]`, every word quoted as the shell needs it. */
export function replayCommand(file: string, seed: number, variant?: string, extraFlags: readonly string[] = []): string {
  const words = ['sim', 'run', file, '--seed', String(seed)];
  if (variant !== undefined) words.push('--variant', variant);
  return shellLine([...words, ...extraFlags]);
}

/** A `--json` result with `replay` (the line that reruns it) on every failing variant. */
export function withReplayLines<Result extends { variants: { name: string; ok: boolean }[] }>(json: Result, rerun: (variant: string) => string): Result {
  return { ...json, variants: json.variants.map((variant) => (variant.ok ? variant : { ...variant, replay: rerun(variant.name) })) };
}
