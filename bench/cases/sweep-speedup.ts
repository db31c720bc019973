// Sweep scaling benchmark: `node --import tsx bench/cases/sweep-speedup.ts <seeds> [youngGenerationMb]`
// sweeps the same seeds with one worker, then with two, and prints {"speedup", "oneWorkerMs",
// "twoWorkersMs", …}; the optional size sets the workers' young generation (V8's default 48 MB).
import { sweepWallMs } from './sweep.ts';
import { sweepScenarioFile } from './sweep-scenario.ts';

const seeds = Number(process.argv[2] ?? 200);
const youngGenerationMb = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const file = sweepScenarioFile();
process.stderr.write(`sweep speedup benchmark: ${file}, seeds 1..${seeds}, 1 worker then 2, young generation ${youngGenerationMb ?? 'default'} MB\n`);
const one = await sweepWallMs(file, seeds, 1, youngGenerationMb);
const two = await sweepWallMs(file, seeds, 2, youngGenerationMb);
process.stdout.write(
  `${JSON.stringify({
    speedup: one.wallMs / two.wallMs,
    oneWorkerMs: one.wallMs,
    twoWorkersMs: two.wallMs,
    oneWorkerCpuMsPerSeed: one.cpuMs / seeds,
    twoWorkersCpuMsPerSeed: two.cpuMs / seeds,
    seeds,
    youngGenerationMb: youngGenerationMb ?? 48,
  })}\n`,
);
