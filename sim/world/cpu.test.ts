// Tests for sim/world/cpu.ts through World: processor sharing of a node's cores among requests'
// bursts, handler service times and background work; threads vs event loop; pause, crash,
// utilisation; and queueing fidelity against M/M/1 and Erlang C (1e5 requests; 1e6 in bench/).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { World } from './world.ts';
import { Simulation } from '../engine/simulation.ts';
import { ProcessorSharingCpu } from './cpu.ts';
import type { NodeOptions, Request } from './node.ts';
import { runProcessorSharing, mm1MeanMs, erlangCMeanMs } from '../../test/kit/queueing.ts';

/** Latency of one ingress call to `method` on a node built with `options`. */
async function latencyOf(options: NodeOptions, handler: (payload: unknown, request: Request) => unknown): Promise<number> {
  const world = new World(1);
  world.addNode('app', () => ({ handlers: { go: handler } }), options);
  let doneAtMs = -1;
  world.request('app', 'go', undefined, {}, () => (doneAtMs = world.nowMs));
  await world.sim.run();
  return doneAtMs;
}

const twoBursts = async (_: unknown, request: Request): Promise<void> => {
  await Promise.all([request.cpu(5), request.cpu(5)]);
};

describe('processor sharing of cores', () => {
  it('two parallel cpu(5) bursts on a 1-core node finish at 10 ms', async () => {
    expect(await latencyOf({ cores: 1 }, twoBursts)).toBe(10);
  });

  it('two parallel cpu(5) bursts on a 2-core node finish at 5 ms', async () => {
    expect(await latencyOf({ cores: 2 }, twoBursts)).toBe(5);
  });

  it('without cores a burst is a plain delay, as before: two parallel cpu(5) finish at 5 ms', async () => {
    expect(await latencyOf({}, twoBursts)).toBe(5);
  });

  it('a burst never uses more than one core: one cpu(5) on 4 cores takes 5 ms', async () => {
    expect(await latencyOf({ cores: 4 }, async (_, request) => request.cpu(5))).toBe(5);
  });

  it('half a core doubles a lone burst', async () => {
    expect(await latencyOf({ cores: 0.5 }, async (_, request) => request.cpu(5))).toBe(10);
  });

  it('bursts of different lengths share: cpu(2) and cpu(6) on one core end at 4 and 8 ms', async () => {
    const ends: number[] = [];
    const world = new World(1);
    world.addNode('app', (ctx) => ({ handlers: { go: async (ms: number) => { await ctx.cpu(ms); ends.push(world.nowMs); } } }), { cores: 1 });
    world.request('app', 'go', 2, {}, () => undefined);
    world.request('app', 'go', 6, {}, () => undefined);
    await world.sim.run();
    expect(ends).toEqual([4, 8]);
  });

  it('HandlerSpec service times share the cores: three 10 ms requests on 1 core with 3 threads all end at 30 ms', async () => {
    const world = new World(1);
    world.addNode('app', () => ({ handlers: { go: { serviceTimeMs: 10, handle: () => 'ok' } } }), { threads: 3, cores: 1 });
    const ends: number[] = [];
    for (let index = 0; index < 3; index++) world.request('app', 'go', undefined, {}, () => ends.push(world.nowMs));
    await world.sim.run();
    expect(ends).toEqual([30, 30, 30]);
  });

  it('background work slows requests: a spawned cpu(10) loop halves a request burst rate on 1 core', async () => {
    const world = new World(1);
    world.addNode('app', (ctx) => {
      ctx.spawn(async () => {
        await ctx.cpu(100);
      });
      return { handlers: { go: async (_: unknown, request: Request) => request.cpu(10) } };
    }, { cores: 1 });
    let doneAtMs = -1;
    world.request('app', 'go', undefined, {}, () => (doneAtMs = world.nowMs));
    await world.sim.run();
    expect(doneAtMs).toBe(20);
  });

  it('the slow factor scales the work: cpu(5) under slow x2 on 1 core takes 10 ms', async () => {
    const world = new World(1);
    world.addNode('app', () => ({ handlers: { go: async (_: unknown, request: Request) => request.cpu(5) } }), { cores: 1 });
    world.slow('app', 2);
    let doneAtMs = -1;
    world.request('app', 'go', undefined, {}, () => (doneAtMs = world.nowMs));
    await world.sim.run();
    expect(doneAtMs).toBe(10);
  });

  it('a pause freezes the CPU: cpu(10) paused from 2 to 7 ms ends at 15 ms', async () => {
    const world = new World(1);
    world.addNode('app', () => ({ handlers: { go: async (_: unknown, request: Request) => request.cpu(10) } }), { cores: 1 });
    let doneAtMs = -1;
    world.request('app', 'go', undefined, {}, () => (doneAtMs = world.nowMs));
    world.sim.schedule(2, () => world.pause('app'));
    world.sim.schedule(7, () => world.resume('app'));
    await world.sim.run();
    expect(doneAtMs).toBe(15);
  });

  it('a crash drops the bursts in service; after a restart the CPU is free', async () => {
    const world = new World(1);
    const node = world.addNode('app', () => ({ handlers: { go: async (_: unknown, request: Request) => request.cpu(10) } }), { cores: 1 });
    const log: string[] = [];
    world.request('app', 'go', undefined, { timeoutMs: 100 }, (outcome) => log.push(`${outcome.ok ? 'ok' : outcome.code}@${world.nowMs}`));
    world.sim.schedule(5, () => world.restart('app'));
    world.sim.schedule(6, () => world.request('app', 'go', undefined, {}, (outcome) => log.push(`${outcome.ok ? 'ok' : outcome.code}@${world.nowMs}`)));
    await world.sim.run();
    expect(log).toEqual(['ok@16', 'timeout@100']);
    expect(node.cpu?.running).toBe(0);
  });
});

