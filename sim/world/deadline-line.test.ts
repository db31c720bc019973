// Timeouts kept in lines (one engine timer per line of calls with the same timeout: an ingress
// client's requests, a node's RPCs) must behave exactly as one timer per call: the same outcomes
// at the same times, the same trace hash, the same count of events, the same end of the run.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { World } from './world.ts';

/** One ingress request of a generated run. */
interface Sent {
  atMs: number;
  timeoutMs: number;
}

/** A fault of a generated run: the node stops serving (pause) or the client is cut off (partition). */
interface Fault {
  kind: 'pause' | 'partition';
  atMs: number;
  forMs: number;
}

/** What a run did, for comparing the two timeout schemes. */
function runOnce(seed: number, sent: readonly Sent[], faults: readonly Fault[], workers: number, lines: boolean): unknown {
  const world = new World(seed);
  world.deadlineLines = lines;
  // Lines compact as soon as settled entries outnumber waiting ones, so compaction happens in these short runs.
  world.lineCompactMin = 0;
  world.addNode('svc', () => ({ handlers: { work: { serviceTimeMs: { kind: 'exponential', mean: 4 }, handle: () => 'done' } } }), { workers, queueCapacity: 8 });
  const outcomes: string[] = [];
  sent.forEach((request, index) => {
    world.sim.schedule(request.atMs, () =>
      world.request('svc', 'work', index, { timeoutMs: request.timeoutMs }, (outcome) => {
        outcomes.push(`${index} ${outcome.ok ? 'ok' : outcome.code} @${world.nowMs}`);
      }),
    );
  });
  for (const fault of faults) {
    if (fault.kind === 'pause') {
      world.sim.schedule(fault.atMs, () => world.pause('svc'));
      world.sim.schedule(fault.atMs + fault.forMs, () => world.resume('svc'));
    } else {
      world.sim.schedule(fault.atMs, () => {
        const id = world.partition(['client'], ['svc']);
        world.sim.schedule(fault.forMs, () => world.heal(id));
      });
    }
  }
  return world.sim.run().then((stop) => ({ outcomes, stop, hash: world.sim.trace.hash }));
}

/** One RPC a generated run's caller node makes: when, with which timeout, and maybe under a deadline. */
interface Called {
  atMs: number;
  timeoutMs: number;
  /** A deadline this many ms ahead (it may cut the timeout short), or none. */
  deadlineInMs: number | undefined;
}

/** A fault on the caller node of a generated run. */
interface CallerFault {
  kind: 'pause' | 'crash' | 'partition';
  atMs: number;
  forMs: number;
}

/** What a run of RPCs did, for comparing the two timeout schemes. */
function runCalls(seed: number, called: readonly Called[], faults: readonly CallerFault[], lines: boolean): unknown {
  const world = new World(seed);
  world.deadlineLines = lines;
  world.lineCompactMin = 0;
  world.addNode('svc', () => ({ handlers: { work: { serviceTimeMs: { kind: 'exponential', mean: 6 }, handle: () => 'done' } } }), { workers: 2, queueCapacity: 8 });
  const outcomes: string[] = [];
  world.addNode('caller', (ctx) => ({
    onStart() {
      for (const [index, call] of called.entries()) {
        ctx.setTimer(call.atMs, () => {
          const options = call.deadlineInMs === undefined ? { timeoutMs: call.timeoutMs } : { timeoutMs: call.timeoutMs, deadlineMs: ctx.deadlineIn(call.deadlineInMs) };
          ctx.call('svc', 'work', index, options).then(
            () => outcomes.push(`${index} ok @${world.nowMs}`),
            (error: { code?: string }) => outcomes.push(`${index} ${error.code} @${world.nowMs}`),
          );
        });
      }
    },
  }));
  for (const fault of faults) {
    world.sim.schedule(fault.atMs, () => {
      if (fault.kind === 'pause') {
        world.pause('caller');
        world.sim.schedule(fault.forMs, () => world.resume('caller'));
      } else if (fault.kind === 'crash') {
        world.crash('caller');
        world.sim.schedule(fault.forMs, () => world.restart('caller'));
      } else {
        const id = world.partition(['caller'], ['svc']);
        world.sim.schedule(fault.forMs, () => world.heal(id));
      }
    });
  }
  return world.sim.run({ untilMs: 2000 }).then((stop) => ({ outcomes, stop, hash: world.sim.trace.hash }));
}

