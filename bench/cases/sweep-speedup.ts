// Sweep scaling benchmark: `node --import tsx bench/cases/sweep-speedup.ts <seeds> [youngGenerationMb]`
// sweeps the same seeds with one worker, then with two, and prints {"speedup", "oneWorkerMs",
// "twoWorkersMs", …}; the optional size sets the workers' young generation (V8's default 48 MB).
// Beside the ratio, where the time went in each run: the wall time to the first result (start-up and
// one cold seed), CPU per seed, and (Linux) the CPU of the pool's threads and of V8's helper threads.
// `oneWorkerCoresBusy` is the one-worker run's CPU / wall: above 1, V8's garbage-collector and
// compiler threads ran on the other core, which two workers have to share.
import { sweepWallMs, type SweepMeasure } from './sweep.ts';
import { sweepScenarioFile } from './sweep-scenario.ts';

const seeds = Number(process.argv[2] ?? 200);
const youngGenerationMb = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const file = sweepScenarioFile();
process.stderr.write(`sweep speedup benchmark: ${file}, seeds 1..${seeds}, 1 worker then 2, young generation ${youngGenerationMb ?? 'default'} MB\n`);
const one = await sweepWallMs(file, seeds, 1, youngGenerationMb);
const two = await sweepWallMs(file, seeds, 2, youngGenerationMb);

/** The figures of one run, each name prefixed with the run's. */
function figures(prefix: string, run: SweepMeasure): Record<string, number> {
  const round = (value: number): number => Math.round(value);
  return {
    [`${prefix}FirstResultMs`]: round(run.firstResultMs),
    [`${prefix}CpuMsPerSeed`]: round(run.cpuMs / seeds),
    ...(run.poolThreadsCpuMs !== undefined ? { [`${prefix}PoolThreadsCpuMs`]: round(run.poolThreadsCpuMs) } : {}),
    ...(run.helperThreadsCpuMs !== undefined ? { [`${prefix}HelperThreadsCpuMs`]: round(run.helperThreadsCpuMs) } : {}),
    ...(run.mainThreadCpuMs !== undefined ? { [`${prefix}MainThreadCpuMs`]: round(run.mainThreadCpuMs) } : {}),
  };
}

process.stdout.write(
  `${JSON.stringify({
    speedup: one.wallMs / two.wallMs,
    oneWorkerMs: one.wallMs,
    twoWorkersMs: two.wallMs,
    ...figures('oneWorker', one),
    ...figures('twoWorkers', two),
    oneWorkerCoresBusy: Math.round((one.cpuMs / one.wallMs) * 100) / 100,
    seeds,
    youngGenerationMb: youngGenerationMb ?? 48,
  })}\n`,
);