describe('utilisation', () => {
  it('is CPU busy time / (cores × uptime): 30 ms of work on 2 cores over 100 ms is 0.15', async () => {
    const world = new World(1);
    const node = world.addNode('app', () => ({ handlers: { go: async (ms: number, request: Request) => request.cpu(ms) } }), { cores: 2 });
    world.request('app', 'go', 10, {}, () => undefined);
    world.request('app', 'go', 20, {}, () => undefined);
    world.sim.schedule(100, () => undefined);
    await world.sim.run();
    expect(world.nowMs).toBe(100);
    expect(node.cpu?.busyCoreMs()).toBe(30);
    expect(node.cpuUtilization()).toBeCloseTo(0.15, 12);
  });

  it('a thread blocked on a call is not busy: a request sleeping 50 ms uses no CPU', async () => {
    const world = new World(1);
    const node = world.addNode('app', () => ({ handlers: { go: async (_: unknown, request: Request) => request.sleep(50) } }), { threads: 1, cores: 1 });
    world.request('app', 'go', undefined, {}, () => undefined);
    await world.sim.run();
    expect(node.cpuUtilization()).toBe(0);
  });

  it('is undefined when cores are not modelled', () => {
    const world = new World(1);
    expect(world.addNode('app', () => ({}), {}).cpuUtilization()).toBeUndefined();
  });
});

describe('threads and event loop', () => {
  const slowCall = (world: World): void => {
    world.addNode('dep', () => ({ handlers: { wait: async (_: unknown, request: Request) => request.sleep(100) } }), { eventLoop: true });
  };
  const frontHandlers = { slow: async (_: unknown, request: Request) => request.call('dep', 'wait'), fast: async (_: unknown, request: Request) => request.cpu(1) };

  it('thread-per-request: 2 threads held by slow calls make a fast request wait for a thread', async () => {
    const world = new World(1);
    slowCall(world);
    world.addNode('front', () => ({ handlers: frontHandlers }), { threads: 2, cores: 1 });
    const log: string[] = [];
    for (const method of ['slow', 'slow', 'fast']) world.request('front', method, undefined, {}, () => log.push(`${method}@${world.nowMs}`));
    await world.sim.run();
    expect(log).toEqual(['slow@102', 'slow@102', 'fast@103']);
  });

  it('event loop: a fast request runs while slow ones await', async () => {
    const world = new World(1);
    slowCall(world);
    world.addNode('front', () => ({ handlers: frontHandlers }), { eventLoop: { maxInFlight: 2 }, queueCapacity: 10 });
    const log: string[] = [];
    for (const method of ['slow', 'fast']) world.request('front', method, undefined, {}, () => log.push(`${method}@${world.nowMs}`));
    await world.sim.run();
    expect(log).toEqual(['fast@1', 'slow@102']);
  });

  it('an event loop defaults to one core and 1000 in flight', () => {
    const world = new World(1);
    const node = world.addNode('loop', () => ({}), { eventLoop: true });
    expect([node.options.concurrency, node.options.cores, node.options.workers]).toEqual(['event-loop', 1, 1000]);
  });

  it('threads is the same setting as workers, without cores by default', () => {
    const world = new World(1);
    const node = world.addNode('pool', () => ({}), { threads: 8 });
    expect([node.options.concurrency, node.options.cores, node.options.workers]).toEqual(['threads', undefined, 8]);
  });

  it.each([
    [{ cores: 0 }, /cores is 0; use a finite number > 0/],
    [{ cores: -1 }, /cores is -1/],
    [{ cores: 'four' as unknown as number }, /cores is "four"/],
    [{ cores: Number.NaN }, /cores is NaN/],
    [{ threads: 4, eventLoop: true }, /both threads and eventLoop are set/],
    [{ workers: 4, eventLoop: {} }, /both workers and eventLoop are set/],
    [{ threads: 4, workers: 8 }, /threads \(4\) and workers \(8\) differ/],
    [{ eventLoop: { maxInFlight: 0 } }, /eventLoop.maxInFlight is 0/],
  ])('rejects %o', (options, message) => {
    const world = new World(1);
    expect(() => world.addNode('bad', () => ({}), options as NodeOptions)).toThrow(message);
  });
});

