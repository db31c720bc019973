// Sweep benchmark: `node --import tsx bench/cases/sweep.ts <seeds> <workers>` runs seeds 1..N of the
// largest scenario (every variant) on a worker pool and prints {"wallMs", "seeds", …} on one line.
// Wall time includes starting the workers and loading the scenario in each, as a user waits for it.
import { SweepPool } from '../../bin/sweep-pool.ts';
import { sweepScenarioFile } from './sweep-scenario.ts';

/** Runs `seeds` seeds on `workers` workers; returns the wall time and what ran. */
export async function sweepWallMs(
  file: string,
  seeds: number,
  workers: number,
  youngGenerationMb?: number,
): Promise<{ wallMs: number; cpuMs: number; seeds: number; workers: number; failed: number }> {
  let finished = 0;
  let failed = 0;
  const pool = new SweepPool({
    file,
    swarm: false,
    workers,
    ...(youngGenerationMb === undefined ? {} : { youngGenerationMb }),
    onResult: (entry) => {
      finished++;
      if (!entry.ok) failed++;
    },
  });
  const startMs = performance.now();
  // CPU of the whole process, worker threads included: steadier than wall time on a busy machine.
  const startCpu = process.cpuUsage();
  await pool.run(Array.from({ length: seeds }, (_, index) => index + 1));
  const wallMs = performance.now() - startMs;
  const cpu = process.cpuUsage(startCpu);
  if (finished !== seeds) throw new Error(`the sweep reported ${finished} of ${seeds} seeds`);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, seeds, workers, failed };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const seeds = Number(process.argv[2] ?? 1000);
  const workers = Number(process.argv[3] ?? 2);
  const file = sweepScenarioFile();
  process.stderr.write(`sweep benchmark: ${file}, seeds 1..${seeds}, ${workers} workers\n`);
  const result = await sweepWallMs(file, seeds, workers);
  process.stdout.write(`${JSON.stringify({ ...result, seedsPerSec: seeds / (result.wallMs / 1000) })}\n`);
}
