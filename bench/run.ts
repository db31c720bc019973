// `npm run bench`: runs every benchmark case in its own child process several times and prints the
// medians (or one JSON object with --json). Wall-clock time is read here, in bench/, never in sim/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

/** One benchmark: a case module, its arguments, the figure it reports, and the target. */
interface BenchCase {
  /** Name of the figure in the output. */
  figure: string;
  /** Case file under bench/cases and its arguments. */
  file: string;
  args: string[];
  /** Field of the case's JSON output that holds the figure. */
  field: string;
  unit: string;
  /** Target from the issues, and whether higher is better. */
  target?: { value: number; higherIsBetter: boolean };
  /** Runs whose median is reported. */
  repeats: number;
}

const cases: BenchCase[] = [
  { figure: 'callbackEventsPerSec_1e3pending', file: 'engine.ts', args: ['callbackEvents', '1000000', '1000'], field: 'eventsPerSec', unit: 'events/s', target: { value: 5e6, higherIsBetter: true }, repeats: 5 },
  { figure: 'callbackEventsPerSec_1e5pending', file: 'engine.ts', args: ['callbackEvents', '1000000', '100000'], field: 'eventsPerSec', unit: 'events/s', target: { value: 2.5e6, higherIsBetter: true }, repeats: 5 },
  { figure: 'asyncResumptionsPerSec', file: 'engine.ts', args: ['asyncResumptions', '1000000', '10000'], field: 'resumptionsPerSec', unit: 'resumptions/s', target: { value: 1e6, higherIsBetter: true }, repeats: 3 },
  { figure: 'asyncResumptionsPerSec_macrotaskScheme', file: 'engine.ts', args: ['asyncResumptions', '1000000', '10000', '1'], field: 'resumptionsPerSec', unit: 'resumptions/s', repeats: 3 },
  { figure: 'mm1WallMs', file: 'engine.ts', args: ['mm1', '1000000'], field: 'wallMs', unit: 'ms', target: { value: 1500, higherIsBetter: false }, repeats: 3 },
  { figure: 'peakRssMb_1e6events', file: 'engine.ts', args: ['peakMemory', '1000000'], field: 'peakRssMb', unit: 'MB', repeats: 1 },
  { figure: 'peakHeapUsedMb_1e6events', file: 'engine.ts', args: ['peakMemory', '1000000'], field: 'peakHeapUsedMb', unit: 'MB', repeats: 1 },
  { figure: 'peakRssMb_1e7events', file: 'engine.ts', args: ['peakMemory', '10000000'], field: 'peakRssMb', unit: 'MB', repeats: 1 },
  { figure: 'peakHeapUsedMb_1e7events', file: 'engine.ts', args: ['peakMemory', '10000000'], field: 'peakHeapUsedMb', unit: 'MB', repeats: 1 },
];

/** Optional cases, present once their issue has landed. */
const optionalCases: BenchCase[] = [
  { figure: 'gatewayRequestsPerSec', file: 'gateway.ts', args: ['200000'], field: 'requestsPerSec', unit: 'requests/s', target: { value: 200_000, higherIsBetter: true }, repeats: 3 },
  { figure: 'paymentOutageWallMs', file: 'payment-outage.ts', args: [], field: 'wallMs', unit: 'ms', target: { value: 2000, higherIsBetter: false }, repeats: 3 },
  { figure: 'sweep1000WallMs', file: 'sweep.ts', args: ['1000', '2'], field: 'wallMs', unit: 'ms', target: { value: 60_000, higherIsBetter: false }, repeats: 1 },
  { figure: 'cpuFidelityMm1ErrorPercent_1e6', file: 'cpu-fidelity.ts', args: ['1000000'], field: 'mm1ErrorPercent', unit: '%', repeats: 1 },
  { figure: 'cpuFidelityMm4ErrorPercent_1e6', file: 'cpu-fidelity.ts', args: ['1000000'], field: 'mm4ErrorPercent', unit: '%', repeats: 1 },
  { figure: 'sweepSpeedupTwoWorkers', file: 'sweep-speedup.ts', args: ['200'], field: 'speedup', unit: 'x', target: { value: 1.7, higherIsBetter: true }, repeats: 1 },
  { figure: 'linearizability10kOpsWallMs', file: 'linearizability.ts', args: ['10000', '100'], field: 'wallMs', unit: 'ms', target: { value: 5000, higherIsBetter: false }, repeats: 5 },
  { figure: 'linearizability10kOpsViolationWallMs', file: 'linearizability.ts', args: ['10000', '100'], field: 'violationWallMs', unit: 'ms', repeats: 5 },
];

function runOnce(benchCase: BenchCase): Record<string, number> {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'cases', benchCase.file), ...benchCase.args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`${benchCase.figure} failed:\n${child.stderr}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, number>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const json = process.argv.includes('--json');
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const selected = [...cases, ...optionalCases.filter((c) => existsSync(join(here, 'cases', c.file)))].filter(
  (c) => only === undefined || c.figure.includes(only),
);
const figures: Record<string, number> = {};
const details: Record<string, { runs: number[]; unit: string; target?: string; met?: boolean }> = {};
for (const benchCase of selected) {
  const runs: number[] = [];
  for (let repeat = 0; repeat < benchCase.repeats; repeat++) runs.push(runOnce(benchCase)[benchCase.field]!);
  const value = median(runs);
  figures[benchCase.figure] = Math.round(value * 100) / 100;
  const target = benchCase.target;
  const met = target ? (target.higherIsBetter ? value >= target.value : value <= target.value) : undefined;
  details[benchCase.figure] = {
    runs: runs.map((run) => Math.round(run * 100) / 100),
    unit: benchCase.unit,
    ...(target ? { target: `${target.higherIsBetter ? '>=' : '<='} ${target.value}` } : {}),
    ...(met !== undefined ? { met } : {}),
  };
  if (!json) {
    const verdict = met === undefined ? '' : met ? '  (target met)' : '  (target MISSED)';
    const targetText = target ? `  target ${target.higherIsBetter ? '>=' : '<='} ${target.value.toLocaleString('en-US')}` : '';
    process.stdout.write(
      `${benchCase.figure.padEnd(34)} ${value.toLocaleString('en-US', { maximumFractionDigits: 1 }).padStart(14)} ${benchCase.unit.padEnd(14)} median of ${runs.length}${targetText}${verdict}\n`,
    );
  }
}
if (json) process.stdout.write(`${JSON.stringify({ figures, details }, null, 2)}\n`);
