// Tests for sim/engine/simulation.ts: the virtual clock, scheduling, run limits (until, budget, stop), errors
// thrown by callbacks and processes, daemons, and the wake contract for callbacks that resolve promises.
import { describe, expect, it } from 'vitest';
import { Simulation } from './simulation.ts';
import { EngineInvariantError } from './errors.ts';

describe('Simulation scheduling', () => {
  it('fires a callback after its delay with its argument, at that virtual time', async () => {
    const sim = new Simulation(1);
    const seen: [number, unknown][] = [];
    sim.schedule(7.5, (arg) => seen.push([sim.nowMs, arg]), 'x');
    sim.schedule(2, (arg) => seen.push([sim.nowMs, arg]), 'y');
    const stop = await sim.run();
    expect(seen).toEqual([
      [2, 'y'],
      [7.5, 'x'],
    ]);
    expect(stop).toEqual({ reason: 'idle', atMs: 7.5, events: 2 });
    expect(sim.nowMs).toBe(7.5);
    expect(sim.events).toBe(2);
  });

  it('delays are relative to the clock when scheduled from inside a callback', async () => {
    const sim = new Simulation(1);
    const times: number[] = [];
    sim.schedule(10, () => {
      sim.schedule(5, () => times.push(sim.nowMs));
      sim.schedule(0, () => times.push(sim.nowMs));
    });
    await sim.run();
    expect(times).toEqual([10, 15]);
  });

  it('at() fires at an absolute time and refuses the past with an EngineInvariantError naming the seed', async () => {
    const sim = new Simulation(99);
    const times: number[] = [];
    sim.at(12, () => times.push(sim.nowMs));
    sim.schedule(20, () => {
      expect(() => sim.at(19, () => {})).toThrow(EngineInvariantError);
      expect(() => sim.at(19, () => {})).toThrow(/seed 99/);
      sim.at(20, () => times.push(sim.nowMs));
    });
    await sim.run();
    expect(times).toEqual([12, 20]);
  });

  it.each([-1, NaN])('schedule refuses delay %s with a RangeError', (delayMs) => {
    const sim = new Simulation(1);
    expect(() => sim.schedule(delayMs, () => {})).toThrow(RangeError);
  });

  it('cancel stops a pending event and reports false for a fired one', async () => {
    const sim = new Simulation(1);
    const fired: string[] = [];
    const a = sim.schedule(1, () => fired.push('a'));
    const b = sim.schedule(2, () => fired.push('b'));
    expect(sim.cancel(b)).toBe(true);
    expect(sim.pendingEvents).toBe(2); // cancelled ones count until they surface
    await sim.run();
    expect(fired).toEqual(['a']);
    expect(sim.cancel(a)).toBe(false);
    expect(sim.events).toBe(1);
  });

  it('a callback can cancel a later event at the same time', async () => {
    const sim = new Simulation(1);
    const fired: string[] = [];
    let later = -1;
    sim.schedule(5, () => {
      fired.push('first');
      sim.cancel(later);
    });
    later = sim.schedule(5, () => fired.push('second'));
    await sim.run();
    expect(fired).toEqual(['first']);
  });
});

describe('Simulation run limits', () => {
  it('untilMs fires events at exactly untilMs, stops before later ones and sets the clock to untilMs', async () => {
    const sim = new Simulation(1);
    const times: number[] = [];
    for (const t of [10, 50, 50.5, 80]) sim.schedule(t, () => times.push(sim.nowMs));
    expect(await sim.run({ untilMs: 50 })).toEqual({ reason: 'until', atMs: 50, events: 2 });
    expect(times).toEqual([10, 50]);
    expect(await sim.run({ untilMs: 60 })).toEqual({ reason: 'until', atMs: 60, events: 3 });
    expect(sim.nowMs).toBe(60);
    expect(await sim.run()).toEqual({ reason: 'idle', atMs: 80, events: 4 });
    expect(times).toEqual([10, 50, 50.5, 80]);
  });

  it('maxEvents counts over the simulation life and stops with reason budget', async () => {
    const sim = new Simulation(1);
    let count = 0;
    const tick = (): void => {
      count++;
      sim.schedule(1, tick);
    };
    sim.schedule(0, tick);
    expect(await sim.run({ maxEvents: 5 })).toEqual({ reason: 'budget', atMs: 4, events: 5 });
    expect(count).toBe(5);
    expect(await sim.run({ maxEvents: 8 })).toEqual({ reason: 'budget', atMs: 7, events: 8 });
  });

  it('a zero-delay livelock ends on the budget instead of hanging', async () => {
    const sim = new Simulation(1);
    const spin = (): void => void sim.schedule(0, spin);
    sim.schedule(0, spin);
    const stop = await sim.run({ maxEvents: 10_000 });
    expect(stop).toEqual({ reason: 'budget', atMs: 0, events: 10_000 });
  });

  it('stop() ends the run after the current event; the next run continues', async () => {
    const sim = new Simulation(1);
    const fired: number[] = [];
    sim.schedule(1, () => {
      fired.push(1);
      sim.stop();
    });
    sim.schedule(1, () => fired.push(2));
    sim.schedule(3, () => fired.push(3));
    expect(await sim.run()).toEqual({ reason: 'stopped', atMs: 1, events: 1 });
    expect(fired).toEqual([1]);
    expect(await sim.run()).toEqual({ reason: 'idle', atMs: 3, events: 3 });
    expect(fired).toEqual([1, 2, 3]);
  });

  it('daemons fire while live work exists but do not keep the run alive', async () => {
    const sim = new Simulation(1);
    const samples: number[] = [];
    const sampler = (): void => {
      samples.push(sim.nowMs);
      sim.daemon(10, sampler);
    };
    sim.daemon(10, sampler);
    sim.schedule(35, () => {});
    expect(sim.idle).toBe(false);
    const stop = await sim.run();
    expect(samples).toEqual([10, 20, 30]);
    expect(stop.reason).toBe('idle');
    expect(stop.atMs).toBe(35);
    expect(sim.idle).toBe(true);
  });

  it('an empty simulation is idle at once', async () => {
    const sim = new Simulation(1);
    expect(await sim.run({ untilMs: 100 })).toEqual({ reason: 'idle', atMs: 0, events: 0 });
  });

  it('run() while running throws an EngineInvariantError', async () => {
    const sim = new Simulation(1);
    sim.schedule(1, () => {});
    const running = sim.run();
    expect(() => sim.run()).toThrow(EngineInvariantError);
    await running;
  });
});

