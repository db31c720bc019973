import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../sim/engine/errors.ts';
import { resolveBackoff, restartDelayMs } from './backoff.ts';
import { cluster, keepAliveUntil, recordControlPlane, workerTemplate } from '../../test/kit/deploy.ts';
import { crashLoop, scheduleDeployFaults } from './crashloop.ts';

describe('restartDelayMs', () => {
  it('doubles from initialMs with each crash in a row and stays at the cap', () => {
    const backoff = resolveBackoff({ initialMs: 500, capMs: 8000 });
    expect([1, 2, 3, 4, 5, 6, 7, 60].map((crashes) => restartDelayMs(crashes, backoff))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
  });

  it('caps a doubling that does not land on the cap exactly', () => {
    const backoff = resolveBackoff({ initialMs: 300, capMs: 1000 });
    expect([1, 2, 3, 4].map((crashes) => restartDelayMs(crashes, backoff))).toEqual([300, 600, 1000, 1000]);
  });

  it('rejects a cap below the first wait, and a crash count below 1', () => {
    expect(() => resolveBackoff({ initialMs: 1000, capMs: 500 })).toThrow(new ConfigError('restart back-off: capMs is 500; use a finite number of ms >= initialMs (1000)'));
    expect(() => restartDelayMs(0, resolveBackoff())).toThrow(RangeError);
  });
});

describe('crash-loop back-off in a cluster', () => {
  it('restarts a crash-looping pod after 0.5, 1, 2, 4, 8, 8, 8 s; then it starts cleanly and is back in discovery', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['pod.crash', 'pod.restart', 'pod.ready', 'service.endpoint-add', 'fault']);
    controlPlane.deploy({ name: 'payments', replicas: 1, template: workerTemplate('v1'), restartBackoff: { initialMs: 500, capMs: 8000 } });
    // A bad config at 1000: the running process dies, and so do its next 6 starts, each 100 ms in.
    scheduleDeployFaults(controlPlane, [{ atMs: 1000, fault: crashLoop('payments', 6) }]);
    keepAliveUntil(world, 40_000);
    await world.sim.run({ untilMs: 40_000 });
    expect(events).toEqual([
      // Created at 0; first readiness probe at the 100 ms pass, answered 1 ms each way.
      '102 pod.ready payments-v1-1: readiness probe passed',
      '200 service.endpoint-add payments',
      '1000 fault crash-loop payments for 6 starts',
      '1000 pod.crash payments-v1-1 crash 1 in a row; restart in 500ms',
      '1500 pod.restart payments-v1-1 restart 1',
      '1600 pod.crash payments-v1-1 crash 2 in a row; restart in 1000ms',
      '2600 pod.restart payments-v1-1 restart 2',
      '2700 pod.crash payments-v1-1 crash 3 in a row; restart in 2000ms',
      '4700 pod.restart payments-v1-1 restart 3',
      '4800 pod.crash payments-v1-1 crash 4 in a row; restart in 4000ms',
      '8800 pod.restart payments-v1-1 restart 4',
      '8900 pod.crash payments-v1-1 crash 5 in a row; restart in 8000ms',
      '16900 pod.restart payments-v1-1 restart 5',
      '17000 pod.crash payments-v1-1 crash 6 in a row; restart in 8000ms',
      '25000 pod.restart payments-v1-1 restart 6',
      '25100 pod.crash payments-v1-1 crash 7 in a row; restart in 8000ms',
      // The seventh start is clean.
      '33100 pod.restart payments-v1-1 restart 7',
      '33202 pod.ready payments-v1-1: readiness probe passed',
      '33300 service.endpoint-add payments',
    ]);
    expect(controlPlane.status('payments')).toMatchObject({ ready: 1, restarts: 7 });
  });

  it('starts the back-off over for a pod that ran longer than resetAfterMs before crashing', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['pod.crash']);
    controlPlane.deploy({ name: 'orders', replicas: 1, template: workerTemplate('v1'), restartBackoff: { initialMs: 500, capMs: 8000, resetAfterMs: 10_000 } });
    for (const atMs of [1000, 2000, 3000, 20_000]) world.sim.at(atMs, () => world.crash('orders-v1-1'));
    keepAliveUntil(world, 25_000);
    await world.sim.run({ untilMs: 25_000 });
    expect(events).toEqual([
      '1000 pod.crash orders-v1-1 crash 1 in a row; restart in 500ms',
      // Restarted at 1500, crashed 500 ms later: still looping.
      '2000 pod.crash orders-v1-1 crash 2 in a row; restart in 1000ms',
      // 3000 hits the pod while it waits out its back-off: already down, nothing new.
      // Restarted at 3000 and ran 17 s: the next crash is a first one again.
      '20000 pod.crash orders-v1-1 crash 1 in a row; restart in 500ms',
    ]);
  });
});
