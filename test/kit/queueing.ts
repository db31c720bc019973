// Test kit for queueing fidelity of shared CPU cores: Poisson arrivals at one node whose handler
// spends exponential CPU on `cores` cores (processor sharing), and the closed forms to compare with.
import { World } from '../../sim/world/world.ts';
import { Rng } from '../../sim/engine/rng.ts';

/** One fidelity run: mean time in system of `requests` requests. */
export interface SharingRun {
  requests: number;
  meanMs: number;
}

/**
 * Sends `requests` requests as a Poisson stream (rate `arrivalPerMs`) to an event-loop node with
 * `cores` cores; each spends an exponential CPU burst of mean `serviceMeanMs`. With an in-flight
 * limit far above the load, the node is an M/M/c processor-sharing queue. Discards the first 1%
 * (warm-up from an empty system).
 */
export async function runProcessorSharing(options: { seed: number; requests: number; arrivalPerMs: number; serviceMeanMs: number; cores: number }): Promise<SharingRun> {
  const world = new World(options.seed);
  world.addNode('server', () => ({ handlers: { work: { serviceTimeMs: { kind: 'exponential', mean: options.serviceMeanMs }, handle: () => undefined } } }), {
    eventLoop: { maxInFlight: 1_000_000 },
    queueCapacity: 0,
    cores: options.cores,
  });
  const arrivals = new Rng(options.seed).fork('arrivals');
  const warmup = Math.floor(options.requests / 100);
  let sent = 0;
  let measured = 0;
  let totalMs = 0;
  const send = (): void => {
    const index = sent++;
    const startMs = world.nowMs;
    world.request('server', 'work', undefined, { timeoutMs: 1e12 }, (outcome) => {
      if (!outcome.ok) throw new Error(`request failed: ${outcome.code}`);
      if (index < warmup) return;
      measured++;
      totalMs += world.nowMs - startMs;
    });
    if (sent < options.requests) world.sim.schedule(arrivals.exponential(1 / options.arrivalPerMs), send);
  };
  world.sim.schedule(arrivals.exponential(1 / options.arrivalPerMs), send);
  await world.sim.run();
  return { requests: measured, meanMs: totalMs / measured };
}

/** Mean time in system of M/M/1 (also M/M/1-PS): 1 / (μ − λ). */
export function mm1MeanMs(arrivalPerMs: number, serviceMeanMs: number): number {
  return 1 / (1 / serviceMeanMs - arrivalPerMs);
}

/** Mean time in system of M/M/c (Erlang C): C(c, a) / (cμ − λ) + 1/μ, with a = λ/μ. */
export function erlangCMeanMs(cores: number, arrivalPerMs: number, serviceMeanMs: number): number {
  const mu = 1 / serviceMeanMs;
  const a = arrivalPerMs / mu;
  const rho = a / cores;
  let term = 1;
  let sum = 1; // k = 0
  for (let k = 1; k < cores; k++) {
    term *= a / k;
    sum += term;
  }
  const last = (term * a) / cores / (1 - rho); // a^c / c! / (1 − ρ)
  const waitProbability = last / (sum + last);
  return waitProbability / (cores * mu - arrivalPerMs) + 1 / mu;
}
