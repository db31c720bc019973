// Test kit for unit tests of patterns: a world with one empty node, whose context the pattern
// under test takes its clock, randomness and trace from (imported by tests only).
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';

/** Adds a node with no handlers named `name` to `world` and returns its (first) context. */
export function emptyNodeContext(world: World, name = 'api'): NodeContext {
  let ctx: NodeContext | undefined;
  world.addNode(name, (context) => {
    ctx = context;
    return { handlers: {} };
  });
  if (!ctx) throw new Error(`node ${name} did not start: its context was never built`);
  return ctx;
}

/** A fresh world (seed 1 unless given) with one empty node `api`, and that node's context. */
export function worldWithNode(seed = 1): { world: World; ctx: NodeContext } {
  const world = new World(seed);
  return { world, ctx: emptyNodeContext(world) };
}
