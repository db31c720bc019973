// The drain schemes keep the engine's guarantee: a continuation runs at the virtual time of the
// event that resumed it, before the clock moves, at any await depth. Property-tested over random
// await trees under every scheme, the checkpoint scheme included (this file enables the flag it
// needs, as the `sim` launcher does).
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Simulation, type DrainScheme } from './simulation.ts';
import { checkpointDrains, compileMicrotaskCheckpoint, NATIVES_SYNTAX_FLAG } from './microtask-checkpoint.ts';

setFlagsFromString(NATIVES_SYNTAX_FLAG);

/** An await tree: leaves sleep or hop through microtasks; inner nodes await in sequence, all or race. */
type AwaitTree =
  | { kind: 'sleep'; delayMs: number }
  | { kind: 'hops'; count: number }
  | { kind: 'sequence' | 'all' | 'race'; children: AwaitTree[] };

const MAX_DEPTH = 10;

const awaitTree = fc.letrec<{ tree: AwaitTree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', maxDepth: MAX_DEPTH - 1, withCrossShrink: true },
    fc.record({ kind: fc.constant('sleep' as const), delayMs: fc.integer({ min: 0, max: 20 }) }),
    fc.record({ kind: fc.constant('hops' as const), count: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ kind: fc.constantFrom('sequence' as const, 'all' as const, 'race' as const), children: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
  ),
})).tree;

/** Virtual time at which the tree settles when started at `startMs` (what the engine must show). */
function expectedEndMs(tree: AwaitTree, startMs: number): number {
  switch (tree.kind) {
    case 'sleep':
      return startMs + tree.delayMs;
    case 'hops':
      return startMs;
    case 'sequence':
      return tree.children.reduce((atMs, child) => expectedEndMs(child, atMs), startMs);
    case 'all':
      return Math.max(...tree.children.map((child) => expectedEndMs(child, startMs)));
    case 'race':
      return Math.min(...tree.children.map((child) => expectedEndMs(child, startMs)));
  }
}

function depthOf(tree: AwaitTree): number {
  return tree.kind === 'sleep' || tree.kind === 'hops' ? 1 : 1 + Math.max(...tree.children.map(depthOf));
}

/** Runs the tree as nested async functions; every node records (seen, expected) when it settles. */
async function play(sim: Simulation, tree: AwaitTree, seen: Array<[number, number]>): Promise<void> {
  const startMs = sim.nowMs;
  switch (tree.kind) {
    case 'sleep':
      await sim.sleep(tree.delayMs);
      break;
    case 'hops':
      for (let hop = 0; hop < tree.count; hop++) await (hop % 2 === 0 ? null : { then: (resolve: (value: number) => void) => resolve(hop) });
      break;
    case 'sequence':
      for (const child of tree.children) await play(sim, child, seen);
      break;
    case 'all':
      await Promise.all(tree.children.map((child) => play(sim, child, seen)));
      break;
    case 'race':
      await Promise.race(tree.children.map((child) => play(sim, child, seen)));
      break;
  }
  seen.push([sim.nowMs, expectedEndMs(tree, startMs)]);
}

const SCHEMES: DrainScheme[] = ['checkpoint', 'tick', 'macrotask'];

describe.each(SCHEMES)('random await trees of depth <= 10 (%s drain)', (drain) => {
  it('the scheme asked for is the one in use (the flag is on in this file)', () => {
    expect(new Simulation(1, { drain }).drainScheme).toBe(drain);
  });

  it('every continuation sees the virtual time of the event that resumed it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(awaitTree, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 4, maxLength: 4 }), async (trees, startsMs) => {
        expect(Math.max(...trees.map(depthOf))).toBeLessThanOrEqual(MAX_DEPTH);
        const sim = new Simulation(1, { drain });
        const seen: Array<[number, number]> = [];
        // Several processes start at different times, so their wake-ups interleave.
        trees.forEach((tree, index) => sim.schedule(startsMs[index]!, () => sim.spawn(() => play(sim, tree, seen))));
        await sim.run();
        expect(seen.map(([seenMs]) => seenMs)).toEqual(seen.map(([, expectedMs]) => expectedMs));
        expect(sim.drainScheme).toBe(drain);
      }),
      { numRuns: drain === 'macrotask' ? 60 : 200, seed: 13 },
    );
  });
});

describe('checkpoint drain', () => {
  it('is the default when the process allows natives syntax', () => {
    expect(new Simulation(1).drainScheme).toBe('checkpoint');
  });

  it('a chain of 10 async functions resumes at the wake time at every level, before a same-time later event', async () => {
    const sim = new Simulation(1);
    const recorded: number[] = [];
    let recordedWhenSameTimeEventFired = -1;
    const level = async (depth: number): Promise<void> => {
      if (depth === 1) await sim.sleep(25);
      else await level(depth - 1);
      recorded.push(sim.nowMs);
    };
    sim.spawn(() => level(10));
    sim.schedule(25, () => (recordedWhenSameTimeEventFired = recorded.length));
    await sim.run();
    expect(recorded).toEqual(Array(10).fill(25));
    expect(recordedWhenSameTimeEventFired).toBe(10);
  });

  it('inside a running microtask the checkpoint is inert, and the check that triggers the fallback says so', async () => {
    const checkpoint = compileMicrotaskCheckpoint()!;
    // From a tick (where the loop runs) it drains; from a microtask (this test's own body) it cannot.
    expect(await new Promise((resolve) => process.nextTick(() => resolve(checkpointDrains(checkpoint))))).toBe(true);
    expect(checkpointDrains(checkpoint)).toBe(false);
  });
});
