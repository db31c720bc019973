// The scenario the sweep benchmarks run: payment-outage once it exists, else flaky-network (the
// largest scenario before it). Named on stderr; the harness reads only numbers from stdout. Compiled
// (npm run bench runs the cases from tsconfig.bench.json's build), it is the compiled scenario.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, extname, join, relative } from 'node:path';

const here = fileURLToPath(import.meta.url);
const root = join(dirname(here), '..', '..');
/** `.ts` in the sources, `.js` in the compiled build. */
const extension = extname(here);

/** Path of the benchmarked scenario, relative to the working directory. */
export function sweepScenarioFile(): string {
  const candidates = ['scenarios/payment-outage', 'scenarios/flaky-network'].map((name) => name + extension);
  const found = candidates.find((candidate) => existsSync(join(root, candidate)))!;
  return relative(process.cwd(), join(root, found)) || found;
}
