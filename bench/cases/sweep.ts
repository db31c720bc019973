// Sweep benchmark: `node --import tsx bench/cases/sweep.ts <seeds> <workers>` runs seeds 1..N of the
// largest scenario (every variant) on a worker pool and prints {"wallMs", "seeds", …} on one line.
// Wall time includes starting the workers and loading the scenario in each, as a user waits for it.
// Also printed: when the first seed finished (start-up plus one cold seed) and, on Linux, where the
// CPU went (bench/cases/sweep-threads.ts).
import { SweepPool } from '../../bin/sweep-pool.ts';
import { sweepScenarioFile } from './sweep-scenario.ts';
import { ThreadCpuMeter, type ThreadCpuSplit } from './sweep-threads.ts';

/** What one benchmarked sweep measured. */
export interface SweepMeasure extends Partial<ThreadCpuSplit> {
  wallMs: number;
  /** CPU of the whole process, all threads. */
  cpuMs: number;
  /** Wall time until the first seed was reported: workers started, scenario loaded, one cold seed. */
  firstResultMs: number;
  seeds: number;
  workers: number;
  failed: number;
}

/** Runs `seeds` seeds on `workers` workers; returns the wall time and what ran. */
export async function sweepWallMs(file: string, seeds: number, workers: number, youngGenerationMb?: number): Promise<SweepMeasure> {
  let finished = 0;
  let failed = 0;
  let firstResultMs = 0;
  const meter = new ThreadCpuMeter();
  const pool = new SweepPool({
    file,
    swarm: false,
    workers,
    ...(youngGenerationMb === undefined ? {} : { youngGenerationMb }),
    onResult: (entry) => {
      if (finished === 0) firstResultMs = performance.now() - startMs;
      finished++;
      if (!entry.ok) failed++;
      // The workers end when the last seed is in: read their CPU before they go.
      if (finished === seeds) meter.sample();
    },
  });
  const startMs = performance.now();
  // CPU of the whole process, worker threads included: steadier than wall time on a busy machine.
  const startCpu = process.cpuUsage();
  await pool.run(Array.from({ length: seeds }, (_, index) => index + 1));
  const wallMs = performance.now() - startMs;
  const cpu = process.cpuUsage(startCpu);
  const split = meter.stop();
  if (finished !== seeds) throw new Error(`the sweep reported ${finished} of ${seeds} seeds`);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, firstResultMs, seeds, workers, failed, ...split };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const seeds = Number(process.argv[2] ?? 1000);
  const workers = Number(process.argv[3] ?? 2);
  const file = sweepScenarioFile();
  process.stderr.write(`sweep benchmark: ${file}, seeds 1..${seeds}, ${workers} workers\n`);
  const result = await sweepWallMs(file, seeds, workers);
  process.stdout.write(`${JSON.stringify({ ...result, seedsPerSec: seeds / (result.wallMs / 1000) })}\n`);
}
