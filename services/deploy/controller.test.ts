import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../sim/engine/errors.ts';
import { cluster, keepAliveUntil, recordControlPlane, steadyLoad, workerTemplate } from '../../test/kit/deploy.ts';

describe('ControlPlane deployments', () => {
  it('creates the replicas with labels, and scales by hand with a `scale` event', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['deploy', 'scale', 'pod.create']);
    controlPlane.deploy({ name: 'orders', replicas: 2, template: workerTemplate('v1') });
    world.sim.at(1000, () => controlPlane.scale('orders', 3));
    keepAliveUntil(world, 2000);
    await world.sim.run({ untilMs: 2000 });
    expect(events).toEqual([
      '0 deploy orders v1 created with 2 replicas',
      '0 pod.create orders-v1-1',
      '0 pod.create orders-v1-2',
      '1000 scale orders 2->3',
      '1000 pod.create orders-v1-3',
    ]);
    expect(world.node('orders-v1-3').options.labels).toEqual({ service: 'orders', version: 'v1', deployment: 'orders' });
    expect(controlPlane.status('orders')).toMatchObject({ replicas: 3, pods: 3, ready: 3, peakReplicas: 3 });
  });

  it('runs a pod with half a CPU at half speed: 10 ms of service time take 20 ms', async () => {
    const { world, controlPlane } = cluster();
    controlPlane.deploy({ name: 'orders', replicas: 1, template: workerTemplate('v1', { serviceTimeMs: 10, resources: { cpu: 0.5 } }) });
    let tookMs = 0;
    world.sim.at(1000, () => {
      world.call('orders-v1-1', 'work').then(() => {
        tookMs = world.nowMs - 1000;
      });
    });
    keepAliveUntil(world, 2000);
    await world.sim.run({ untilMs: 2000 });
    expect(tookMs).toBe(20);
    // A slow fault multiplies on top of the share, and healing it leaves the share in place.
    expect(world.node('orders-v1-1').cpuTimeFactor).toBe(2);
    world.slow('orders-v1-1', 3);
    expect(world.node('orders-v1-1').cpuTimeFactor).toBe(6);
    world.slow('orders-v1-1', 1);
    expect(world.node('orders-v1-1').cpuTimeFactor).toBe(2);
  });

  it('rejects a second deployment of the same name, an unknown one, and a share above one CPU', () => {
    const { controlPlane } = cluster();
    controlPlane.deploy({ name: 'orders', replicas: 1, template: workerTemplate('v1') });
    expect(() => controlPlane.deploy({ name: 'orders', replicas: 1, template: workerTemplate('v1') })).toThrow(
      new ConfigError("deployment 'orders' exists already: use rollout() to change it"),
    );
    expect(() => controlPlane.status('payments')).toThrow(new ConfigError("unknown deployment 'payments': known deployments are orders"));
    expect(() => controlPlane.deploy({ name: 'big', replicas: 1, template: workerTemplate('v1', { resources: { cpu: 2 } }) })).toThrow(
      new ConfigError('deployment big: resources.cpu is 2; use a share in (0, 1] (more CPU = more workers)'),
    );
  });

  it('counts pod cost in seconds of uptime, plain and sized by the dominant resource', async () => {
    const { world, controlPlane } = cluster();
    controlPlane.deploy({ name: 'orders', replicas: 2, template: workerTemplate('v1', { resources: { cpu: 1, memoryMiB: 2048 } }), terminationGraceMs: 0 });
    world.sim.at(4000, () => controlPlane.scale('orders', 1));
    keepAliveUntil(world, 10_000);
    await world.sim.run({ untilMs: 10_000 });
    // 10 s + 4 s (no grace: removed at the 4000 pass), each pod 2 instances (2 GiB).
    expect(controlPlane.cost('orders')).toEqual({ podSeconds: 14, sizedInstanceSeconds: 28 });
  });
});