describe('queueing fidelity (1e5 requests; bench/cases/cpu-fidelity.ts runs 1e6)', () => {
  it('M/M/1 with processor sharing on one core: mean time in system 1/(μ−λ) within 2%', async () => {
    const run = await runProcessorSharing({ seed: 1, requests: 100_000, arrivalPerMs: 0.5, serviceMeanMs: 1, cores: 1 });
    expect(Math.abs(run.meanMs / mm1MeanMs(0.5, 1) - 1)).toBeLessThan(0.02);
  });

  it('M/M/4 on 4 cores with exponential service: mean time in system matches Erlang C within 2%', async () => {
    const run = await runProcessorSharing({ seed: 2, requests: 100_000, arrivalPerMs: 3, serviceMeanMs: 1, cores: 4 });
    expect(Math.abs(run.meanMs / erlangCMeanMs(4, 3, 1) - 1)).toBeLessThan(0.02);
  });

  it('Erlang C reduces to M/M/1 on one core', () => {
    expect(erlangCMeanMs(1, 0.5, 1)).toBeCloseTo(mm1MeanMs(0.5, 1), 12);
  });
});

describe('processor sharing invariants (property, fast-check)', () => {
  /** Runs bursts (arrival ms, work ms) on a bare CPU; returns each burst's completion time and the busy core-ms. */
  async function runBursts(cores: number, bursts: readonly (readonly [number, number])[]): Promise<{ doneAtMs: number[]; busyCoreMs: number }> {
    const sim = new Simulation(1);
    const cpu = new ProcessorSharingCpu(cores, {
      nowMs: () => sim.nowMs,
      schedule: (delayMs, callback, arg) => sim.schedule(delayMs, callback, arg),
      cancel: (handle) => void sim.cancel(handle),
    });
    const doneAtMs: number[] = bursts.map(() => Number.NaN);
    bursts.forEach(([atMs, workMs], index) => {
      sim.schedule(atMs, () => cpu.run(workMs, () => {
        if (!Number.isNaN(doneAtMs[index]!)) throw new Error(`burst ${index} completed twice`);
        doneAtMs[index] = sim.nowMs;
      }));
    });
    await sim.run();
    return { doneAtMs, busyCoreMs: cpu.busyCoreMs() };
  }

  const burstsArbitrary = fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 30 });

  it('every burst completes once, never sooner than its work at one core, and busy time equals the work done', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0.5, 1, 2, 3), burstsArbitrary, async (cores, bursts) => {
        const { doneAtMs, busyCoreMs } = await runBursts(cores, bursts);
        bursts.forEach(([atMs, workMs], index) => {
          expect(doneAtMs[index]).toBeGreaterThanOrEqual(atMs + workMs / Math.min(1, cores) - 1e-6);
        });
        expect(busyCoreMs).toBeCloseTo(bursts.reduce((sum, [, workMs]) => sum + workMs, 0), 6);
      }),
      { numRuns: 200 },
    );
  });

  it('one core is work-conserving: the last burst ends when a FIFO server would end its last job', async () => {
    await fc.assert(
      fc.asyncProperty(burstsArbitrary, async (bursts) => {
        const { doneAtMs } = await runBursts(1, bursts);
        let fifoEndMs = 0;
        for (const [atMs, workMs] of [...bursts].sort((a, b) => a[0] - b[0])) fifoEndMs = Math.max(fifoEndMs, atMs) + workMs;
        expect(Math.max(...doneAtMs)).toBeCloseTo(fifoEndMs, 6);
      }),
      { numRuns: 200 },
    );
  });
});
