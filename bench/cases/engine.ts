// Engine benchmarks run in a child process each (so memory figures are per case):
// raw callback events, M/M/1 through the node + workload API, peak memory (async resumptions: resumptions.ts).
import { Simulation } from '../../sim/engine/simulation.ts';
import { World } from '../../sim/world/world.ts';
import { WorkloadDriver, WorkloadMetrics } from '../../sim/harness/workload.ts';
import { Rng } from '../../sim/engine/rng.ts';

/** Fires `events` callback events with `pending` of them always queued. */
export async function callbackEvents(events: number, pending: number): Promise<Record<string, number>> {
  const sim = new Simulation(1);
  const rng = new Rng(1).fork('bench');
  let fired = 0;
  const tick = (): void => {
    fired++;
    sim.schedule(rng.exponential(10), tick);
  };
  for (let index = 0; index < pending; index++) sim.schedule(rng.exponential(10), tick);
  const startMs = performance.now();
  await sim.run({ maxEvents: events });
  const wallMs = performance.now() - startMs;
  return { events: fired, pending, wallMs, eventsPerSec: fired / (wallMs / 1000) };
}

/** M/M/1: Poisson arrivals λ per ms into one worker with exponential service (mean 1/μ ms). */
export async function mm1(requests: number, lambdaPerMs = 0.9, muPerMs = 1): Promise<Record<string, number>> {
  const world = new World(1, { network: { latencyMs: { kind: 'constant', value: 0 } } });
  world.addNode('server', () => ({ handlers: { serve: { serviceTimeMs: { kind: 'exponential', mean: 1 / muPerMs }, handle: () => 'ok' } } }), {
    workers: 1,
    queueCapacity: 1_000_000,
  });
  const metrics = new WorkloadMetrics(1000);
  const spec = { kind: 'open' as const, ratePerSec: lambdaPerMs * 1000, maxRequests: requests, timeoutMs: 1e9, request: () => ({ endpoint: 'serve', method: 'serve' }) };
  const driver = new WorkloadDriver(world, spec, () => 'server', metrics, Infinity);
  driver.start();
  const startMs = performance.now();
  const startCpu = process.cpuUsage();
  await world.sim.run();
  const wallMs = performance.now() - startMs;
  const cpu = process.cpuUsage(startCpu);
  const summary = metrics.latency.summary();
  return { requests: metrics.ok, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, meanSojournMs: summary.mean, theoreticalMeanSojournMs: 1 / (muPerMs - lambdaPerMs), p99Ms: summary.p99 };
}

/** Peak memory while firing `events` callback events with 1e3 pending. */
export async function peakMemory(events: number): Promise<Record<string, number>> {
  const sim = new Simulation(1);
  const rng = new Rng(1).fork('bench');
  let fired = 0;
  let peakRss = 0;
  let peakHeap = 0;
  const tick = (): void => {
    fired++;
    if (fired % 100_000 === 0) {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
    }
    sim.trace.emit(sim.nowMs, 'bench.tick', 'bench', undefined, fired);
    sim.schedule(rng.exponential(10), tick);
  };
  for (let index = 0; index < 1000; index++) sim.schedule(rng.exponential(10), tick);
  await sim.run({ maxEvents: events });
  return { events: fired, peakRssMb: peakRss / 2 ** 20, peakHeapUsedMb: peakHeap / 2 ** 20 };
}

const cases: Record<string, (...args: number[]) => Promise<Record<string, number>>> = { callbackEvents, mm1, peakMemory };

const [name, ...args] = process.argv.slice(2);
if (name !== undefined) {
  const run = cases[name];
  if (!run) throw new Error(`unknown case ${name}`);
  const figures = await run(...args.map(Number));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
