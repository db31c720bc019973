// Queueing fidelity of shared cores at scale: M/M/1-PS and M/M/4 (Erlang C) with 1e6 requests each,
// as relative errors of the mean time in system (the unit tests run 1e5). Prints one JSON line.
import { runProcessorSharing, mm1MeanMs, erlangCMeanMs } from '../../test/kit/queueing.ts';

/** Relative errors (percent) of the measured means against the closed forms, and the wall time. */
export async function cpuFidelity(requests: number): Promise<Record<string, number>> {
  const startMs = performance.now();
  const single = await runProcessorSharing({ seed: 1, requests, arrivalPerMs: 0.5, serviceMeanMs: 1, cores: 1 });
  const four = await runProcessorSharing({ seed: 2, requests, arrivalPerMs: 3, serviceMeanMs: 1, cores: 4 });
  return {
    requests,
    mm1ErrorPercent: (single.meanMs / mm1MeanMs(0.5, 1) - 1) * 100,
    mm4ErrorPercent: (four.meanMs / erlangCMeanMs(4, 3, 1) - 1) * 100,
    wallMs: performance.now() - startMs,
  };
}

const requests = Number(process.argv[2] ?? 1_000_000);
process.stdout.write(`${JSON.stringify(await cpuFidelity(requests))}\n`);
