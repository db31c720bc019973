import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planRecreate, planRolling, rolloutComplete, type PodView } from './rollout.ts';
import { rollingLimits } from './deployment.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { cluster, keepAliveUntil, workerTemplate } from '../../test/kit/deploy.ts';

function pods(spec: string): PodView[] {
  // 'o+' = old ready, 'o-' = old not ready, 'n+' / 'n-' the same for the target revision (2).
  return spec.split(' ').map((token, index) => ({ name: `${token[0]}${index + 1}`, revision: token[0] === 'n' ? 2 : 1, ready: token[1] === '+', seq: index + 1 }));
}

describe('rollingLimits', () => {
  it('rounds a surge percentage up and an unavailability percentage down, as Kubernetes does', () => {
    expect(rollingLimits({ kind: 'rolling' }, 10)).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(rollingLimits({ kind: 'rolling', maxSurge: '10%', maxUnavailable: '10%' }, 4)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('lets one pod be unavailable when both percentages round to 0, and rejects both counts 0', () => {
    expect(rollingLimits({ kind: 'rolling', maxSurge: '0%', maxUnavailable: '10%' }, 4)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(() => rollingLimits({ kind: 'rolling', maxSurge: 0, maxUnavailable: 0 }, 4)).toThrow(ConfigError);
  });
});

describe('planRolling', () => {
  const surgeOne = { maxSurge: 1, maxUnavailable: 0 };

  it('with surge 1 and none unavailable: adds one new pod, and retires an old one only once it is ready', () => {
    expect(planRolling(pods('o+ o+ o+'), 3, surgeOne, 2)).toEqual({ create: 1, remove: [] });
    expect(planRolling(pods('o+ o+ o+ n-'), 3, surgeOne, 2)).toEqual({ create: 0, remove: [] });
    // The newest old pod goes first; its slot goes to the next new pod at once.
    expect(planRolling(pods('o+ o+ o+ n+'), 3, surgeOne, 2)).toEqual({ create: 1, remove: ['o3'] });
  });

  it('with no surge and one unavailable: retires an old pod first, then replaces it', () => {
    expect(planRolling(pods('o+ o+ o+'), 3, { maxSurge: 0, maxUnavailable: 1 }, 2)).toEqual({ create: 1, remove: ['o3'] });
    expect(planRolling(pods('o+ o+ n-'), 3, { maxSurge: 0, maxUnavailable: 1 }, 2)).toEqual({ create: 0, remove: [] });
  });

  it('retires old pods that are not ready before ready ones: they cost no availability', () => {
    expect(planRolling(pods('o+ o- o+ n+'), 3, surgeOne, 2)).toEqual({ create: 1, remove: ['o2'] });
  });

  it('scales a deployment with no old pods up and down (unready and newest pods go first)', () => {
    expect(planRolling(pods('n+ n+'), 4, surgeOne, 2)).toEqual({ create: 2, remove: [] });
    expect(planRolling(pods('n+ n- n+ n+'), 2, surgeOne, 2)).toEqual({ create: 0, remove: ['n2', 'n4'] });
  });

  it('is complete only with exactly `replicas` ready pods of the target revision', () => {
    expect(rolloutComplete(pods('n+ n+ n+'), 3, 2)).toBe(true);
    expect(rolloutComplete(pods('n+ n+ n-'), 3, 2)).toBe(false);
    expect(rolloutComplete(pods('n+ n+ n+ o+'), 3, 2)).toBe(false);
  });

  it('never plans below replicas − maxUnavailable ready pods nor above replicas + maxSurge pods, and always finishes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
        (replicas, maxSurge, maxUnavailable, readiness) => {
          fc.pre(maxSurge + maxUnavailable > 0);
          const limits = { maxSurge, maxUnavailable };
          let live: PodView[] = pods(Array.from({ length: replicas }, () => 'o+').join(' '));
          let seq = live.length;
          let draws = 0;
          for (let step = 0; step < 100; step++) {
            // Pods still starting become ready when the drawn boolean says so.
            live = live.map((pod) => (pod.ready ? pod : { ...pod, ready: readiness[draws++ % readiness.length]! || step % 5 === 4 }));
            if (rolloutComplete(live, replicas, 2)) return;
            const readyBefore = live.filter((pod) => pod.ready).length;
            const plan = planRolling(live, replicas, limits, 2);
            live = live.filter((pod) => !plan.remove.includes(pod.name));
            const readyAfter = live.filter((pod) => pod.ready).length;
            expect(readyAfter).toBeGreaterThanOrEqual(Math.min(readyBefore, replicas - maxUnavailable));
            for (let index = 0; index < plan.create; index++) live.push({ name: `n${++seq}`, revision: 2, ready: false, seq });
            expect(live.length).toBeLessThanOrEqual(replicas + maxSurge);
          }
          throw new Error(`rollout of ${replicas} (surge ${maxSurge}, unavailable ${maxUnavailable}) did not finish in 100 steps`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('planRecreate', () => {
  it('retires every old pod at once and creates new ones only when no old pod is left, terminating ones included', () => {
    expect(planRecreate(pods('o+ o+ o-'), 0, 3, 2)).toEqual({ create: 0, remove: ['o1', 'o2', 'o3'] });
    expect(planRecreate([], 2, 3, 2)).toEqual({ create: 0, remove: [] });
    expect(planRecreate([], 0, 3, 2)).toEqual({ create: 3, remove: [] });
  });
});

describe('rolling update in a cluster', () => {
  it('never has fewer than replicas − maxUnavailable ready pods, and completes (property over seeds)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        async (seed, replicas, maxSurge, maxUnavailable) => {
          fc.pre(maxSurge + maxUnavailable > 0);
          const { world, controlPlane } = cluster(seed, { world: { network: { latencyMs: { kind: 'uniform', min: 0.5, max: 20 } } } });
          // Cold starts drawn per pod start, so every seed interleaves readiness differently.
          const coldStartMs = { kind: 'uniform', min: 100, max: 2500 } as const;
          controlPlane.deploy({ name: 'orders', replicas, template: workerTemplate('v1', { coldStartMs }), strategy: { kind: 'rolling', maxSurge, maxUnavailable } });
          // An observer outside the controller: ready pods counted from the trace during the rollout.
          let ready = 0;
          let rolling = false;
          let fewest = Infinity;
          world.sim.trace.addFilteredSink(['pod.ready', 'pod.unready', 'deploy'], (event) => {
            if (event.kind === 'pod.ready') ready++;
            else if (event.kind === 'pod.unready') ready--;
            else if (event.detail?.includes('started')) rolling = true;
            else if (event.detail?.includes('complete')) {
              rolling = false;
              world.sim.stop();
            }
            if (rolling) fewest = Math.min(fewest, ready);
          });
          world.sim.at(5000, () => controlPlane.rollout('orders', workerTemplate('v2', { coldStartMs })));
          // Five replicas one at a time, each at most 2.5 s cold plus probe and pass delays, fit well in 40 s.
          keepAliveUntil(world, 40_000);
          await world.sim.run({ untilMs: 40_000 });
          const [rollout] = controlPlane.rollouts('orders');
          expect(rollout!.outcome).toBe('complete');
          expect(fewest).toBeGreaterThanOrEqual(replicas - maxUnavailable);
          expect(rollout!.minReady).toBe(fewest);
          const running = controlPlane.pods('orders').filter((pod) => pod.phase === 'running');
          expect(running.map((pod) => `${pod.version} ${pod.ready}`)).toEqual(Array(replicas).fill('v2 true'));
        },
      ),
      { numRuns: 200 },
    );
  });
});
