// `npm run bench`: runs every benchmark case in its own child process several times and prints the
// medians beside their targets (or one JSON object with --json). Wall-clock time is read here, in
// bench/, never in sim/. `--only=NAME` runs the cases whose name or figures contain NAME; cases
// marked `onlyWhenAsked` (the 1,000-seed sweep) run only then.
//
// The cases run compiled, as the installed package runs: tsc (tsconfig.bench.json, the package's
// build settings plus bench/ and scenarios/) writes .bench-build/ first. `--source` runs the
// TypeScript sources through tsx instead, as in development: slower, because tsx keeps function
// names by wrapping every named closure as it is created (docs/bench.md).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
/** Where tsconfig.bench.json writes the compiled cases and everything they import. */
const BUILD_DIR = join(root, '.bench-build');

/** A target from the issues, and whether higher is better. */
interface Target {
  value: number;
  higherIsBetter: boolean;
}

/** One figure a case reports: a field of its JSON line. */
interface Figure {
  name: string;
  field: string;
  unit: string;
  target?: Target;
}

/** One benchmark: a case module and its arguments, run `repeats` times; medians are reported. */
interface BenchCase {
  name: string;
  /** Case file under bench/cases and its arguments. */
  file: string;
  args: string[];
  figures: Figure[];
  repeats: number;
  /** Runs only when `--only` names it (too long for the default run). */
  onlyWhenAsked?: boolean;
}

/** A figure computed from two medians of the same run: numerator / denominator. */
interface Ratio {
  name: string;
  numerator: string;
  denominator: string;
  target?: Target;
}

const atLeast = (value: number): Target => ({ value, higherIsBetter: true });
const atMost = (value: number): Target => ({ value, higherIsBetter: false });
const scaleFigures = (nodes: string): Figure[] => [
  { name: `scale${nodes}WallMs`, field: 'wallMs', unit: 'ms' },
  { name: `scale${nodes}CpuMs`, field: 'cpuMs', unit: 'ms' },
  { name: `scale${nodes}PeakRssMb`, field: 'peakRssMb', unit: 'MB', target: atMost(2048) },
];