describe('Simulation errors', () => {
  it('a throwing callback rejects run with its error, at its virtual time', async () => {
    const sim = new Simulation(1);
    const boom = new Error('boom');
    const fired: number[] = [];
    sim.schedule(4, () => {
      throw boom;
    });
    sim.schedule(5, () => fired.push(5));
    await expect(sim.run()).rejects.toBe(boom);
    expect(sim.nowMs).toBe(4);
    expect(fired).toEqual([]);
    // The simulation can be run again afterwards; the error is not reported twice.
    await expect(sim.run()).resolves.toEqual({ reason: 'idle', atMs: 5, events: 2 });
  });

  it('a spawned process that throws rejects run with its error', async () => {
    const sim = new Simulation(1);
    sim.schedule(0, () =>
      sim.spawn(async () => {
        await sim.sleep(3);
        throw new Error('process failed');
      }),
    );
    sim.schedule(10, () => {});
    await expect(sim.run()).rejects.toThrow('process failed');
    expect(sim.nowMs).toBe(3);
  });

  it('fail() keeps the first error', async () => {
    const sim = new Simulation(1);
    sim.schedule(1, () => {
      sim.fail(new Error('first'));
      sim.fail(new Error('second'));
    });
    await expect(sim.run()).rejects.toThrow('first');
  });
});

describe('Simulation processes and wake', () => {
  it('sleep resolves at now + delay; sleep(0) resumes at the same time', async () => {
    const sim = new Simulation(1);
    const times: number[] = [];
    sim.spawn(async () => {
      await sim.sleep(0);
      times.push(sim.nowMs);
      await sim.sleep(12.25);
      times.push(sim.nowMs);
    });
    await sim.run();
    expect(times).toEqual([0, 12.25]);
  });

  it('a callback that resolves a promise and calls wake() has its continuation run before the next event', async () => {
    const sim = new Simulation(1);
    const order: string[] = [];
    let resolveGate!: () => void;
    const gate = new Promise<void>((resolve) => (resolveGate = resolve));
    void gate.then(() => order.push(`continuation@${sim.nowMs}`));
    sim.schedule(5, () => {
      resolveGate();
      sim.wake();
    });
    sim.schedule(5, () => order.push(`next@${sim.nowMs}`));
    await sim.run();
    expect(order).toEqual(['continuation@5', 'next@5']);
  });

  it('resolveFromEvent resolves and wakes in one call', async () => {
    const sim = new Simulation(1);
    const order: string[] = [];
    let resolveGate!: (value: number) => void;
    const gate = new Promise<number>((resolve) => (resolveGate = resolve));
    void gate.then((value) => order.push(`got ${value}@${sim.nowMs}`));
    sim.schedule(5, () => sim.resolveFromEvent(resolveGate, 42));
    sim.schedule(5, () => order.push(`next@${sim.nowMs}`));
    await sim.run();
    expect(order).toEqual(['got 42@5', 'next@5']);
  });

  it('without wake(), a callback-resolved continuation runs late: the contract every engine API keeps', async () => {
    const sim = new Simulation(1);
    const order: string[] = [];
    let resolveGate!: () => void;
    const gate = new Promise<void>((resolve) => (resolveGate = resolve));
    void gate.then(() => order.push(`continuation@${sim.nowMs}`));
    sim.schedule(5, () => resolveGate());
    sim.schedule(9, () => order.push(`next@${sim.nowMs}`));
    await sim.run();
    expect(order).toEqual(['next@9', 'continuation@9']);
  });

  it('the seed and the root stream are exposed; same seed, same draws', () => {
    const a = new Simulation(7);
    const b = new Simulation(7);
    expect(a.seed).toBe(7);
    expect(a.rng.fork('x').next()).toBe(b.rng.fork('x').next());
    expect(new Simulation(8).rng.fork('x').next()).not.toBe(a.rng.fork('x').next());
  });
});
