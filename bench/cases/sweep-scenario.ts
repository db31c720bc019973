// The scenario the sweep benchmarks run: payment-outage once it exists, else flaky-network (the
// largest scenario before it). Named on stderr; the harness reads only numbers from stdout.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of the benchmarked scenario, relative to the working directory. */
export function sweepScenarioFile(): string {
  const candidates = ['scenarios/payment-outage.ts', 'scenarios/flaky-network.ts'];
  const found = candidates.find((candidate) => existsSync(join(root, candidate)))!;
  return relative(process.cwd(), join(root, found)) || found;
}
