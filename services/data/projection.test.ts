// Tests for services/data/projection.ts: a read model on another node fed over RPC, its lag measured
// exactly on a fixed-latency network, stale reads detected from outside, and crash recovery.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import type { TraceEvent } from '../../sim/engine/trace.ts';
import { DatabaseRegistry, type DatabaseOptions } from './database.ts';
import { EventStore } from './eventstore.ts';
import { ProjectionMetrics, StaleReadTracker, serveEventFeed, startProjection } from './projection.ts';

const FREE: DatabaseOptions = { readMs: 0, writeMs: 0, commitMs: 0, syncMs: 0 };

type OrderEvent = { type: 'Placed'; total: number } | { type: 'Paid' };

interface OrderView {
  total: number;
  status: string;
  /** Stream version this row reflects: what a read returns to the stale-read tracker. */
  version: number;
}

/**
 * `orders` (event store + feed, write side) and `orders-view` (projection + read model) on a
 * network with a constant one-way latency of 5 ms; the projection polls every 20 ms.
 */
function cqrsWorld(options: { viewDb?: DatabaseOptions; batchSize?: number } = {}) {
  const world = new World(1, { network: { latencyMs: { kind: 'constant', value: 5 } } });
  const registry = new DatabaseRegistry();
  const metrics = new ProjectionMetrics();
  const tracker = new StaleReadTracker(() => world.nowMs);
  const trace: TraceEvent[] = [];
  world.sim.trace.addSink((event) => {
    if (event.kind.startsWith('projection.')) trace.push(event);
  });
  world.addNode('orders', (ctx) => {
    const store = new EventStore<OrderEvent>(registry.openDatabase(ctx, 'orders', FREE));
    return {
      handlers: {
        ...serveEventFeed(store),
        place: async (body: { id: string; total: number }) => (await store.append(body.id, [{ type: 'Placed', total: body.total }], { expectedVersion: 0 })).version,
        pay: async (id: string) => (await store.append(id, [{ type: 'Paid' }], { expectedVersion: 'any' })).version,
      },
    };
  });
  world.addNode('orders-view', (ctx) => {
    const db = registry.openDatabase(ctx, 'orders-view', options.viewDb ?? FREE);
    startProjection<OrderEvent>(ctx, db, {
      name: 'orders-by-id',
      source: 'orders',
      pollIntervalMs: 20,
      timeoutMs: 50,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      metrics,
      apply: async (tx, stored) => {
        const row = await tx.get<OrderView>('orders', stored.streamId);
        const event = stored.event;
        const next: OrderView =
          event.type === 'Placed' ? { total: event.total, status: 'placed', version: stored.version } : { ...row!, status: 'paid', version: stored.version };
        tx.put('orders', stored.streamId, next);
        const count = (await tx.get<number>('stats', 'events')) ?? 0;
        tx.put('stats', 'events', count + 1);
      },
    });
    return {
      handlers: {
        get: async (id: string) => (await db.get<OrderView>('orders', id)) ?? null,
        count: async () => (await db.get<number>('stats', 'events')) ?? 0,
      },
    };
  });
  /** A client write: the tracker learns the acknowledged version when the answer arrives. */
  const write = (atMs: number, method: 'place' | 'pay', payload: unknown, key: string): void => {
    world.sim.at(atMs, () => void world.call<number>('orders', method, payload).then((version) => tracker.acknowledge(key, version)));
  };
  /** A client read of the read model, checked by the tracker; pushes whether it was stale. */
  const read = (atMs: number, key: string, results: boolean[]): void => {
    world.sim.at(atMs, () => {
      const token = tracker.beginRead(key);
      void world.call<OrderView | null>('orders-view', 'get', key).then((row) => results.push(tracker.endRead(token, row?.version ?? 0)));
    });
  };
  return { world, registry, metrics, tracker, trace, write, read };
}

