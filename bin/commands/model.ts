// `sim model from-traces FILE.otlp.json [--out system.yaml]`: derives a model file from a trace
// export. With --out it writes the file and prints what it inferred; without, it prints the model
// (the summary is in its comments), so it can be piped.
import { writeFileAtomic } from '../../reports/atomic-write.ts';
import { modelFromTraceFile } from '../../models/index.ts';
import { EXIT } from '../cli-errors.ts';

/** Options of `sim model from-traces`. */
export interface FromTracesOptions {
  out?: string;
}

/** Runs the command; returns the exit code. */
export async function fromTracesCommand(file: string, options: FromTracesOptions): Promise<number> {
  const derived = modelFromTraceFile(file);
  if (options.out === undefined) {
    process.stdout.write(derived.yaml);
    return EXIT.ok;
  }
  await writeFileAtomic(options.out, derived.yaml);
  process.stdout.write(`${derived.summary.join('\n')}\nmodel: ${options.out} (run it: sim run ${options.out})\n`);
  return EXIT.ok;
}
