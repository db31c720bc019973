// The replay line that ends every failure: the exact command that reruns it.

/** `sim run <file> --seed N [--variant V]`, quoting the path when it needs it. */
export function replayCommand(file: string, seed: number, variant?: string, extra = ''): string {
  const path = /^[\w./-]+$/.test(file) ? file : JSON.stringify(file);
  return `sim run ${path} --seed ${seed}${variant !== undefined ? ` --variant ${variant}` : ''}${extra ? ` ${extra}` : ''}`;
}
