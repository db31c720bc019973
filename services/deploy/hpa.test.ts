import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../sim/engine/errors.ts';
import { Autoscaler, MetricWindow, resolveHpa } from './hpa.ts';
import { cluster, keepAliveUntil, recordControlPlane, steadyLoad, workerTemplate } from '../../test/kit/deploy.ts';

const cpu = (targetUtilization: number) => ({ kind: 'cpu', targetUtilization }) as const;

describe('MetricWindow', () => {
  it('averages the samples of the last windowMs and forgets older ones', () => {
    const window = new MetricWindow(1000);
    expect(window.average()).toBeUndefined();
    window.add(0, 1);
    window.add(500, 0.5);
    expect(window.average()).toBe(0.75);
    window.add(1000, 0); // the sample at 0 is a full window old
    expect(window.average()).toBe(0.25);
  });
});

describe('Autoscaler.decide', () => {
  const options = resolveHpa({ minReplicas: 1, maxReplicas: 10, metric: cpu(0.5), scaleDownStabilizationMs: 5000 });

  it('asks for ceil(sum of pod metrics / target) pods, clamped to [min, max]', () => {
    const autoscaler = new Autoscaler(options, 0);
    expect(autoscaler.decide(0, [1, 1], 2)).toEqual({ average: 1, pods: 2, recommended: 4, desired: 4 });
    // 0.6 + 0.6 = 1.2 over 0.5 is 2.4: 3 pods (and 1.5 / 0.5 is exactly 3, not 4).
    expect(autoscaler.decide(0, [0.6, 0.6], 2)?.desired).toBe(3);
    expect(autoscaler.decide(0, [0.75, 0.75], 2)?.desired).toBe(3);
    expect(autoscaler.decide(0, Array(8).fill(1), 8)?.desired).toBe(10);
  });

  it('keeps the count while the average is within the tolerance of the target', () => {
    const autoscaler = new Autoscaler(options, 0);
    expect(autoscaler.decide(0, [0.54, 0.54], 2)?.desired).toBe(2);
    expect(autoscaler.decide(0, [0.56, 0.56], 2)?.desired).toBe(3);
  });

  it('scales down only to the highest recommendation of the stabilization window', () => {
    const autoscaler = new Autoscaler(options, 0);
    expect(autoscaler.decide(0, [0.5, 0.5, 0.5, 0.5], 4)?.desired).toBe(4);
    expect(autoscaler.decide(1000, [0.1, 0.1, 0.1, 0.1], 4)).toMatchObject({ recommended: 1, desired: 4 });
    expect(autoscaler.decide(5000, [0.1, 0.1, 0.1, 0.1], 4)?.desired).toBe(4);
    // The recommendation of 4 made at 0 has left the 5000 ms window.
    expect(autoscaler.decide(5001, [0.1, 0.1, 0.1, 0.1], 4)?.desired).toBe(1);
  });

  it('decides nothing without a reporting pod', () => {
    expect(new Autoscaler(options, 0).decide(0, [], 3)).toBeUndefined();
  });

  it('rejects bounds the wrong way round', () => {
    expect(() => resolveHpa({ minReplicas: 3, maxReplicas: 2, metric: cpu(0.5) })).toThrow(
      new ConfigError('autoscaler: maxReplicas is 2; use a whole number >= minReplicas (3)'),
    );
  });
});

describe('autoscaling in a cluster', () => {
  /** 500 req/s of 10 ms each is 5 busy workers: at 4 workers a pod and 50% target, 2.5 -> 3 pods. */
  function scaledCluster(phases: { fromMs: number; untilMs: number; ratePerSec: number }[], untilMs: number) {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['scale']);
    controlPlane.deploy({ name: 'catalog', replicas: 1, template: workerTemplate('v1', { serviceTimeMs: 10, coldStartMs: 500, queueCapacity: 200 }) });
    controlPlane.autoscale('catalog', { minReplicas: 1, maxReplicas: 10, metric: cpu(0.5), syncPeriodMs: 1000, metricWindowMs: 2000, scaleDownStabilizationMs: 15_000 });
    const tally = steadyLoad(world, controlPlane, 'catalog', phases);
    keepAliveUntil(world, untilMs);
    return { world, controlPlane, events, tally, run: () => world.sim.run({ untilMs }) };
  }

  it('converges under steady load to the expected replica count within its stabilization window, and stays there', async () => {
    const { controlPlane, events, tally, run } = scaledCluster([{ fromMs: 1000, untilMs: 60_000, ratePerSec: 500 }], 60_000);
    await run();
    expect(events).toEqual([
      // One saturated pod reports 1.0: 2 pods.
      '2000 scale catalog 1->2',
      // The first pod's backlog keeps it saturated while the second warms up: 1.0 + 0.6 asks for 4.
      '3000 scale catalog 2->4',
      // The backlog drained, 4 pods hold 0.31 each: 3 are recommended from 6 s on, granted once the
      // recommendation of 4 has left the 15 s stabilization window.
      '21000 scale catalog 4->3',
    ]);
    // 3 = ceil(5 busy workers / 4 workers a pod / 0.5 target); it holds to the end.
    expect(controlPlane.status('catalog')).toMatchObject({ replicas: 3, ready: 3, peakReplicas: 4 });
    expect(tally.failed).toBe(0);
  });

  it('scales down only after the stabilization window once the load drops', async () => {
    const { controlPlane, events, run } = scaledCluster(
      [
        { fromMs: 1000, untilMs: 30_000, ratePerSec: 500 },
        { fromMs: 30_000, untilMs: 60_000, ratePerSec: 100 },
      ],
      60_000,
    );
    await run();
    // 100 req/s is 0.25 of a pod: 1 pod. The decision at 30 s still saw the old load (3), the one at
    // 31 s half of it (2); each is granted only when the larger ones have left the 15 s window.
    expect(events).toEqual(['2000 scale catalog 1->2', '3000 scale catalog 2->4', '21000 scale catalog 4->3', '46000 scale catalog 3->2', '47000 scale catalog 2->1']);
    expect(controlPlane.status('catalog')).toMatchObject({ replicas: 1, ready: 1 });
  });

  it('scales on queue depth per pod', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['scale']);
    // One worker of 10 ms serves 100 req/s; 150 req/s builds a queue until a second pod shares it.
    controlPlane.deploy({ name: 'catalog', replicas: 1, template: workerTemplate('v1', { serviceTimeMs: 10, workers: 1, queueCapacity: 500 }) });
    controlPlane.autoscale('catalog', { minReplicas: 1, maxReplicas: 4, metric: { kind: 'queue', targetPerPod: 5 }, scaleDownStabilizationMs: 60_000 });
    steadyLoad(world, controlPlane, 'catalog', [{ fromMs: 1000, untilMs: 20_000, ratePerSec: 150 }]);
    keepAliveUntil(world, 20_000);
    await world.sim.run({ untilMs: 20_000 });
    expect(events).toEqual([
      // The queue grew by 50 a second from 1 s: 12.5 on average over the 2 s window, 2.5 targets.
      '2000 scale catalog 1->3',
      // New pods take no backlog: the first pod's queue (about 65 on average) is still draining.
      '4000 scale catalog 3->4',
    ]);
    expect(controlPlane.status('catalog')).toMatchObject({ replicas: 4, ready: 4 });
  });
});
