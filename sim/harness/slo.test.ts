import { describe, expect, it } from 'vitest';
import { slo, SloMonitor } from './slo.ts';
import { WorkloadMetrics } from './workload.ts';
import { crash } from './faults.ts';
import { scenario } from './scenario.ts';
import { runScenario } from './runner.ts';
import { ConfigError } from '../engine/errors.ts';
import type { World } from '../world/world.ts';

const okOutcome = { ok: true as const, value: 'ok' };
const failedOutcome = { ok: false as const, code: 'timeout' as const, message: 'client timed out', source: 'client' };

describe('slo()', () => {
  it('needs at least one target', () => {
    expect(() => slo({ endpoint: 'POST /orders' })).toThrow(ConfigError);
    expect(() => slo({ endpoint: 'POST /orders' })).toThrow(/slo for 'POST \/orders' has no target: give p50Ms, p99Ms, p999Ms or availability/);
  });

  it('refuses targets out of range and an unknown phase', () => {
    expect(() => slo({ p99Ms: 0 })).toThrow(/p99Ms is 0; use a finite number of ms > 0/);
    expect(() => slo({ availability: 1.5 })).toThrow(/availability is 1.5; use a fraction in \(0, 1\]/);
    expect(() => slo({ p50Ms: 10, phase: 'sometimes' as never })).toThrow(/phase is 'sometimes'/);
  });

  it('names itself after its targets unless given a name', () => {
    expect(slo({ endpoint: 'GET /a', p99Ms: 200, availability: 0.99, phase: 'after-recovery' }).name).toBe('slo GET /a p99<=200ms availability>=0.99 after-recovery');
    expect(slo({ p50Ms: 5, name: 'fast' }).name).toBe('fast');
  });
});

describe('SloMonitor', () => {
  it('judges each SLO on the requests of its endpoint and phase, and names figure, value and target on a miss', () => {
    const checks = [
      slo({ endpoint: 'GET /a', p50Ms: 1, phase: 'during-faults' }),
      slo({ endpoint: 'GET /a', availability: 0.5, phase: 'after-recovery' }),
      slo({ p99Ms: 1000 }),
    ];
    const monitor = new SloMonitor(checks, [{ atMs: 100, durationMs: 100, fault: crash('x') }], 1000);
    const metrics = new WorkloadMetrics(1000);
    monitor.attach(metrics);
    metrics.record('GET /a', 50, 55, okOutcome); // before the fault: only the all-requests SLO sees it
    metrics.record('GET /a', 150, 151.5, okOutcome); // during: 1.5 ms (HDR is exact below 2.048 ms)
    metrics.record('GET /a', 160, 161.8, failedOutcome); // during: 1.8 ms
    metrics.record('GET /a', 300, 301, failedOutcome); // after recovery
    metrics.record('GET /b', 300, 302, okOutcome);
    const failures = monitor.evaluate(1000, ['GET /a', 'GET /b'], true);
    expect(failures).toEqual([
      { kind: 'correctness', check: 'slo GET /a p50<=1ms during-faults', atMs: 1000, message: 'p50 latency of GET /a is 1.5 ms, target <= 1 ms (2 requests sent during faults)' },
      { kind: 'correctness', check: 'slo GET /a availability>=0.5 after-recovery', atMs: 1000, message: 'availability of GET /a is 0.00%, target >= 50.00% (1 requests sent after recovery)' },
    ]);
  });

  it('refuses an SLO on an endpoint the full workload never sent, but not when the workload was cut short', () => {
    const monitor = new SloMonitor([slo({ endpoint: 'GET /nope', p99Ms: 5 })], [], 1000);
    expect(() => monitor.evaluate(1000, ['GET /a'], true)).toThrow(/the workload never sends endpoint 'GET \/nope' \(it sends 'GET \/a'\)/);
    expect(monitor.evaluate(1000, ['GET /a'], false)).toEqual([]);
  });
});

describe('an slo in a scenario', () => {
  const echo = (checkP99Ms: number, endpoint = 'echo') =>
    scenario({
      name: 'echo-slo',
      description: 'an echo node under an SLO',
      durationMs: 2000,
      quiesceMs: 100,
      workload: { kind: 'open', ratePerSec: 200, request: () => ({ endpoint: 'echo', method: 'echo' }) },
      variants: [{ name: 'one', build: (world: World) => (world.addNode('echo', () => ({ handlers: { echo: { serviceTimeMs: 5, handle: () => 'ok' } } }), { workers: 1 }), { entry: 'echo' }) }],
      checks: [slo({ endpoint, p99Ms: checkP99Ms })],
    });

  it('fails the run as a correctness failure when missed, and passes when met', async () => {
    const missed = await runScenario(echo(1), 1);
    expect(missed.ok).toBe(false);
    expect(missed.variants[0]!.failures[0]).toMatchObject({ kind: 'correctness', check: 'slo echo p99<=1ms' });
    expect(missed.variants[0]!.failures[0]!.message).toMatch(/^p99 latency of echo is [\d.]+ ms, target <= 1 ms \(\d+ requests\)$/);
    expect((await runScenario(echo(10_000), 1)).ok).toBe(true);
  });

  it('is bad input when it names an endpoint the workload never sends', async () => {
    await expect(runScenario(echo(100, 'GET /missing'), 1)).rejects.toThrow(ConfigError);
  });
});