describe('RPC deadline lines', () => {
  it('property: call timeouts in lines give the same outcomes, times, trace hash, event count and end as a timer per call', async () => {
    const calledArb = fc.array(
      fc.record({
        atMs: fc.integer({ min: 0, max: 60 }),
        timeoutMs: fc.constantFrom(5, 10, 20, 40),
        deadlineInMs: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined, freq: 4 }),
      }),
      { minLength: 1, maxLength: 50, size: 'large' },
    );
    const faultArb = fc.array(
      fc.record({ kind: fc.constantFrom('pause' as const, 'crash' as const, 'partition' as const), atMs: fc.integer({ min: 0, max: 60 }), forMs: fc.integer({ min: 1, max: 40 }) }),
      { maxLength: 3 },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), calledArb, faultArb, async (seed, called, faults) => {
        const withLines = await runCalls(seed, called, faults, true);
        const withTimers = await runCalls(seed, called, faults, false);
        expect(withLines).toEqual(withTimers);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ingress deadline lines', () => {
  it('property: timeouts in lines give the same outcomes, times, trace hash, event count and end as a timer per request', async () => {
    const sentArb = fc.array(
      fc.record({
        // Whole ms and timeouts that are multiples of each other make exact ties between a timeout,
        // an answer and a later request.
        atMs: fc.integer({ min: 0, max: 60 }),
        timeoutMs: fc.constantFrom(5, 10, 20, 40),
      }),
      { minLength: 1, maxLength: 60, size: 'large' },
    );
    const faultArb = fc.array(
      fc.record({ kind: fc.constantFrom('pause' as const, 'partition' as const), atMs: fc.integer({ min: 0, max: 60 }), forMs: fc.integer({ min: 1, max: 40 }) }),
      { maxLength: 3 },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), sentArb, faultArb, fc.integer({ min: 1, max: 3 }), async (seed, sent, faults, workers) => {
        const withLines = await runOnce(seed, sent, faults, workers, true);
        const withTimers = await runOnce(seed, sent, faults, workers, false);
        expect(withLines).toEqual(withTimers);
      }),
      { numRuns: 300 },
    );
  });

  it('a timeout tied with another event fires where its own timer would have: by when the request was sent', async () => {
    const world = new World(1);
    world.addNode('svc', () => ({ handlers: { never: () => new Promise(() => {}) } }));
    const order: string[] = [];
    // Scheduled before the request: fires first at 10 ms. Scheduled after it: fires after its timeout.
    world.sim.schedule(10, () => order.push('before'));
    world.request('svc', 'never', undefined, { timeoutMs: 10 }, (outcome) => order.push(outcome.ok ? 'ok' : outcome.code));
    world.sim.schedule(10, () => order.push('after'));
    const stop = await world.sim.run({ untilMs: 50 });
    expect(order).toEqual(['before', 'timeout', 'after']);
    expect(stop.events).toBe(3);
  });

  it('requests answered before their timeout leave no event behind: the run ends with the last answer', async () => {
    const world = new World(1);
    world.addNode('svc', () => ({ handlers: { fast: { serviceTimeMs: 1, handle: () => 'ok' } } }));
    const answers: number[] = [];
    for (let index = 0; index < 5; index++) {
      world.sim.schedule(index, () => world.request('svc', 'fast', index, { timeoutMs: 1000 }, () => answers.push(world.nowMs)));
    }
    const stop = await world.sim.run();
    expect(answers).toEqual([1, 2, 3, 4, 5]);
    // Five sends and five service times; no timer fired, and the clock stopped at the last answer.
    expect(stop).toEqual({ reason: 'idle', atMs: 5, events: 10 });
  });
});
