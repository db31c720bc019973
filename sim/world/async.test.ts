// The engine's async guarantee: a continuation runs at the virtual time of the event that resumed it,
// at any await depth, before the clock moves and before any later event fires (sim/engine/simulation.ts).
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../engine/simulation.ts';
import { World } from './world.ts';
import type { NodeContext } from './context.ts';
import type { Request } from './node.ts';

const constantMs = (value: number) => ({ kind: 'constant', value }) as const;

/** Every drain scheme must keep the guarantee: the default (checkpoint; the flag is set here as the
 * `sim` launcher sets it), its fallback (tick) and the macrotask reference. */
setFlagsFromString('--allow-natives-syntax');
const DRAINS = ['checkpoint', 'tick', 'macrotask'] as const;

describe.each(DRAINS)('continuations at any await depth (%s drain)', (drain) => {
  it('a chain of 10 async functions resumes at the wake time at every level, before the next event', async () => {
    const sim = new Simulation(1, { drain });
    const recorded: number[] = [];
    let recordedWhenSentinelFired = -1;
    let recordedWhenSameTimeEventFired = -1;
    const level = async (depth: number): Promise<void> => {
      if (depth === 1) {
        await sim.sleep(25);
      } else {
        await level(depth - 1);
      }
      recorded.push(sim.nowMs);
    };
    sim.spawn(() => level(10));
    // Scheduled after the sleep: same time, later sequence number.
    sim.schedule(25, () => (recordedWhenSameTimeEventFired = recorded.length));
    sim.schedule(25.001, () => (recordedWhenSentinelFired = recorded.length));
    await sim.run();
    expect(recorded).toEqual(Array(10).fill(25));
    expect(recordedWhenSameTimeEventFired).toBe(10);
    expect(recordedWhenSentinelFired).toBe(10);
  });

  it('100 extra microtask hops per level (await null, thenables, Promise.resolve chains) do not let the clock move', async () => {
    const sim = new Simulation(1, { drain });
    const recorded: number[] = [];
    const thenable = { then: (resolve: (value: number) => void) => resolve(1) };
    const level = async (depth: number): Promise<void> => {
      if (depth === 1) await sim.sleep(7);
      else await level(depth - 1);
      for (let hop = 0; hop < 100; hop++) {
        if (hop % 3 === 0) await null;
        else if (hop % 3 === 1) await thenable;
        else await Promise.resolve().then(() => Promise.resolve());
      }
      recorded.push(sim.nowMs);
    };
    sim.spawn(() => level(10));
    let seenBySentinel = -1;
    sim.schedule(7, () => (seenBySentinel = recorded.length));
    await sim.run();
    expect(recorded).toEqual(Array(10).fill(7));
    expect(seenBySentinel).toBe(10);
  });


  it('a continuation resolved by another continuation in the same drain runs at the same time', async () => {
    const sim = new Simulation(1, { drain });
    const log: string[] = [];
    let handOver!: (value: string) => void;
    const handOff = new Promise<string>((resolve) => (handOver = resolve));
    sim.spawn(async () => {
      log.push(`consumer got ${await handOff} @${sim.nowMs}`);
    });
    sim.spawn(async () => {
      await sim.sleep(9);
      handOver('item');
    });
    sim.schedule(9.001, () => log.push(`sentinel @${sim.nowMs}`));
    await sim.run();
    expect(log).toEqual(['consumer got item @9', 'sentinel @9.001']);
  });
});

describe.each(DRAINS)('Promise.all fan-out (%s drain)', (drain) => {
  it('the joined continuation runs at the max wake time, before a sentinel at max + 0.001 ms', async () => {
    const sim = new Simulation(1, { drain });
    const log: string[] = [];
    sim.spawn(async () => {
      await Promise.all(
        [5, 10, 7, 10].map(async (delayMs, index) => {
          await sim.sleep(delayMs);
          log.push(`branch ${index} @${sim.nowMs}`);
        }),
      );
      log.push(`joined @${sim.nowMs}`);
    });
    sim.schedule(10, () => log.push(`same-time event @${sim.nowMs}`));
    sim.schedule(10.001, () => log.push(`sentinel @${sim.nowMs}`));
    await sim.run();
    expect(log).toEqual([
      'branch 0 @5',
      'branch 2 @7',
      'branch 1 @10',
      'branch 3 @10',
      'joined @10',
      'same-time event @10',
      'sentinel @10.001',
    ]);
  });

});

