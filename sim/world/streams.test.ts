// Tests for NodeContext.stream: each component of a node draws from its own named stream, so one
// component's draws never shift another's, and a restart does not replay the previous start's.
import { describe, expect, it } from 'vitest';
import { World } from './world.ts';
import type { NodeContext } from './context.ts';

/** Draws of the `balancer` stream on node `svc`, with `other` first drawing from its streams. */
function balancerDraws(other: (ctx: NodeContext) => void): number[] {
  const world = new World(11);
  let draws: number[] = [];
  world.addNode('svc', (ctx) => {
    other(ctx);
    const balancer = ctx.stream('balancer');
    draws = [balancer.next(), balancer.next(), balancer.next()];
    return {};
  });
  return draws;
}

describe('component streams', () => {
  it("a component's draws do not depend on what other components (or the node stream) drew", () => {
    const alone = balancerDraws(() => {});
    const withRetry = balancerDraws((ctx) => {
      const retry = ctx.stream('retry');
      for (let index = 0; index < 50; index++) retry.next();
      ctx.rng.next();
    });
    expect(withRetry).toEqual(alone);
    expect(new Set(alone).size).toBe(3);
  });

  it('the same name gives the same stream on one start, and a new one after a restart', async () => {
    const world = new World(11);
    const firstDraws: number[][] = [];
    world.addNode('svc', (ctx) => {
      firstDraws.push([ctx.stream('retry').next(), ctx.stream('retry').next(), ctx.stream('jitter').next()]);
      return {};
    });
    world.sim.schedule(10, () => world.crash('svc'));
    world.sim.schedule(20, () => world.restart('svc'));
    await world.sim.run({ untilMs: 100 });
    expect(firstDraws).toHaveLength(2);
    const [before, after] = firstDraws as [number[], number[]];
    expect(before[0]).toBe(before[1]);
    expect(before[2]).not.toBe(before[0]);
    expect(after[0]).not.toBe(before[0]);
  });
});
