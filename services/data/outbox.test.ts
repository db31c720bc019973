// Tests for services/data/outbox.ts: events commit with the state change, the relay publishes them in
// order once on disk, and after a crash it resumes and republishes with the same message id.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import type { TraceEvent } from '../../sim/engine/trace.ts';
import { DatabaseRegistry, type DatabaseOptions } from './database.ts';
import { Outbox, startOutboxRelay, type OutboxRelay, type PublishFn } from './outbox.ts';

const FREE: DatabaseOptions = { readMs: 0, writeMs: 0, commitMs: 0, syncMs: 0 };

interface Published {
  atMs: number;
  topic: string;
  key: string;
  event: unknown;
  messageId: string;
}

/**
 * Node `orders`: `place` writes an order and an outbox row in one transaction (`fail: true`
 * rolls it back); the relay publishes through `makePublish(ctx)`.
 */
function ordersWorld(dbOptions: DatabaseOptions, makePublish: (ctx: NodeContext) => PublishFn, retainSent?: number) {
  const world = new World(1);
  const registry = new DatabaseRegistry();
  const live: { outbox?: Outbox; relay?: OutboxRelay } = {};
  world.addNode('orders', (ctx) => {
    const db = registry.openDatabase(ctx, 'orders', dbOptions);
    const outbox = new Outbox(db, retainSent === undefined ? {} : { retainSent });
    live.outbox = outbox;
    live.relay = startOutboxRelay(ctx, outbox, { publish: makePublish(ctx), retryDelayMs: 7 });
    return {
      handlers: {
        place: async (order: { id: string; total: number; fail?: boolean }) => {
          return db.transaction(async (tx) => {
            tx.put('orders', order.id, { total: order.total, status: 'placed' });
            const id = await outbox.add(tx, 'order.placed', order.id, { type: 'OrderPlaced', orderId: order.id, total: order.total });
            if (order.fail) throw new RpcError('bad-request', 'rejected');
            return id;
          });
        },
      },
    };
  });
  const place = (atMs: number, order: { id: string; total: number; fail?: boolean }): void => {
    world.sim.at(atMs, () => void world.call('orders', 'place', order).catch(() => undefined));
  };
  return { world, registry, live, place };
}

/** A publish fake on the node itself: records what it is given, at the node's time. */
function recordingPublish(log: Published[]) {
  return (ctx: NodeContext): PublishFn =>
    async (topic, key, event, { id }) => {
      log.push({ atMs: ctx.now(), topic, key, event, messageId: id });
    };
}