describe('rollouts', () => {
  it('rolls a bad version back when its error rate passes the analysis limit', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['deploy', 'rollback']);
    controlPlane.deploy({
      name: 'orders',
      replicas: 3,
      template: workerTemplate('v1', { coldStartMs: 500 }),
      strategy: { kind: 'rolling', maxSurge: 1, maxUnavailable: 0 },
      analysis: { maxErrorRate: 0.1, minRequests: 20 },
    });
    const tally = steadyLoad(world, controlPlane, 'orders', [{ fromMs: 1000, untilMs: 20_000, ratePerSec: 100 }]);
    world.sim.at(5000, () => controlPlane.rollout('orders', workerTemplate('v2', { coldStartMs: 500, errorRate: 0.5 })));
    keepAliveUntil(world, 20_000);
    await world.sim.run({ untilMs: 20_000 });
    const [update, rollback] = controlPlane.rollouts('orders');
    expect(update).toMatchObject({ kind: 'update', toVersion: 'v2', outcome: 'rolled-back', minReady: 3, readyFloor: 3 });
    expect(rollback).toMatchObject({ kind: 'rollback', toVersion: 'v1', outcome: 'complete', minReady: 3 });
    expect(events.filter((line) => line.includes('rollback'))).toHaveLength(1);
    expect(events.find((line) => line.includes('rollback'))).toMatch(/^\d+ rollback orders v2 -> v1: error rate \d+\.\d% over \d+ requests > 10\.0%$/);
    expect(controlPlane.pods('orders').filter((pod) => pod.phase === 'running').map((pod) => `${pod.version} ${pod.ready}`)).toEqual(['v1 true', 'v1 true', 'v1 true']);
    expect(controlPlane.status('orders')).toMatchObject({ version: 'v1', revision: 1, rollbacks: 1 });
    // Only the one v2 pod ever got traffic, about a quarter of it, until 20 of its answers were in.
    expect(tally.failed).toBeGreaterThan(0);
    expect(tally.failed).toBeLessThan(30);
  });

  it('keeps analysing after the rollout completed, and rolls back a version that fails later', async () => {
    const { world, controlPlane } = cluster();
    controlPlane.deploy({
      name: 'orders',
      replicas: 2,
      template: workerTemplate('v1'),
      strategy: { kind: 'rolling', maxSurge: 2, maxUnavailable: 0 },
      analysis: { maxErrorRate: 0.1, minRequests: 50, afterRolloutMs: 10_000 },
    });
    // Too little traffic to judge during the rollout (it takes 0.2 s); enough within 10 s after it.
    steadyLoad(world, controlPlane, 'orders', [{ fromMs: 1000, untilMs: 20_000, ratePerSec: 20 }]);
    world.sim.at(5000, () => controlPlane.rollout('orders', workerTemplate('v2', { errorRate: 0.5 })));
    keepAliveUntil(world, 20_000);
    await world.sim.run({ untilMs: 20_000 });
    const [update] = controlPlane.rollouts('orders');
    expect(update).toMatchObject({ outcome: 'rolled-back' });
    expect(update!.endedAtMs).toBe(5200);
    expect(controlPlane.status('orders')).toMatchObject({ version: 'v1', ready: 2, rollbacks: 1 });
  });

  it('recreate: starts no new pod before every old pod is gone', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['pod.create', 'pod.terminated', 'deploy']);
    controlPlane.deploy({ name: 'orders', replicas: 2, template: workerTemplate('v1'), strategy: { kind: 'recreate' }, terminationGraceMs: 1000 });
    world.sim.at(2000, () => controlPlane.rollout('orders', workerTemplate('v2')));
    keepAliveUntil(world, 6000);
    await world.sim.run({ untilMs: 6000 });
    expect(events).toEqual([
      '0 deploy orders v1 created with 2 replicas',
      '0 pod.create orders-v1-1',
      '0 pod.create orders-v1-2',
      '2000 deploy orders v1 -> v2 started (recreate)',
      '2000 deploy orders v2: 0/2 ready, 0 old',
      '3000 pod.terminated orders-v1-1',
      '3000 pod.terminated orders-v1-2',
      '3000 pod.create orders-v2-3',
      '3000 pod.create orders-v2-4',
      '3200 deploy orders v2 complete in 1.2s',
    ]);
    expect(controlPlane.rollouts('orders')[0]).toMatchObject({ minReady: 0, readyFloor: 0 });
  });

  it('a crashed control plane stops healing; restarted, it picks up where it left off', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['pod.crash', 'pod.restart', 'pod.ready']);
    controlPlane.deploy({ name: 'orders', replicas: 1, template: workerTemplate('v1') });
    world.sim.at(1000, () => world.crash('control-plane'));
    world.sim.at(1500, () => world.crash('orders-v1-1'));
    world.sim.at(5000, () => world.restart('control-plane'));
    keepAliveUntil(world, 7000);
    await world.sim.run({ untilMs: 7000 });
    expect(events).toEqual([
      '102 pod.ready orders-v1-1: readiness probe passed',
      // Nobody watched from 1000 to 5000; the first pass after the restart sees the crash.
      '5000 pod.crash orders-v1-1 crash 1 in a row; restart in 500ms',
      '5500 pod.restart orders-v1-1 restart 1',
      '5602 pod.ready orders-v1-1: readiness probe passed',
    ]);
  });
});