const cases: BenchCase[] = [
  // The queue against a bare typed-array heap in the same process (issue 13: "the engine's queue
  // alone is fine"; no target of its own, so the figure to watch is the ratio to the bare heap).
  ...(['1e3', '1e5'] as const).map((label): BenchCase => ({
    name: `callbackEvents_${label}pending`,
    file: 'engine.ts',
    args: ['callbackEventsVsBareHeap', '1000000', label === '1e3' ? '1000' : '100000'],
    figures: [
      { name: `callbackEventsPerSec_${label}pending`, field: 'eventsPerSec', unit: 'events/s' },
      { name: `callbackEventsBareHeapPerSec_${label}pending`, field: 'bareHeapEventsPerSec', unit: 'events/s' },
      { name: `callbackEventsVsBareHeap_${label}pending`, field: 'engineVsBareHeap', unit: 'x' },
    ],
    repeats: 3,
  })),
  {
    name: 'asyncResumptions',
    file: 'resumptions.ts',
    args: ['1000000', '10000'],
    figures: [
      { name: 'asyncResumptionsPerSec', field: 'engineCheckpointPerSec', unit: 'resumptions/s', target: atLeast(1e6) },
      { name: 'asyncResumptionsPerSec_tickScheme', field: 'engineTickPerSec', unit: 'resumptions/s' },
      { name: 'asyncResumptionsPerSec_macrotaskScheme', field: 'engineMacrotaskPerSec', unit: 'resumptions/s' },
      { name: 'asyncResumptionFloorPerSec_bareJs', field: 'floorPerSec', unit: 'resumptions/s' },
      { name: 'asyncResumptionsCheckpointVsTick', field: 'checkpointVsTick', unit: 'x' },
      { name: 'asyncResumptionsVsFloor', field: 'engineVsFloor', unit: 'x', target: atLeast(0.8) },
      { name: 'asyncResumptionsVsFloor_cpu', field: 'engineVsFloorCpu', unit: 'x', target: atLeast(0.8) },
    ],
    repeats: 3,
  },
  {
    name: 'mm1',
    file: 'engine.ts',
    args: ['mm1', '1000000'],
    figures: [
      { name: 'mm1WallMs', field: 'wallMs', unit: 'ms', target: atMost(1500) },
      { name: 'mm1CpuMs', field: 'cpuMs', unit: 'ms' },
    ],
    repeats: 3,
  },
  {
    name: 'mm1SimPy',
    file: 'mm1-simpy.ts',
    args: ['1000000'],
    figures: [
      { name: 'mm1SimPyWallMs', field: 'wallMs', unit: 'ms' },
      { name: 'mm1SimPyCpuMs', field: 'cpuMs', unit: 'ms' },
    ],
    repeats: 3,
  },
  {
    name: 'peakMemory_1e6events',
    file: 'engine.ts',
    args: ['peakMemory', '1000000'],
    figures: [
      { name: 'peakRssMb_1e6events', field: 'peakRssMb', unit: 'MB' },
      { name: 'peakHeapUsedMb_1e6events', field: 'peakHeapUsedMb', unit: 'MB' },
    ],
    repeats: 1,
  },
  {
    name: 'peakMemory_1e7events',
    file: 'engine.ts',
    args: ['peakMemory', '10000000'],
    figures: [
      { name: 'peakRssMb_1e7events', field: 'peakRssMb', unit: 'MB' },
      { name: 'peakHeapUsedMb_1e7events', field: 'peakHeapUsedMb', unit: 'MB' },
    ],
    repeats: 1,
  },
  { name: 'gateway', file: 'gateway.ts', args: ['200000'], figures: [{ name: 'gatewayRequestsPerSec', field: 'requestsPerSec', unit: 'requests/s', target: atLeast(200_000) }], repeats: 3 },
  { name: 'paymentOutage', file: 'payment-outage.ts', args: [], figures: [{ name: 'paymentOutageWallMs', field: 'wallMs', unit: 'ms', target: atMost(2000) }], repeats: 3 },
  // Seeds 1..20 in one process after 10 untimed seeds, as a warm sweep worker runs them: CPU per seed, every variant.
  { name: 'paymentOutageWarm', file: 'payment-outage.ts', args: ['1', '20', '10'], figures: [{ name: 'paymentOutageCpuMsPerSeed', field: 'cpuMsPerSeed', unit: 'ms', target: atMost(120) }], repeats: 3 },
  // Three runs each: one run of the 1,000-node case is a second of wall time, most of it start-up.
  { name: 'scale1000', file: 'scale.ts', args: ['1000', '100000'], figures: scaleFigures('1000'), repeats: 3 },
  { name: 'scale10000', file: 'scale.ts', args: ['10000', '1000000'], figures: scaleFigures('10000'), repeats: 3 },
  { name: 'sweepSpeedup', file: 'sweep-speedup.ts', args: ['40'], figures: [{ name: 'sweepSpeedupTwoWorkers', field: 'speedup', unit: 'x', target: atLeast(1.8) }], repeats: 3 },
  { name: 'sweep1000', file: 'sweep.ts', args: ['1000', '2'], figures: [{ name: 'sweep1000WallMs', field: 'wallMs', unit: 'ms', target: atMost(60_000) }], repeats: 1, onlyWhenAsked: true },
  {
    name: 'cpuFidelity_1e6',
    file: 'cpu-fidelity.ts',
    args: ['1000000'],
    figures: [
      { name: 'cpuFidelityMm1ErrorPercent_1e6', field: 'mm1ErrorPercent', unit: '%' },
      { name: 'cpuFidelityMm4ErrorPercent_1e6', field: 'mm4ErrorPercent', unit: '%' },
    ],
    repeats: 1,
    onlyWhenAsked: true,
  },
  {
    name: 'linearizability',
    file: 'linearizability.ts',
    args: ['10000', '100'],
    figures: [
      { name: 'linearizability10kOpsWallMs', field: 'wallMs', unit: 'ms', target: atMost(5000) },
      { name: 'linearizability10kOpsViolationWallMs', field: 'violationWallMs', unit: 'ms' },
    ],
    repeats: 5,
  },
];

const ratios: Ratio[] = [
  { name: 'mm1VsSimPy', numerator: 'mm1SimPyWallMs', denominator: 'mm1WallMs', target: atLeast(10) },
  { name: 'mm1VsSimPy_cpu', numerator: 'mm1SimPyCpuMs', denominator: 'mm1CpuMs', target: atLeast(10) },
  // 10× the nodes and 10× the requests: linear scaling is 10×.
  { name: 'scale10xNodesTimeRatio', numerator: 'scale10000WallMs', denominator: 'scale1000WallMs', target: atMost(12) },
  { name: 'scale10xNodesTimeRatio_cpu', numerator: 'scale10000CpuMs', denominator: 'scale1000CpuMs', target: atMost(12) },
];

/** Whole `npm run bench` (default cases) on this 2-core machine. */
const TOTAL_TARGET_MS = 5 * 60_000;
/** Longest one case run may take before it is killed (the 1,000-seed sweep included). */
const CASE_TIMEOUT_MS = 15 * 60_000;

type CaseOutput = Record<string, number | string>;

/** Compiles the cases and what they import into BUILD_DIR (from scratch: no file of a deleted source stays). */
function build(): void {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.bench.json')], { encoding: 'utf8', timeout: CASE_TIMEOUT_MS });
  if (tsc.status !== 0) {
    process.stderr.write(`npm run bench: compiling the cases failed (tsc -p tsconfig.bench.json); fix the type errors or run from the sources with --source:\n${tsc.stdout}${tsc.stderr}`);
    process.exit(2);
  }
}

