import { describe, expect, it } from 'vitest';
import definition, { ratePerSec } from './autoscaling.ts';
import { runOn } from '../test/kit/scenario.ts';

describe('autoscaling scenario', () => {
  it('ramps traffic x5 after a warm-up and back', () => {
    expect([0, 4_999, 5_000, 24_999, 32_500, 40_000, 79_999, 82_500, 85_000, 109_000].map(ratePerSec)).toEqual([0, 0, 100, 100, 300, 500, 500, 300, 100, 100]);
  });

  it('scales only the hot service as microservices, everything as a monolith, which costs more sized instance-seconds', async () => {
    const run = await runOn(definition, 1);
    expect(run.failureLines()).toEqual(['microservices: ok', 'monolith: ok']);
    const [micro, mono] = [run.variant('microservices'), run.variant('monolith')];
    const [microFigures, monoFigures] = [micro.metrics.consistency, mono.metrics.consistency];
    // checkout stays at its minimum of 2; catalog takes the ramp.
    expect(microFigures['peakPods checkout']).toBe(2);
    expect(microFigures['peakPods catalog']).toBeGreaterThanOrEqual(6);
    expect(monoFigures['peakPods monolith']).toBeGreaterThanOrEqual(6);
    expect(microFigures.sizedInstanceSeconds).toBeLessThan(monoFigures.sizedInstanceSeconds!);
    // Each monolith replica boots both modules: new capacity arrives later and the tail pays for it.
    expect(micro.metrics.latencyMs.p99).toBeLessThan(mono.metrics.latencyMs.p99);
    expect(micro.metrics.requests.failed + mono.metrics.requests.failed).toBe(0);
  });
});