describe('Outbox', () => {
  it('publishes each event exactly as written, with a deterministic id, and marks it sent', async () => {
    const log: Published[] = [];
    const { world, live, place } = ordersWorld(FREE, recordingPublish(log));
    place(3, { id: 'o1', total: 40 });
    place(5, { id: 'o2', total: 15 });
    await world.sim.run({ untilMs: 50 });
    expect(log).toEqual([
      { atMs: 3, topic: 'order.placed', key: 'o1', event: { type: 'OrderPlaced', orderId: 'o1', total: 40 }, messageId: 'orders/orders/outbox/1' },
      { atMs: 5, topic: 'order.placed', key: 'o2', event: { type: 'OrderPlaced', orderId: 'o2', total: 15 }, messageId: 'orders/orders/outbox/2' },
    ]);
    expect(live.outbox!.peek(1)).toMatchObject({ seq: 1, createdAtMs: 3, sentAtMs: 3 });
    expect(live.outbox!.pendingCount()).toBe(0);
    expect(live.relay!.stats).toEqual({ published: 2, publishFailures: 0 });
  });

  it('keeps the stored row apart from the event given to add and from the event it publishes', async () => {
    const log: Published[] = [];
    const world = new World(1);
    const registry = new DatabaseRegistry();
    let outbox: Outbox | undefined;
    let node: NodeContext | undefined;
    world.addNode('orders', (ctx) => {
      node = ctx;
      const db = registry.openDatabase(ctx, 'orders', FREE);
      outbox = new Outbox(db);
      startOutboxRelay(ctx, outbox, { publish: recordingPublish(log)(ctx) });
      return {};
    });
    const written = { orderId: 'o1', items: [{ sku: 'a' }] };
    world.sim.at(1, () =>
      node!.spawn(async () => {
        await outbox!.db.transaction((tx) => outbox!.add(tx, 'order.placed', 'o1', written));
        written.items.push({ sku: 'changed by the writer' });
      }),
    );
    await world.sim.run({ untilMs: 10 });
    expect(log).toHaveLength(1);
    // A consumer may change what it was given: neither change reaches the stored row.
    const delivered = log[0].event as { items: { sku: string }[] };
    delivered.items.push({ sku: 'changed by a consumer' });
    expect(outbox!.peek(1)).toMatchObject({ event: { orderId: 'o1', items: [{ sku: 'a' }] }, sentAtMs: 1 });
  });

  it('publishes nothing for a transaction that rolled back, and reuses no id', async () => {
    const log: Published[] = [];
    const { world, place } = ordersWorld(FREE, recordingPublish(log));
    place(1, { id: 'o1', total: 10, fail: true });
    place(2, { id: 'o2', total: 20 });
    await world.sim.run({ untilMs: 50 });
    expect(log.map((p) => [p.key, p.messageId])).toEqual([['o2', 'orders/orders/outbox/1']]);
  });

  it('waits until the commit is on disk before publishing (no event a crash could take back)', async () => {
    const log: Published[] = [];
    const { world, place } = ordersWorld({ ...FREE, sync: { everyMs: 20 } }, recordingPublish(log));
    place(1, { id: 'o1', total: 10 });
    place(6, { id: 'o2', total: 20 });
    await world.sim.run({ untilMs: 100 });
    // Both commits are synced in the batch at 1 + 20 = 21; they go out then, in order.
    expect(log.map((p) => [p.atMs, p.key])).toEqual([
      [21, 'o1'],
      [21, 'o2'],
    ]);
  });

  it('does not publish an event whose commit a crash lost', async () => {
    const log: Published[] = [];
    const { world, place } = ordersWorld({ ...FREE, sync: { everyMs: 20 } }, recordingPublish(log));
    place(1, { id: 'lost', total: 10 });
    world.sim.at(10, () => world.crash('orders'));
    world.sim.at(11, () => world.restart('orders'));
    place(12, { id: 'kept', total: 20 });
    await world.sim.run({ untilMs: 100 });
    expect(log.map((p) => [p.atMs, p.key, p.messageId])).toEqual([[32, 'kept', 'orders/orders/outbox/1']]);
  });

  it('after a crash between publish and mark, resumes and republishes with the same id', async () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    const received: (Published & { from: string })[] = [];
    world.addNode('broker', () => ({
      handlers: {
        publish: (body: Omit<Published, 'atMs'>, request) => {
          received.push({ ...body, atMs: world.nowMs, from: request.from });
          return 'ok';
        },
      },
    }));
    let outbox: Outbox | undefined;
    const trace: TraceEvent[] = [];
    world.sim.trace.addSink((event) => {
      if (event.kind.startsWith('outbox.')) trace.push(event);
    });
    world.addNode('orders', (ctx) => {
      const db = registry.openDatabase(ctx, 'orders', FREE);
      outbox = new Outbox(db);
      startOutboxRelay(ctx, outbox, {
        publish: (topic, key, event, { id }) => ctx.call('broker', 'publish', { topic, key, event, messageId: id }, { timeoutMs: 50 }),
      });
      return {
        handlers: {
          place: (id: string) => db.transaction((tx) => {
            tx.put('orders', id, { status: 'placed' });
            return outbox!.add(tx, 'order.placed', id, { orderId: id });
          }),
        },
      };
    });
    world.sim.at(0, () => void world.call('orders', 'place', 'o1'));
    // Published at 0, on the broker at 1; the ack would be back at 2: crash before it.
    world.sim.at(1.5, () => world.crash('orders'));
    world.sim.at(10, () => world.restart('orders'));
    world.sim.at(20, () => void world.call('orders', 'place', 'o2'));
    await world.sim.run({ untilMs: 100 });
    expect(received.map((r) => [r.atMs, r.messageId, r.event])).toEqual([
      [1, 'orders/orders/outbox/1', { orderId: 'o1' }],
      [11, 'orders/orders/outbox/1', { orderId: 'o1' }],
      [21, 'orders/orders/outbox/2', { orderId: 'o2' }],
    ]);
    expect(outbox!.pendingCount()).toBe(0);
    expect(trace.filter((e) => e.kind === 'outbox.relay-start').map((e) => [e.atMs, e.detail])).toEqual([
      [0, 'outbox from 1'],
      [10, 'outbox from 1'],
    ]);
  });

  it('retries a failed publish after retryDelayMs, keeping order', async () => {
    const log: Published[] = [];
    let failuresLeft = 2;
    const { world, live, place } = ordersWorld(FREE, (ctx) => async (topic, key, event, { id }) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new RpcError('unavailable', 'broker down');
      }
      log.push({ atMs: ctx.now(), topic, key, event, messageId: id });
    });
    place(0, { id: 'o1', total: 1 });
    place(1, { id: 'o2', total: 2 });
    await world.sim.run({ untilMs: 100 });
    expect(log.map((p) => [p.atMs, p.key])).toEqual([
      [14, 'o1'],
      [14, 'o2'],
    ]);
    expect(live.relay!.stats).toEqual({ published: 2, publishFailures: 2 });
  });

  it('keeps only the last retainSent sent rows', async () => {
    const log: Published[] = [];
    const { world, live, place } = ordersWorld(FREE, recordingPublish(log), 2);
    for (let i = 1; i <= 5; i++) place(i, { id: `o${i}`, total: i });
    await world.sim.run({ untilMs: 100 });
    expect(log).toHaveLength(5);
    expect([1, 2, 3, 4, 5].map((seq) => live.outbox!.peek(seq) !== undefined)).toEqual([false, false, false, true, true]);
  });

  it('refuses a relay on a node that does not own the database', () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    let outbox: Outbox | undefined;
    world.addNode('orders', (ctx) => {
      outbox = new Outbox(registry.openDatabase(ctx, 'orders'));
      return {};
    });
    let refusal: unknown;
    world.addNode('other', (ctx) => {
      try {
        startOutboxRelay(ctx, outbox!, { publish: async () => undefined });
      } catch (error) {
        refusal = error;
      }
      return {};
    });
    expect(refusal).toBeInstanceOf(ConfigError);
  });
});