describe('inside nodes', () => {
  it('inside a node, 10 nested async calls around ctx.sleep and req.cpu resume at the wake time', async () => {
    const world = new World(1);
    const recorded: number[] = [];
    world.addNode('db', (ctx) => {
      const level = async (depth: number, req: Request): Promise<void> => {
        if (depth === 1) {
          await req.cpu(4);
          await ctx.sleep(6);
        } else {
          await level(depth - 1, req);
        }
        recorded.push(ctx.now());
      };
      return { handlers: { deep: async (_payload: unknown, req: Request) => level(10, req) } };
    });
    let answeredAtMs = -1;
    world.sim.schedule(3, () => {
      void world.call('db', 'deep').then(() => (answeredAtMs = world.nowMs));
    });
    let seenBySentinel = -1;
    world.sim.schedule(13.001, () => (seenBySentinel = recorded.length));
    await world.sim.run();
    expect(recorded).toEqual(Array(10).fill(13));
    expect(answeredAtMs).toBe(13);
    expect(seenBySentinel).toBe(10);
  });

  it('Promise.all over RPCs to three servers joins at the slowest answer', async () => {
    const world = new World(1, { network: { latencyMs: constantMs(1) } });
    for (const [name, serviceMs] of [
      ['s1', 3],
      ['s2', 11],
      ['s3', 6],
    ] as const) {
      world.addNode(name, () => ({ handlers: { get: { serviceTimeMs: serviceMs, handle: () => `${name}@${world.nowMs}` } } }));
    }
    const log: string[] = [];
    world.addNode('caller', (ctx) => ({
      onStart() {
        ctx.spawn(async () => {
          const answers = await Promise.all(['s1', 's2', 's3'].map((to) => ctx.call<string>(to, 'get')));
          log.push(`joined ${answers.join(',')} @${world.nowMs}`);
        });
      },
    }));
    // Each answer: 1 ms there + service time + 1 ms back; the slowest is s2 at 13. The same-time
    // event was queued at t=0, before the answer's arrival (queued at 12), so it fires first.
    world.sim.schedule(13, () => log.push(`same-time event @${world.nowMs}`));
    world.sim.schedule(13.001, () => log.push(`sentinel @${world.nowMs}`));
    await world.sim.run();
    expect(log).toEqual(['same-time event @13', 'joined s1@4,s2@12,s3@7 @13', 'sentinel @13.001']);
  });
});

