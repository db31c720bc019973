// Tests for the autoscaler's CPU metric on pods that model cores (deployment-controller.ts):
// utilisation is CPU busy time / (cores × time), so threads waiting on I/O are not counted as busy.
import { describe, expect, it } from 'vitest';
import type { NodeContext } from '../../sim/world/context.ts';
import type { Request } from '../../sim/world/node.ts';
import { cluster, keepAliveUntil, recordControlPlane, steadyLoad } from '../../test/kit/deploy.ts';
import type { PodTemplate } from './deployment.ts';

/** Each request waits `waitMs` (I/O: no CPU), then spends `cpuMs` of CPU. */
function ioBound(waitMs: number, cpuMs: number, extra: Partial<PodTemplate>): PodTemplate {
  const factory = (_ctx: NodeContext) => ({
    handlers: { work: async (_: unknown, request: Request) => { await request.sleep(waitMs); await request.cpu(cpuMs); return 'v1'; } },
  });
  return { version: 'v1', factory, workers: 4, queueCapacity: 200, ...extra };
}

async function replicasAfter(template: PodTemplate, ratePerSec: number): Promise<{ replicas: number; scaled: string[] }> {
  const { world, controlPlane } = cluster();
  const scaled = recordControlPlane(world, ['scale']);
  controlPlane.deploy({ name: 'catalog', replicas: 1, template });
  controlPlane.autoscale('catalog', { minReplicas: 1, maxReplicas: 10, metric: { kind: 'cpu', targetUtilization: 0.5 }, syncPeriodMs: 1000, metricWindowMs: 2000, scaleDownStabilizationMs: 5000 });
  steadyLoad(world, controlPlane, 'catalog', [{ fromMs: 1000, untilMs: 40_000, ratePerSec }]);
  keepAliveUntil(world, 40_000);
  await world.sim.run({ untilMs: 40_000 });
  return { replicas: controlPlane.status('catalog').replicas, scaled };
}

describe('autoscaling on CPU with cores', () => {
  it('threads blocked on I/O are not CPU: 80 req/s waiting 40 ms with 2 ms of CPU (0.16 of a core) stays at 1 pod', async () => {
    expect(await replicasAfter(ioBound(40, 2, { cores: 1 }), 80)).toEqual({ replicas: 1, scaled: [] });
  });

  it('without cores the same load looks busy (3.4 of 4 threads) and scales out', async () => {
    expect((await replicasAfter(ioBound(40, 2, {}), 80)).replicas).toBeGreaterThanOrEqual(2);
  });

  it('CPU-bound load scales on busy cores: 150 req/s of 10 ms on 1 core is 1.5 cores, 3 pods at a 50% target', async () => {
    const { replicas, scaled } = await replicasAfter(ioBound(0, 10, { cores: 1, workers: 16 }), 150);
    // The first pod's backlog overshoots the count while new pods warm up; it settles at 3 and stays.
    expect(scaled.at(-1)).toBe('14000 scale catalog 4->3');
    expect(replicas).toBe(3);
  });
});
