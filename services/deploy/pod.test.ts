import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import { RpcError } from '../../sim/engine/errors.ts';
import type { NodeFactory } from '../../sim/world/node.ts';
import { podFactory, type PodHooks } from './pod.ts';
import { LIVENESS_METHOD, READY_METHOD } from './probes.ts';

function hooks(overrides: Partial<PodHooks> = {}): PodHooks {
  return { coldStartMs: 0, counts: { ok: 0, errors: 0 }, ...overrides };
}

/** Outcome of a call at `atMs`: the value, or `error:<code>`. */
function callAt(world: World, atMs: number, to: string, method: string, payload?: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    world.sim.at(atMs, () => {
      world.call(to, method, payload).then(resolve, (error: RpcError) => resolve(`error:${error.code}`));
    });
  });
}

const service: NodeFactory = () => ({
  handlers: {
    echo: (payload: unknown) => payload,
    fail: () => {
      throw new RpcError('application', 'no');
    },
    slowFail: { serviceTimeMs: 5, handle: async () => Promise.reject(new RpcError('application', 'no')) },
  },
});

describe('podFactory', () => {
  it('counts the service’s answers and failures, but not probes', async () => {
    const world = new World(1);
    const pod = hooks();
    world.addNode('pod', podFactory(service, pod));
    const answers = [
      callAt(world, 10, 'pod', 'echo', 1),
      callAt(world, 20, 'pod', 'fail'),
      callAt(world, 30, 'pod', 'slowFail'),
      callAt(world, 40, 'pod', READY_METHOD),
      callAt(world, 50, 'pod', LIVENESS_METHOD),
    ];
    await world.sim.run();
    expect(await Promise.all(answers)).toEqual([1, 'error:application', 'error:application', 'ready', 'ok']);
    expect(pod.counts).toEqual({ ok: 1, errors: 2 });
  });

  it('is not ready until its cold start is over, then answers with the service’s own readiness', async () => {
    const world = new World(1);
    let dependencyUp = false;
    const factory: NodeFactory = () => ({
      handlers: {
        ready: () => {
          if (!dependencyUp) throw new RpcError('unavailable', 'database not reachable');
          return 'warm';
        },
      },
    });
    world.addNode('pod', podFactory(factory, hooks({ coldStartMs: 1000 })));
    world.sim.at(1500, () => {
      dependencyUp = true;
    });
    const answers = [999, 1000, 1600].map((atMs) => callAt(world, atMs, 'pod', READY_METHOD));
    await world.sim.run();
    expect(await Promise.all(answers)).toEqual(['error:unavailable', 'error:unavailable', 'warm']);
  });
});