describe('Promise.race of an RPC against a timer', () => {
  /** Caller races a call to `b` (service time `serviceMs`, 1 ms links) against ctx.sleep(50). */
  async function race(serviceMs: number, callTimeoutMs: number) {
    const world = new World(1, { network: { latencyMs: constantMs(1) } });
    world.addNode('b', () => ({ handlers: { work: { serviceTimeMs: serviceMs, handle: (payload: number) => payload * 2 } } }));
    const log: string[] = [];
    let continuations = 0;
    world.addNode('a', (ctx: NodeContext) => ({
      onStart() {
        ctx.spawn(async () => {
          const call = ctx.call<number>('b', 'work', 21, { timeoutMs: callTimeoutMs }).then(
            (value) => {
              log.push(`call settled ok @${world.nowMs}`);
              return `call:${value}`;
            },
            (error: { code: string }) => {
              log.push(`call settled ${error.code} @${world.nowMs}`);
              return `call-error:${error.code}`;
            },
          );
          const timer = ctx.sleep(50).then(() => {
            log.push(`timer settled @${world.nowMs}`);
            return 'timer';
          });
          const winner = await Promise.race([call, timer]);
          continuations++;
          log.push(`winner ${winner} @${world.nowMs}`);
        });
      },
    }));
    const stop = await world.sim.run();
    return { log, continuations, stop, world };
  }

  it('the call wins: the continuation runs at the answer time; the timer settles later and disturbs nothing', async () => {
    const { log, continuations, stop, world } = await race(10, 200);
    expect(log).toEqual(['call settled ok @12', 'winner call:42 @12', 'timer settled @50']);
    expect(continuations).toBe(1);
    expect(stop).toMatchObject({ reason: 'idle', atMs: 50 });
    expect(world.processErrors).toBe(0);
  });

  it('the timer wins: the continuation runs at 50; the late answer settles the loser and disturbs nothing', async () => {
    const { log, continuations, stop, world } = await race(100, 200);
    expect(log).toEqual(['timer settled @50', 'winner timer @50', 'call settled ok @102']);
    expect(continuations).toBe(1);
    expect(stop).toMatchObject({ reason: 'idle', atMs: 102 });
    expect(world.processErrors).toBe(0);
  });

  it('the timer wins and the loser later rejects with timeout: no unhandled error, one continuation', async () => {
    const { log, continuations, world } = await race(100, 80);
    expect(log).toEqual(['timer settled @50', 'winner timer @50', 'call settled timeout @80']);
    expect(continuations).toBe(1);
    expect(world.processErrors).toBe(0);
  });

  it('an unhandled losing rejection inside the race is still absorbed by Promise.race', async () => {
    const world = new World(1, { network: { latencyMs: constantMs(1) } });
    world.addNode('b', () => ({}));
    world.crash('b');
    const log: string[] = [];
    world.addNode('a', (ctx) => ({
      onStart() {
        ctx.spawn(async () => {
          // b is down: its host answers `refused` after the 2 ms round trip, after the 1 ms timer.
          const winner = await Promise.race([ctx.call('b', 'work').then(() => 'call'), ctx.sleep(1).then(() => 'timer')]);
          log.push(`winner ${winner} @${world.nowMs}`);
        });
      },
    }));
    await world.sim.run();
    expect(log).toEqual(['winner timer @1']);
    expect(world.processErrors).toBe(0);
  });
});

describe.each(DRAINS)('same-time ordering (%s drain)', (drain) => {
  it('an event scheduled with delay 0 from a continuation runs at the same time, after earlier same-time events, before later ones', async () => {
    const sim = new Simulation(1, { drain });
    const log: string[] = [];
    sim.spawn(async () => {
      await sim.sleep(10);
      log.push(`continuation @${sim.nowMs}`);
      sim.schedule(0, () => log.push(`zero-delay @${sim.nowMs}`));
    });
    sim.schedule(10, () => log.push(`queued earlier @${sim.nowMs}`));
    sim.schedule(10.0001, () => log.push(`later @${sim.nowMs}`));
    await sim.run();
    expect(log).toEqual(['continuation @10', 'queued earlier @10', 'zero-delay @10', 'later @10.0001']);
  });

  it('events at the same time fire first-in-first-out', async () => {
    const sim = new Simulation(1, { drain });
    const log: number[] = [];
    for (let index = 0; index < 20; index++) sim.schedule(index % 2 === 0 ? 3 : 3.5, () => log.push(index));
    await sim.run();
    expect(log).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  });

  it('two processes waking at the same time run in sleep order, each to its next await before the other starts', async () => {
    const sim = new Simulation(1, { drain });
    const log: string[] = [];
    const worker = (name: string) => async (): Promise<void> => {
      await sim.sleep(5);
      log.push(`${name} start @${sim.nowMs}`);
      for (let hop = 0; hop < 20; hop++) await null;
      log.push(`${name} end @${sim.nowMs}`);
    };
    sim.spawn(worker('A'));
    sim.spawn(worker('B'));
    await sim.run();
    expect(log).toEqual(['A start @5', 'A end @5', 'B start @5', 'B end @5']);
  });
});