/** The command line that runs one case: its compiled module, or its source through tsx. */
function caseCommand(benchCase: BenchCase): string[] {
  if (fromSource) return ['--import', 'tsx', join(here, 'cases', benchCase.file)];
  return [join(BUILD_DIR, 'bench', 'cases', benchCase.file.replace(/\.ts$/, '.js'))];
}

function runOnce(benchCase: BenchCase): CaseOutput {
  // --allow-natives-syntax: the engine's checkpoint drain, as the `sim` launcher enables it.
  const child = spawnSync(process.execPath, ['--allow-natives-syntax', ...caseCommand(benchCase), ...benchCase.args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    timeout: CASE_TIMEOUT_MS,
  });
  if (child.status !== 0) throw new Error(`${benchCase.name} failed (${child.signal ?? `exit ${child.status}`}):\n${child.stderr}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as CaseOutput;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const args = process.argv.slice(2);
const unknownArg = args.find((arg) => arg !== '--json' && arg !== '--source' && !/^--only=./.test(arg));
if (unknownArg !== undefined) {
  process.stderr.write(`npm run bench: unknown argument '${unknownArg}': use --json, --source and/or --only=NAME (a case or figure name, or part of one)\n`);
  process.exit(2);
}
const json = args.includes('--json');
const fromSource = args.includes('--source');
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const asked = (benchCase: BenchCase): boolean => only !== undefined && [benchCase.name, ...benchCase.figures.map((figure) => figure.name)].some((name) => name.includes(only));
const selected = cases.filter((benchCase) => existsSync(join(here, 'cases', benchCase.file)) && (only === undefined ? !benchCase.onlyWhenAsked : asked(benchCase)));
if (only !== undefined && selected.length === 0) {
  process.stderr.write(`npm run bench: --only=${only} names no case or figure: use one of ${cases.map((benchCase) => benchCase.name).join(', ')}\n`);
  process.exit(2);
}

const figures: Record<string, number> = {};
const details: Record<string, { runs?: number[]; unit: string; target?: string; met?: boolean; skipped?: string }> = {};

const met = (value: number, target: Target | undefined): boolean | undefined =>
  target === undefined ? undefined : target.higherIsBetter ? value >= target.value : value <= target.value;

/** How a figure was obtained, when it is not a median of runs. */
type Derivation = 'ratio of medians' | 'one run of the whole bench';

function report(name: string, value: number, unit: string, runs: number[], target: Target | undefined, derivation: Derivation = 'ratio of medians'): void {
  figures[name] = Math.round(value * 100) / 100;
  const verdict = met(value, target);
  details[name] = {
    ...(runs.length > 0 ? { runs: runs.map((run) => Math.round(run * 100) / 100) } : {}),
    unit,
    ...(target ? { target: `${target.higherIsBetter ? '>=' : '<='} ${target.value}` } : {}),
    ...(verdict !== undefined ? { met: verdict } : {}),
  };
  if (json) return;
  const verdictText = verdict === undefined ? '' : verdict ? '  (target met)' : '  (target MISSED)';
  const targetText = target ? `  target ${target.higherIsBetter ? '>=' : '<='} ${target.value.toLocaleString('en-US')}` : '';
  const runsText = runs.length > 0 ? `median of ${runs.length}` : derivation;
  const digits = unit === 'x' ? 2 : 1;
  process.stdout.write(`${name.padEnd(40)} ${value.toLocaleString('en-US', { maximumFractionDigits: digits }).padStart(14)} ${unit.padEnd(14)} ${runsText}${targetText}${verdictText}\n`);
}

const benchStartMs = performance.now();
if (!fromSource) build();
for (const benchCase of selected) {
  const outputs: CaseOutput[] = [];
  for (let repeat = 0; repeat < benchCase.repeats; repeat++) outputs.push(runOnce(benchCase));
  const unavailable = outputs.find((output) => typeof output.unavailable === 'string')?.unavailable;
  if (unavailable !== undefined) {
    for (const figure of benchCase.figures) details[figure.name] = { unit: figure.unit, skipped: String(unavailable) };
    if (!json) process.stdout.write(`${benchCase.name.padEnd(40)} skipped: ${unavailable}\n`);
    continue;
  }
  for (const figure of benchCase.figures) {
    const runs = outputs.map((output) => Number(output[figure.field]));
    report(figure.name, median(runs), figure.unit, runs, figure.target);
  }
}
for (const ratio of ratios) {
  const numerator = figures[ratio.numerator];
  const denominator = figures[ratio.denominator];
  if (numerator !== undefined && denominator !== undefined) report(ratio.name, numerator / denominator, 'x', [], ratio.target);
}
const totalMs = performance.now() - benchStartMs;
if (only === undefined) report('benchTotalWallMs', totalMs, 'ms', [], atMost(TOTAL_TARGET_MS), 'one run of the whole bench');
if (json) process.stdout.write(`${JSON.stringify({ figures, details }, null, 2)}\n`);
