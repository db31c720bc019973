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

/**
 * The same workload as `callbackEvents` on a bare typed-array binary heap in plain JS (time and
 * sequence keys, callbacks in a side array, no handles, no cancellation, no limits): the floor the
 * engine's queue is compared with, measured in the same process.
 */
export function bareHeapEvents(events: number, pending: number): Record<string, number> {
  let capacity = 1024;
  while (capacity < pending + 1) capacity *= 2;
  const times = new Float64Array(capacity);
  const seqs = new Float64Array(capacity);
  const slots = new Int32Array(capacity);
  const callbacks: (() => void)[] = new Array(capacity);
  const freeSlots: number[] = [];
  let size = 0;
  let nextSeq = 0;
  let nowMs = 0;
  const before = (a: number, b: number): boolean => times[a]! < times[b]! || (times[a] === times[b] && seqs[a]! < seqs[b]!);
  const swap = (a: number, b: number): void => {
    const time = times[a]!;
    const seq = seqs[a]!;
    const slot = slots[a]!;
    times[a] = times[b]!;
    seqs[a] = seqs[b]!;
    slots[a] = slots[b]!;
    times[b] = time;
    seqs[b] = seq;
    slots[b] = slot;
  };
  const push = (timeMs: number, callback: () => void): void => {
    const slot = freeSlots.length > 0 ? freeSlots.pop()! : size;
    callbacks[slot] = callback;
    let index = size++;
    times[index] = timeMs;
    seqs[index] = nextSeq++;
    slots[index] = slot;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(index, parent)) break;
      swap(index, parent);
      index = parent;
    }
  };
  const pop = (): (() => void) => {
    const slot = slots[0]!;
    nowMs = times[0]!;
    size--;
    times[0] = times[size]!;
    seqs[0] = seqs[size]!;
    slots[0] = slots[size]!;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= size) break;
      const child = left + 1 < size && before(left + 1, left) ? left + 1 : left;
      if (!before(child, index)) break;
      swap(child, index);
      index = child;
    }
    const callback = callbacks[slot]!;
    freeSlots.push(slot);
    return callback;
  };
  const rng = new Rng(1).fork('bench');
  let fired = 0;
  const tick = (): void => {
    fired++;
    push(nowMs + rng.exponential(10), tick);
  };
  for (let index = 0; index < pending; index++) push(rng.exponential(10), tick);
  const startMs = performance.now();
  while (fired < events && size > 0) pop()();
  const wallMs = performance.now() - startMs;
  return { events: fired, wallMs, eventsPerSec: fired / (wallMs / 1000) };
}

/** The engine's queue and loop against the bare heap, in one process: engine first, then the floor, then the engine again. */
export async function callbackEventsVsBareHeap(events: number, pending: number): Promise<Record<string, number>> {
  const first = await callbackEvents(events, pending);
  const floor = bareHeapEvents(events, pending);
  const second = await callbackEvents(events, pending);
  const engine = Math.max(first.eventsPerSec!, second.eventsPerSec!);
  return { events, pending, eventsPerSec: engine, bareHeapEventsPerSec: floor.eventsPerSec!, engineVsBareHeap: engine / floor.eventsPerSec! };
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

const cases: Record<string, (...args: number[]) => Promise<Record<string, number>>> = { callbackEvents, callbackEventsVsBareHeap, mm1, peakMemory };

const [name, ...args] = process.argv.slice(2);
if (name !== undefined) {
  const run = cases[name];
  if (!run) throw new Error(`unknown case ${name}`);
  const figures = await run(...args.map(Number));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
