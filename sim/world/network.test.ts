// Tests for sim/world/network.ts: per-message latency and jitter, loss, duplication, reordering, FIFO links,
// partitions (symmetric, one-way, heal by id), hold/release, per-link configuration and validation.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../engine/simulation.ts';
import { Network, resolveLink, type Envelope, type LinkOptions } from './network.ts';
import { ConfigError } from '../engine/errors.ts';
import type { Distribution } from '../engine/rng.ts';
import type { TraceEvent } from '../engine/trace.ts';

interface Arrival {
  atMs: number;
  envelope: Envelope;
}

/** A network on a fresh simulation that records every delivery and every trace event. */
function testNetwork(seed = 1, defaults: LinkOptions = {}) {
  const sim = new Simulation(seed);
  const arrivals: Arrival[] = [];
  const trace: TraceEvent[] = [];
  sim.trace.addSink((event) => trace.push(event));
  const network = new Network(sim, (envelope) => arrivals.push({ atMs: sim.nowMs, envelope }), defaults);
  return { sim, network, arrivals, trace };
}

const constantMs = (value: number): Distribution => ({ kind: 'constant', value });

/** Sends one message a → b every `gapMs`, `count` times, with the index as body. */
function sendSpaced(sim: Simulation, network: Network, count: number, gapMs: number, from = 'a', to = 'b'): void {
  for (let index = 0; index < count; index++) sim.schedule(index * gapMs, () => network.send(from, to, 'm', index));
}

describe('latency', () => {
  it('defaults to a constant 1 ms and delivers the envelope as sent', async () => {
    const { sim, network, arrivals } = testNetwork();
    sim.schedule(3, () => expect(network.send('a', 'b', 'rpc get', { x: 1 })).toBe(1));
    await sim.run();
    expect(arrivals).toEqual([{ atMs: 4, envelope: { id: 1, from: 'a', to: 'b', label: 'rpc get', body: { x: 1 }, response: false } }]);
  });

  it('samples the latency distribution once per message, from the network stream', async () => {
    const latency: Distribution = { kind: 'uniform', min: 10, max: 20 };
    const { sim, network, arrivals } = testNetwork(7, { latencyMs: latency });
    sendSpaced(sim, network, 50, 100);
    await sim.run();
    const delays = arrivals.map((arrival) => arrival.atMs - (arrival.envelope.body as number) * 100);
    const expected = new Simulation(7).rng.fork('network');
    expect(arrivals.map((arrival) => arrival.atMs)).toEqual(Array.from({ length: 50 }, (_, i) => i * 100 + expected.sample(latency)));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...delays)).toBeLessThan(20);
    expect(new Set(delays).size).toBe(50);
  });

  it('adds jitter on top of the latency', async () => {
    const { sim, network, arrivals } = testNetwork(1, { latencyMs: constantMs(5), jitterMs: { kind: 'uniform', min: 0, max: 4 } });
    sendSpaced(sim, network, 40, 100);
    await sim.run();
    const delays = arrivals.map((arrival) => arrival.atMs - (arrival.envelope.body as number) * 100);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...delays)).toBeLessThan(9);
    expect(new Set(delays).size).toBe(40);
  });

  it('constant latency plus constant jitter is exact', async () => {
    const { sim, network, arrivals } = testNetwork(1, { latencyMs: constantMs(5), jitterMs: constantMs(2.5) });
    sim.schedule(10, () => network.send('a', 'b', 'm', 0));
    await sim.run();
    expect(arrivals.map((arrival) => arrival.atMs)).toEqual([17.5]);
  });

  it('clamps a negative draw (unclamped normal) to zero delay', async () => {
    const { sim, network, arrivals } = testNetwork(3, { latencyMs: { kind: 'normal', mean: 0, stddev: 5 } });
    sendSpaced(sim, network, 40, 100);
    await sim.run();
    const delays = arrivals.map((arrival) => arrival.atMs - (arrival.envelope.body as number) * 100);
    expect(Math.min(...delays)).toBe(0);
    expect(delays.filter((delay) => delay === 0).length).toBeGreaterThan(10);
  });
});

