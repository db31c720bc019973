// Async resumptions: `processes` async processes sleeping in a loop, `resumptions` wake-ups in all,
// through the engine under each drain scheme and through a bare plain-JS loop (a typed-array heap,
// a promise per sleep, the same guarantee: every continuation runs before the next event). The
// bare loop is the floor: what Node itself allows under the guarantee. All in one process, one
// after the other, so the ratio compares like with like on a busy machine.
// `node --allow-natives-syntax --import tsx bench/cases/resumptions.ts 1000000 10000`
import { Simulation, type DrainScheme } from '../../sim/engine/simulation.ts';
import { Rng } from '../../sim/engine/rng.ts';
import { compileMicrotaskCheckpoint } from '../../sim/engine/microtask-checkpoint.ts';

interface Measured {
  perSec: number;
  perCpuSec: number;
}

function measure(started: { wallMs: number; cpu: NodeJS.CpuUsage }, woken: number): Measured {
  const wallMs = performance.now() - started.wallMs;
  const cpu = process.cpuUsage(started.cpu);
  return { perSec: woken / (wallMs / 1000), perCpuSec: woken / ((cpu.user + cpu.system) / 1e6) };
}

const start = (): { wallMs: number; cpu: NodeJS.CpuUsage } => ({ wallMs: performance.now(), cpu: process.cpuUsage() });

/** The engine: `sim.sleep` in a loop in every process. */
async function engine(resumptions: number, processes: number, drain: DrainScheme): Promise<Measured> {
  const sim = new Simulation(1, { drain });
  if (sim.drainScheme !== drain) throw new Error(`the ${drain} scheme is not available: run with --allow-natives-syntax`);
  const rng = new Rng(1).fork('bench');
  let woken = 0;
  const loop = async (): Promise<void> => {
    for (;;) {
      await sim.sleep(rng.exponential(10));
      woken++;
    }
  };
  for (let index = 0; index < processes; index++) sim.spawn(loop);
  const started = start();
  await sim.run({ maxEvents: resumptions });
  return measure(started, woken);
}

/**
 * The floor: no engine, only what resuming a native await under the guarantee needs. A binary heap
 * on typed arrays (times) and an array (resolvers), a promise per sleep, the engine's random draws, and a drain after every
 * event: V8's checkpoint (`checkpoint`) or a tick queued from a microtask (`tick`).
 */
async function floor(resumptions: number, processes: number, drain: 'checkpoint' | 'tick'): Promise<Measured> {
  const capacity = 1 << Math.ceil(Math.log2(processes + 1));
  const times = new Float64Array(capacity);
  const resolvers: Array<(() => void) | undefined> = new Array(capacity);
  let size = 0;
  let nowMs = 0;
  // The same random draws as the engine case: the difference is the engine, not the workload.
  const rng = new Rng(1).fork('bench');
  const push = (timeMs: number, resolve: () => void): void => {
    let index = size++;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (times[parent]! <= timeMs) break;
      times[index] = times[parent]!;
      resolvers[index] = resolvers[parent];
      index = parent;
    }
    times[index] = timeMs;
    resolvers[index] = resolve;
  };
  const pop = (): (() => void) => {
    const top = resolvers[0]!;
    nowMs = times[0]!;
    const lastTime = times[--size]!;
    const last = resolvers[size]!;
    resolvers[size] = undefined;
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      if (child + 1 < size && times[child + 1]! < times[child]!) child++;
      if (times[child]! >= lastTime) break;
      times[index] = times[child]!;
      resolvers[index] = resolvers[child];
      index = child;
    }
    times[index] = lastTime;
    resolvers[index] = last;
    return top;
  };
  let woken = 0;
  const loop = async (): Promise<void> => {
    for (;;) {
      await new Promise<void>((resolve) => push(nowMs + rng.exponential(10), resolve));
      woken++;
    }
  };
  for (let index = 0; index < processes; index++) void loop();
  const checkpoint = compileMicrotaskCheckpoint();
  if (drain === 'checkpoint' && checkpoint === undefined) throw new Error('run with --allow-natives-syntax');
  const started = start();
  await new Promise<void>((done) => {
    let fired = 0;
    if (drain === 'checkpoint') {
      process.nextTick(() => {
        for (; fired < resumptions; fired++) {
          pop()();
          checkpoint!();
        }
        done();
      });
      return;
    }
    const step = (): void => {
      if (fired++ >= resumptions) return done();
      pop()();
      queueMicrotask(() => process.nextTick(step));
    };
    process.nextTick(step);
  });
  return measure(started, woken);
}

const resumptions = Number(process.argv[2] ?? 1_000_000);
const processes = Number(process.argv[3] ?? 10_000);
const floorCheckpoint = await floor(resumptions, processes, 'checkpoint');
const engineCheckpoint = await engine(resumptions, processes, 'checkpoint');
const engineTick = await engine(resumptions, processes, 'tick');
const floorTick = await floor(resumptions, processes, 'tick');
const engineMacrotask = await engine(Math.ceil(resumptions / 10), processes, 'macrotask');
// The floor is the faster of the two bare schemes: what Node allows at best under the guarantee.
const floorBest = floorCheckpoint.perSec >= floorTick.perSec ? floorCheckpoint : floorTick;
process.stdout.write(
  `${JSON.stringify({
    resumptions,
    processes,
    engineCheckpointPerSec: engineCheckpoint.perSec,
    engineCheckpointPerCpuSec: engineCheckpoint.perCpuSec,
    engineTickPerSec: engineTick.perSec,
    engineMacrotaskPerSec: engineMacrotask.perSec,
    floorCheckpointPerSec: floorCheckpoint.perSec,
    floorTickPerSec: floorTick.perSec,
    floorPerSec: floorBest.perSec,
    floorPerCpuSec: floorBest.perCpuSec,
    checkpointVsTick: engineCheckpoint.perSec / engineTick.perSec,
    engineVsFloor: engineCheckpoint.perSec / floorBest.perSec,
    engineVsFloorCpu: engineCheckpoint.perCpuSec / floorBest.perCpuSec,
  })}\n`,
);
