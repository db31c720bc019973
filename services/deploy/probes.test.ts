import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../sim/engine/errors.ts';
import { Probe, resolveProbe, READINESS_DEFAULTS, READY_METHOD } from './probes.ts';
import { cluster, keepAliveUntil, recordControlPlane, workerTemplate } from '../../test/kit/deploy.ts';

const options = resolveProbe({ periodMs: 500, timeoutMs: 100, failureThreshold: 3, successThreshold: 2 }, READINESS_DEFAULTS, 'test probe');

describe('Probe', () => {
  it('is due at start plus its initial delay, then one period after each probe, never twice in flight', () => {
    const probe = new Probe(READY_METHOD, { ...options, initialDelayMs: 300 }, 1000);
    expect(probe.due(1299)).toBe(false);
    expect(probe.due(1300)).toBe(true);
    probe.begin(1300);
    expect(probe.due(5000)).toBe(false);
    probe.end(true);
    expect(probe.due(1799)).toBe(false);
    expect(probe.due(1800)).toBe(true);
  });

  it('passes after successThreshold successes in a row and fails after failureThreshold failures in a row', () => {
    const probe = new Probe(READY_METHOD, options, 0);
    const answers = [true, false, true, true, false, false, true, false, false, false, true, true];
    const statuses = answers.map((passed) => {
      probe.begin(0);
      probe.end(passed);
      return probe.status;
    });
    expect(statuses).toEqual([
      'unknown', 'unknown', 'unknown', 'passing', // a failure restarts the count of successes
      'passing', 'passing', 'passing', // two failures are not three; a success resets them
      'passing', 'passing', 'failing',
      'failing', 'passing',
    ]);
  });

  it('reports whether an answer changed the status', () => {
    const probe = new Probe(READY_METHOD, { ...options, successThreshold: 1, failureThreshold: 1 }, 0);
    expect([probe.end(true), probe.end(true), probe.end(false), probe.end(false)]).toEqual([true, false, true, false]);
  });

  it('rejects a timeout longer than the period', () => {
    expect(() => resolveProbe({ periodMs: 500, timeoutMs: 600 }, READINESS_DEFAULTS, 'readiness probe')).toThrow(
      new ConfigError('readiness probe: timeoutMs is 600; use ms > 0 and <= periodMs (500)'),
    );
  });
});

describe('probes in a cluster', () => {
  it('keeps a pod out of discovery until its cold start is over and a readiness probe passes', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['pod.create', 'pod.ready', 'service.endpoint-add']);
    controlPlane.deploy({ name: 'catalog', replicas: 1, template: workerTemplate('v1', { coldStartMs: 1000 }) });
    keepAliveUntil(world, 3000);
    await world.sim.run({ untilMs: 3000 });
    // Probes at 100 and 600 find it warming up; the one at 1100 passes (1 ms each way).
    expect(events).toEqual(['0 pod.create catalog-v1-1', '1102 pod.ready catalog-v1-1: readiness probe passed', '1200 service.endpoint-add catalog']);
  });

  it('takes a hung pod out of discovery, then kills and restarts it when liveness fails', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['pod.unready', 'pod.liveness-failed', 'pod.crash', 'pod.restart', 'pod.ready', 'service.endpoint-remove']);
    controlPlane.deploy({
      name: 'catalog',
      replicas: 1,
      template: workerTemplate('v1'),
      readiness: { periodMs: 500, timeoutMs: 200, failureThreshold: 2 },
      liveness: { periodMs: 1000, timeoutMs: 200, failureThreshold: 3 },
    });
    // Stop-the-world from 2050 on (a GC that never ends): nothing it receives is answered.
    world.sim.at(2050, () => world.pause('catalog-v1-1'));
    keepAliveUntil(world, 8000);
    await world.sim.run({ untilMs: 8000 });
    expect(events).toEqual([
      '102 pod.ready catalog-v1-1: readiness probe passed',
      // Readiness probes sent at 2100 and 2600 time out 200 ms later: out of discovery at the next pass.
      '2800 pod.unready catalog-v1-1: readiness probe failed',
      '2800 service.endpoint-remove catalog',
      // Liveness probes sent at 2100, 3100 and 4100 time out; the third kills the process.
      '4300 pod.liveness-failed catalog-v1-1 failed 3 liveness probes',
      '4300 pod.crash catalog-v1-1 crash 1 in a row; restart in 500ms',
      '4800 pod.restart catalog-v1-1 restart 1',
      '4902 pod.ready catalog-v1-1: readiness probe passed',
    ]);
  });
});