describe('Projection', () => {
  it('measures read-model lag exactly on a fixed-latency network', async () => {
    const h = cqrsWorld();
    // Polls leave at 0, 30, 60, 90…: each round trip takes 10 ms, then 20 ms of waiting.
    h.write(36, 'place', { id: 'o1', total: 40 }, 'o1'); // just missed by the poll at the store at 35; fetched at 65, applied at 70
    h.write(71, 'pay', 'o1', 'o1'); // the poll after that batch leaves at 90: applied at 100
    await h.world.sim.run({ untilMs: 150, stopWhenIdle: false });
    expect(h.metrics.figures()).toMatchObject({ applied: 2, pollFailures: 0, negativeLags: 0 });
    const lag = h.metrics.lag.summary();
    expect([lag.count, lag.max, lag.mean]).toEqual([2, 34, 31.5]);
    expect(h.trace.filter((e) => e.kind === 'projection.applied').map((e) => [e.atMs, e.detail])).toEqual([
      [70, 'orders-by-id 1..1'],
      [100, 'orders-by-id 2..2'],
    ]);
    expect(h.registry.inspect('orders-view', 'orders-view')!.peek('orders', 'o1')).toEqual({ total: 40, status: 'paid', version: 2 });
  });

  it('detects a stale read right after an acknowledged write, and none once caught up', async () => {
    const h = cqrsWorld();
    const stale: boolean[] = [];
    h.write(36, 'place', { id: 'o1', total: 40 }, 'o1'); // acknowledged at 36 (workload ingress has no network hop)
    h.read(37, 'o1', stale); // the view applies it only at 70
    h.read(80, 'o1', stale);
    h.read(10, 'o2', stale); // nothing acknowledged for o2: not found is not stale
    await h.world.sim.run({ untilMs: 150, stopWhenIdle: false });
    expect(stale).toEqual([false, true, false]);
    const figures = h.tracker.figures();
    expect([figures.reads, figures.staleReads, figures.staleRatio]).toEqual([3, 1, 1 / 3]);
    // The stale read was answered at once at 37: 1 ms after the ack it missed.
    expect(figures.staleForMs.max).toBe(1);
  });

  it('does not count as stale a read that began before the write was acknowledged', () => {
    let nowMs = 0;
    const tracker = new StaleReadTracker(() => nowMs);
    const early = tracker.beginRead('k');
    nowMs = 5;
    tracker.acknowledge('k', 1);
    const late = tracker.beginRead('k');
    nowMs = 9;
    expect(tracker.endRead(early, 0)).toBe(false);
    expect(tracker.endRead(late, 0)).toBe(true);
    tracker.acknowledge('k', 0); // an older ack never lowers the bar
    expect(tracker.endRead(tracker.beginRead('k'), 0)).toBe(true);
    expect(tracker.figures()).toMatchObject({ reads: 3, staleReads: 2 });
  });

  it('applies every event exactly once across crashes of the read-model node', async () => {
    const h = cqrsWorld({ batchSize: 2, viewDb: { ...FREE, commitMs: 2 } });
    for (let i = 1; i <= 8; i++) h.write(i * 7, 'place', { id: `o${i}`, total: i }, `o${i}`);
    h.world.sim.at(33, () => h.world.crash('orders-view')); // before the answer to the poll of 30 arrives
    h.world.sim.at(41, () => h.world.restart('orders-view'));
    h.world.sim.at(76, () => h.world.crash('orders-view')); // inside the commit of batch 5..6 (75 to 77)
    h.world.sim.at(80, () => h.world.restart('orders-view'));
    let count = -1;
    h.world.sim.at(300, () => void h.world.call<number>('orders-view', 'count').then((n) => (count = n)));
    await h.world.sim.run({ untilMs: 400, stopWhenIdle: false });
    expect(count).toBe(8);
    expect(h.metrics.applied).toBe(8);
    expect(h.trace.filter((e) => e.kind.startsWith('projection.')).map((e) => [e.atMs, e.detail])).toEqual([
      [0, 'orders-by-id from 1'],
      [41, 'orders-by-id from 1'],
      [53, 'orders-by-id 1..2'],
      [65, 'orders-by-id 3..4'],
      [80, 'orders-by-id from 5'],
      [92, 'orders-by-id 5..6'],
      [104, 'orders-by-id 7..8'],
    ]);
  });

  it('keeps polling through an outage of the event store, then catches up', async () => {
    const h = cqrsWorld();
    h.write(1, 'place', { id: 'o1', total: 1 }, 'o1');
    h.world.sim.at(25, () => h.world.crash('orders'));
    h.world.sim.at(100, () => h.world.restart('orders'));
    await h.world.sim.run({ untilMs: 200, stopWhenIdle: false });
    expect(h.metrics.applied).toBe(1);
    expect(h.metrics.pollFailures).toBeGreaterThan(0);
    expect(h.trace.filter((e) => e.kind === 'projection.poll-failed').length).toBe(h.metrics.pollFailures);
  });

  it('runs the same on the same seed (trace hash), lossy network and crashes included', async () => {
    const runOnce = async (): Promise<string> => {
      const h = cqrsWorld({ batchSize: 3 });
      h.world.setLink('orders-view', 'orders', { latencyMs: { kind: 'uniform', min: 1, max: 9 }, lossProbability: 0.2 });
      for (let i = 1; i <= 12; i++) h.write(i * 5, 'place', { id: `o${i}`, total: i }, `o${i}`);
      h.world.sim.at(37, () => h.world.crash('orders-view'));
      h.world.sim.at(52, () => h.world.restart('orders-view'));
      await h.world.sim.run({ untilMs: 400, stopWhenIdle: false });
      expect(h.metrics.applied).toBe(12);
      return h.world.sim.trace.hash;
    };
    expect(await runOnce()).toBe(await runOnce());
  });

  it('counts a lag made negative by clock skew as 0 and reports it', () => {
    const metrics = new ProjectionMetrics();
    metrics.recordLag(3);
    metrics.recordLag(-2);
    expect(metrics.figures()).toMatchObject({ applied: 2, negativeLags: 1, lagMs: { max: 3, count: 2 } });
  });
});
