// Tests for link semantics in sim/world/network.ts: `fifo` vs `independent` ordering (what one-way
// delay a receiver observes), payload sizes (sim/world/payload-size.ts) and link bandwidth.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../engine/simulation.ts';
import { Network, resolveLink, type LinkOptions } from './network.ts';
import { estimateSizeBytes, withSizeBytes } from './payload-size.ts';

/** Sends `count` messages a → b, one every `gapMs`; returns each message's observed one-way delay, in send order. */
async function observedDelays(link: LinkOptions, count: number, gapMs: number, body: (index: number) => unknown = (index) => index): Promise<number[]> {
  const sim = new Simulation(7);
  const sentAtMs: number[] = [];
  const delays: number[] = new Array(count);
  const network = new Network(sim, (envelope) => {
    const index = envelope.id - 1;
    delays[index] = sim.nowMs - sentAtMs[index]!;
  }, link);
  for (let index = 0; index < count; index++) {
    sim.schedule(index * gapMs, () => {
      sentAtMs.push(sim.nowMs);
      network.send('a', 'b', 'm', body(index));
    });
  }
  await sim.run();
  return delays;
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('link ordering', () => {
  const exponential10 = { kind: 'exponential', mean: 10 } as const;

  it('independent: under dense sends (one per 0.05 ms, mean latency 10 ms) the observed mean one-way delay is the configured mean within 1%', async () => {
    const delays = await observedDelays({ latencyMs: exponential10, ordering: 'independent' }, 200_000, 0.05);
    expect(Math.abs(mean(delays) / 10 - 1)).toBeLessThan(0.01);
  });

  it('fifo: the same sends observe a mean delay far above the configured one (no overtaking)', async () => {
    const delays = await observedDelays({ latencyMs: exponential10 }, 20_000, 0.05);
    expect(mean(delays)).toBeGreaterThan(30);
  });

  it('fifo delivers in send order; independent lets a later message overtake', async () => {
    const order = async (ordering: 'fifo' | 'independent'): Promise<number[]> => {
      const sim = new Simulation(3);
      const arrived: number[] = [];
      const network = new Network(sim, (envelope) => arrived.push(envelope.body as number), { latencyMs: { kind: 'uniform', min: 0, max: 100 }, ordering });
      for (let index = 0; index < 50; index++) network.send('a', 'b', 'm', index);
      await sim.run();
      return arrived;
    };
    const inOrder = Array.from({ length: 50 }, (_, index) => index);
    expect(await order('fifo')).toEqual(inOrder);
    expect(await order('independent')).not.toEqual(inOrder);
  });

  it('fifo is the default', () => {
    expect(resolveLink({}, undefined, 'link').ordering).toBe('fifo');
  });

  it('rejects an unknown ordering', () => {
    expect(() => resolveLink({ ordering: 'lifo' as 'fifo' }, undefined, 'link a->b')).toThrow(`link a->b ordering is "lifo": use 'fifo' or 'independent'`);
  });
});

describe('payload sizes and bandwidth', () => {
  it('a declared size wins over the estimate; the receiver sees the payload unchanged', () => {
    const payload = withSizeBytes({ image: 'x' }, 2_000_000);
    expect(estimateSizeBytes({ body: payload })).toBe(2_000_000 + 2 + 'body'.length + 4);
    expect(Object.keys(payload)).toEqual(['image']);
    expect(JSON.stringify(payload)).toBe('{"image":"x"}');
  });

  it('estimates about the JSON length: strings by length, numbers 8, booleans 1, keys and punctuation', () => {
    expect(estimateSizeBytes('abcd')).toBe(6);
    expect(estimateSizeBytes(12)).toBe(8);
    expect(estimateSizeBytes([true, null])).toBe(2 + 1 + 1 + 4 + 1);
    expect(estimateSizeBytes({ id: 'x' })).toBe(2 + 2 + 4 + 3);
  });

  it('transmission delay = size / bandwidth, serialised per link: two 10 kB messages on 1 MB/s, 1 ms latency arrive at 11 and 21 ms', async () => {
    const delays = await observedDelays({ latencyMs: { kind: 'constant', value: 1 }, bandwidthBytesPerSec: 1_000_000 }, 2, 0, () => withSizeBytes({}, 10_000));
    expect(delays).toEqual([11, 21]);
  });

  it('an independent link still serialises transmission (one wire), then each message takes its own latency', async () => {
    const delays = await observedDelays({ latencyMs: { kind: 'constant', value: 1 }, bandwidthBytesPerSec: 1_000_000, ordering: 'independent' }, 3, 0, () => withSizeBytes({}, 1_000));
    expect(delays).toEqual([2, 3, 4]);
  });

  it('without a bandwidth, size costs nothing', async () => {
    expect(await observedDelays({ latencyMs: { kind: 'constant', value: 1 } }, 2, 0, () => withSizeBytes({}, 1e9))).toEqual([1, 1]);
  });

  it.each([0, -5, Number.NaN])('rejects a bandwidth of %s', (bandwidthBytesPerSec) => {
    expect(() => resolveLink({ bandwidthBytesPerSec }, undefined, 'link a->b')).toThrow(/link a->b bandwidthBytesPerSec is .*: use a number of bytes per second > 0/);
  });
});