describe('FIFO and reordering', () => {
  it('a link is FIFO without reordering: a later message never overtakes an earlier one', async () => {
    const { sim, network, arrivals } = testNetwork(5, { latencyMs: { kind: 'uniform', min: 0, max: 100 } });
    sendSpaced(sim, network, 200, 1);
    await sim.run();
    expect(arrivals.map((arrival) => arrival.envelope.body)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const times = arrivals.map((arrival) => arrival.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('FIFO holds across a latency change on the link (fast messages wait behind slow ones)', async () => {
    const { sim, network, arrivals } = testNetwork(1, { latencyMs: constantMs(100) });
    sim.schedule(0, () => network.send('a', 'b', 'm', 'slow'));
    sim.schedule(1, () => network.setLink('a', 'b', { latencyMs: constantMs(1) }));
    sim.schedule(2, () => network.send('a', 'b', 'm', 'fast'));
    await sim.run();
    expect(arrivals.map((arrival) => [arrival.envelope.body, arrival.atMs])).toEqual([
      ['slow', 100],
      ['fast', 100],
    ]);
  });

  it('links are independent: a slow link does not delay another', async () => {
    const { sim, network, arrivals } = testNetwork(1);
    network.setLink('a', 'b', { latencyMs: constantMs(100) });
    sim.schedule(0, () => network.send('a', 'b', 'm', 'ab'));
    sim.schedule(0, () => network.send('a', 'c', 'm', 'ac'));
    sim.schedule(0, () => network.send('b', 'a', 'm', 'ba'));
    await sim.run();
    expect(arrivals.map((arrival) => [arrival.envelope.body, arrival.atMs])).toEqual([
      ['ac', 1],
      ['ba', 1],
      ['ab', 100],
    ]);
  });

  it('reordering lets messages overtake each other, within up to twice the latency (+1 ms) extra', async () => {
    const { sim, network, arrivals } = testNetwork(2, { latencyMs: constantMs(10), reorderProbability: 0.5 });
    sendSpaced(sim, network, 200, 1);
    await sim.run();
    const order = arrivals.map((arrival) => arrival.envelope.body as number);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
    for (const arrival of arrivals) {
      const delay = arrival.atMs - (arrival.envelope.body as number);
      expect(delay).toBeGreaterThanOrEqual(10);
      expect(delay).toBeLessThan(10 + 21);
    }
  });
});

describe('loss and duplication', () => {
  it('loses about lossProbability of the messages, deterministically per seed, traced as msg.dropped loss', async () => {
    const run = async () => {
      const { sim, network, arrivals, trace } = testNetwork(11, { lossProbability: 0.3 });
      sendSpaced(sim, network, 2000, 1);
      await sim.run();
      return { delivered: arrivals.map((arrival) => arrival.envelope.id), dropped: trace.filter((event) => event.kind === 'msg.dropped') };
    };
    const first = await run();
    const second = await run();
    expect(second.delivered).toEqual(first.delivered);
    expect(first.dropped.length + first.delivered.length).toBe(2000);
    expect(first.dropped.length).toBe(LOST_OF_2000);
    expect(first.dropped.length / 2000).toBeGreaterThan(0.27);
    expect(first.dropped.length / 2000).toBeLessThan(0.33);
    expect(first.dropped.every((event) => event.detail === 'loss' && event.node === 'a' && event.peer === 'b')).toBe(true);
  });

  it('duplicates about duplicateProbability of the messages; the copy has the same id and never arrives first', async () => {
    const { sim, network, arrivals, trace } = testNetwork(12, { duplicateProbability: 0.2, latencyMs: { kind: 'exponential', mean: 5 } });
    sendSpaced(sim, network, 2000, 1);
    await sim.run();
    const duplicated = trace.filter((event) => event.kind === 'msg.duplicated');
    expect(arrivals.length).toBe(2000 + duplicated.length);
    expect(duplicated.length).toBe(DUPLICATED_OF_2000);
    expect(duplicated.length / 2000).toBeGreaterThan(0.17);
    expect(duplicated.length / 2000).toBeLessThan(0.23);
    const ids = arrivals.map((arrival) => arrival.envelope.id);
    for (const event of duplicated) expect(ids.filter((id) => id === event.id)).toHaveLength(2);
    // FIFO still holds for the copies: ids arrive in nondecreasing order.
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('probability 1 loses everything; probability 0 never draws from the stream', async () => {
    const lossy = testNetwork(1, { lossProbability: 1 });
    sendSpaced(lossy.sim, lossy.network, 20, 1);
    await lossy.sim.run();
    expect(lossy.arrivals).toEqual([]);
    // With every probability 0 and constant latency, no draw is made: the stream is untouched.
    const quiet = testNetwork(1);
    sendSpaced(quiet.sim, quiet.network, 20, 1);
    await quiet.sim.run();
    const untouched = new Simulation(1).rng.fork('network');
    expect((quiet.network as unknown as { rng: { next(): number } }).rng.next()).toBe(untouched.next());
  });
});

describe('partitions', () => {
  it('a symmetric partition drops traffic both ways at send time, traced as msg.dropped partition', async () => {
    const { sim, network, arrivals, trace } = testNetwork();
    const id = network.partition(['a'], ['b']);
    expect(network.blocked('a', 'b')).toBe(true);
    expect(network.blocked('b', 'a')).toBe(true);
    expect(network.blocked('a', 'c')).toBe(false);
    sim.schedule(0, () => {
      network.send('a', 'b', 'm', 1);
      network.send('b', 'a', 'm', 2);
      network.send('a', 'c', 'm', 3);
    });
    await sim.run();
    expect(arrivals.map((arrival) => arrival.envelope.body)).toEqual([3]);
    expect(trace.filter((event) => event.kind === 'msg.dropped').map((event) => [event.node, event.peer, event.detail, event.atMs])).toEqual([
      ['a', 'b', 'partition', 0],
      ['b', 'a', 'partition', 0],
    ]);
    expect(id).toBe(1);
  });

  it('a one-way partition blocks only from → to', async () => {
    const { sim, network, arrivals } = testNetwork();
    network.partition(['a'], ['b', 'c'], true);
    expect(network.blocked('a', 'b')).toBe(true);
    expect(network.blocked('a', 'c')).toBe(true);
    expect(network.blocked('b', 'a')).toBe(false);
    sim.schedule(0, () => {
      network.send('a', 'b', 'm', 'ab');
      network.send('b', 'a', 'm', 'ba');
      network.send('c', 'a', 'm', 'ca');
    });
    await sim.run();
    expect(arrivals.map((arrival) => arrival.envelope.body)).toEqual(['ba', 'ca']);
  });

  it('a message in flight when the partition starts is dropped on arrival', async () => {
    const { sim, network, arrivals, trace } = testNetwork(1, { latencyMs: constantMs(10) });
    sim.schedule(0, () => network.send('a', 'b', 'm', 1));
    sim.schedule(5, () => network.partition(['a'], ['b']));
    await sim.run();
    expect(arrivals).toEqual([]);
    expect(trace.filter((event) => event.kind === 'msg.dropped').map((event) => event.atMs)).toEqual([10]);
  });

  it('a message sent before a partition that heals before it arrives is delivered', async () => {
    const { sim, network, arrivals } = testNetwork(1, { latencyMs: constantMs(10) });
    sim.schedule(0, () => network.send('a', 'b', 'm', 1));
    sim.schedule(2, () => network.heal(network.partition(['a'], ['b'])));
    await sim.run();
    expect(arrivals.map((arrival) => arrival.atMs)).toEqual([10]);
  });

  it('heal(id) heals only that partition; heal() heals all', () => {
    const { network } = testNetwork();
    const ab = network.partition(['a'], ['b']);
    const ac = network.partition(['a'], ['c'], true);
    expect(ac).toBe(ab + 1);
    network.heal(ab);
    expect(network.blocked('a', 'b')).toBe(false);
    expect(network.blocked('b', 'a')).toBe(false);
    expect(network.blocked('a', 'c')).toBe(true);
    network.partition(['b'], ['c']);
    network.heal();
    expect(network.blocked('a', 'c')).toBe(false);
    expect(network.blocked('b', 'c')).toBe(false);
  });

  it('overlapping partitions: healing one leaves the other in force', () => {
    const { network } = testNetwork();
    const first = network.partition(['a'], ['b']);
    network.partition(['a', 'c'], ['b'], true);
    network.heal(first);
    expect(network.blocked('a', 'b')).toBe(true);
    expect(network.blocked('b', 'a')).toBe(false);
  });
});

describe('hold and release', () => {
  it('holds messages on a link until release, then sends them with a fresh latency from the release time', async () => {
    const { sim, network, arrivals, trace } = testNetwork(1, { latencyMs: constantMs(3) });
    network.hold('a', 'b');
    sim.schedule(0, () => network.send('a', 'b', 'm', 'held-1'));
    sim.schedule(1, () => network.send('a', 'b', 'm', 'held-2'));
    sim.schedule(1, () => network.send('a', 'c', 'm', 'free'));
    sim.schedule(2, () => expect(network.heldCount).toBe(2));
    sim.schedule(50, () => network.release('a', 'b'));
    await sim.run();
    expect(arrivals.map((arrival) => [arrival.envelope.body, arrival.atMs])).toEqual([
      ['free', 4],
      ['held-1', 53],
      ['held-2', 53],
    ]);
    expect(network.heldCount).toBe(0);
    expect(trace.filter((event) => event.kind === 'msg.held').map((event) => event.atMs)).toEqual([0, 1]);
    expect(trace.filter((event) => event.kind === 'msg.released').map((event) => event.atMs)).toEqual([50, 50]);
  });

  it("'*' holds match any endpoint; release(from, to) releases only matching holds", async () => {
    const { sim, network, arrivals } = testNetwork();
    network.hold('*', 'b');
    network.hold('c', '*');
    sim.schedule(0, () => {
      network.send('a', 'b', 'm', 'a->b');
      network.send('c', 'd', 'm', 'c->d');
      network.send('a', 'd', 'm', 'a->d');
    });
    sim.schedule(10, () => network.release('c', '*'));
    sim.schedule(20, () => network.release());
    await sim.run();
    expect(arrivals.map((arrival) => [arrival.envelope.body, arrival.atMs])).toEqual([
      ['a->d', 1],
      ['c->d', 11],
      ['a->b', 21],
    ]);
  });

  it('a released message still respects a partition in force at its arrival', async () => {
    const { sim, network, arrivals } = testNetwork();
    network.hold('a', 'b');
    sim.schedule(0, () => network.send('a', 'b', 'm', 1));
    sim.schedule(5, () => network.partition(['a'], ['b']));
    sim.schedule(6, () => network.release());
    await sim.run();
    expect(arrivals).toEqual([]);
  });
});

describe('link configuration', () => {
  /** Arrival delay of one message from → to sent at t=0. */
  async function delayOf(configure: (network: Network) => void, from: string, to: string): Promise<number> {
    const { sim, network, arrivals } = testNetwork();
    configure(network);
    sim.schedule(0, () => network.send(from, to, 'm', 0));
    await sim.run();
    return arrivals[0]!.atMs;
  }

  const allRules = (network: Network): void => {
    network.setLink('a', 'b', { latencyMs: constantMs(10) });
    network.setLink('a', '*', { latencyMs: constantMs(20) });
    network.setLink('*', 'b', { latencyMs: constantMs(30) });
    network.setLink('*', '*', { latencyMs: constantMs(40) });
  };

  it.each([
    ['exact a->b', 'a', 'b', 10],
    ['a->* for a->c', 'a', 'c', 20],
    ['*->b for c->b', 'c', 'b', 30],
    ['*->* for c->d', 'c', 'd', 40],
  ])('the most specific rule wins: %s', async (_name, from, to, expectedMs) => {
    expect(await delayOf(allRules, from, to)).toBe(expectedMs);
  });

  it("setLink('*', '*') applies to every link (and over the default)", async () => {
    expect(await delayOf((network) => network.setLink('*', '*', { latencyMs: constantMs(40) }), 'x', 'y')).toBe(40);
  });

  it('a link is configured one direction at a time', async () => {
    expect(await delayOf((network) => network.setLink('a', 'b', { latencyMs: constantMs(10) }), 'b', 'a')).toBe(1);
  });

  it('resetLink falls back to the next rule; setDefaultLink reaches links already used', async () => {
    const { sim, network, arrivals } = testNetwork();
    network.setLink('a', 'b', { latencyMs: constantMs(10) });
    sim.schedule(0, () => network.send('a', 'b', 'm', 'configured'));
    sim.schedule(100, () => network.resetLink('a', 'b'));
    sim.schedule(100, () => network.send('a', 'b', 'm', 'default'));
    sim.schedule(200, () => network.setDefaultLink({ latencyMs: constantMs(7) }));
    sim.schedule(200, () => network.send('a', 'b', 'm', 'new default'));
    await sim.run();
    expect(arrivals.map((arrival) => [arrival.envelope.body, arrival.atMs])).toEqual([
      ['configured', 10],
      ['default', 101],
      ['new default', 207],
    ]);
  });

  it('fields a link leaves unset keep the default link values', async () => {
    const { sim, network, arrivals } = testNetwork(1, { latencyMs: constantMs(8), lossProbability: 0 });
    network.setLink('a', 'b', { jitterMs: constantMs(1) });
    sim.schedule(0, () => network.send('a', 'b', 'm', 0));
    await sim.run();
    expect(arrivals[0]!.atMs).toBe(9);
  });

  it('resolveLink fills defaults', () => {
    expect(resolveLink({}, undefined, 'x')).toEqual({
      latencyMs: { kind: 'constant', value: 1 },
      jitterMs: null,
      lossProbability: 0,
      duplicateProbability: 0,
      reorderProbability: 0,
      ordering: 'fifo',
      bandwidthBytesPerSec: Infinity,
    });
  });
});

describe('link validation', () => {
  it('a negative latency is a ConfigError naming the link', () => {
    const { network } = testNetwork();
    expect(() => network.setLink('a', 'b', { latencyMs: constantMs(-1) })).toThrow(ConfigError);
    expect(() => network.setLink('a', 'b', { latencyMs: constantMs(-1) })).toThrow(/^link a->b latencyMs: constant value is negative/);
  });

  it.each(['lossProbability', 'duplicateProbability', 'reorderProbability'] as const)('%s above 1 or below 0 is a ConfigError naming the link and the field', (field) => {
    const { network } = testNetwork();
    expect(() => network.setLink('a', '*', { [field]: 1.5 })).toThrow(ConfigError);
    expect(() => network.setLink('a', '*', { [field]: 1.5 })).toThrow(`link a->* ${field} is 1.5: a probability must be between 0 and 1`);
    expect(() => network.setLink('a', '*', { [field]: -0.1 })).toThrow(ConfigError);
    expect(() => network.setLink('a', '*', { [field]: NaN })).toThrow(ConfigError);
  });

  it('a bad jitter or a bad default link is refused too, naming where', () => {
    const { network } = testNetwork();
    expect(() => network.setLink('a', 'b', { jitterMs: { kind: 'uniform', min: 5, max: 1 } })).toThrow(/^link a->b jitterMs: uniform min/);
    expect(() => new Network(new Simulation(1), () => {}, { lossProbability: 2 })).toThrow(/^network default link lossProbability is 2/);
    expect(() => network.setDefaultLink({ latencyMs: constantMs(-3) })).toThrow(/^network default link latencyMs/);
  });

  it('a refused setLink leaves the previous configuration in place', async () => {
    const { sim, network, arrivals } = testNetwork();
    network.setLink('a', 'b', { latencyMs: constantMs(5) });
    expect(() => network.setLink('a', 'b', { latencyMs: constantMs(-5) })).toThrow(ConfigError);
    sim.schedule(0, () => network.send('a', 'b', 'm', 0));
    await sim.run();
    expect(arrivals[0]!.atMs).toBe(5);
  });
});

const LOST_OF_2000 = 600;
const DUPLICATED_OF_2000 = 390;
