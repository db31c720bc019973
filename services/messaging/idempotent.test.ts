// Tests for services/messaging/idempotent.ts: exact once-only application under duplicate deliveries (publisher
// retries, lost acks, a consumer restart), the bounded durable id store, and wrapped handlers.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { brokerNode, topicMessages } from './broker.ts';
import { busClient } from './bus-client.ts';
import type { DeliveryMeta } from './bus.ts';
import { idempotentConsumer } from './idempotent.ts';
import { addPublisher, publishInOrder, recordBusEvents } from '../../test/kit/bus.ts';

const TOPIC = 'payment.requested';

/** A node whose context the test can use directly. */
function contextOf(world: World, name = 'n'): NodeContext {
  let captured: NodeContext | undefined;
  world.addNode(name, (ctx) => {
    captured = ctx;
    return {};
  });
  return captured!;
}

function meta(id: string): DeliveryMeta {
  return { id, topic: TOPIC, group: 'g', key: 'k', partition: 0, offset: 0, attempt: 1, publishedAtMs: 0 };
}

describe('idempotent consumer: the id store', () => {
  it('applies an id once, remembers it durably, and survives a restart of the node', () => {
    const world = new World(1);
    let ctx = contextOf(world);
    let dedup = idempotentConsumer(ctx, { name: 'charges' });
    let applied = 0;
    expect(dedup.once('a', () => applied++)).toBe(true);
    expect(dedup.once('a', () => applied++)).toBe(false);
    expect(dedup.has('a')).toBe(true);
    world.restart('n');
    ctx = world.node('n').ctx;
    dedup = idempotentConsumer(ctx, { name: 'charges' });
    expect(dedup.once('a', () => applied++)).toBe(false);
    expect(applied).toBe(1);
    // A different name is a different store.
    expect(idempotentConsumer(ctx, { name: 'refunds' }).has('a')).toBe(false);
  });

  it('keeps at most `capacity` ids, forgetting the least recently seen first', () => {
    const world = new World(2);
    const dedup = idempotentConsumer(contextOf(world), { name: 'x', capacity: 3 });
    for (const id of ['a', 'b', 'c']) dedup.once(id, () => undefined);
    dedup.once('a', () => undefined); // a duplicate refreshes 'a'
    dedup.once('d', () => undefined); // evicts 'b', the least recently seen
    expect(dedup.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((id) => dedup.has(id))).toEqual([true, false, true, true]);
    // The documented trade-off: a duplicate older than the window is applied again.
    let applied = 0;
    dedup.once('b', () => applied++);
    expect(applied).toBe(1);
  });

  it('rejects a missing name or a capacity below 1', () => {
    const world = new World(3);
    const ctx = contextOf(world);
    expect(() => idempotentConsumer(ctx, { name: '' })).toThrow(ConfigError);
    expect(() => idempotentConsumer(ctx, { name: 'x', capacity: 0 })).toThrow(/capacity is 0/);
  });
});

describe('idempotent consumer: wrapped handlers', () => {
  it('acks a duplicate without running the handler, and makes a concurrent duplicate wait for the run in progress', async () => {
    const world = new World(4);
    const ctx = contextOf(world);
    const dedup = idempotentConsumer(ctx, { name: 'w' });
    const runs: string[] = [];
    const finished: [string, number][] = [];
    const handler = dedup.wrap(async (event: string, m) => {
      runs.push(`${m.id}:${event}`);
      await ctx.sleep(100);
    });
    world.sim.spawn(async () => {
      await handler('first', meta('m1'));
      finished.push(['first', world.nowMs]);
    });
    world.sim.schedule(10, () =>
      world.sim.spawn(async () => {
        await handler('second', meta('m1'));
        finished.push(['second', world.nowMs]);
      }),
    );
    world.sim.schedule(200, () =>
      world.sim.spawn(async () => {
        await handler('third', meta('m1'));
        finished.push(['third', world.nowMs]);
      }),
    );
    await world.sim.run({ untilMs: 1000 });
    expect(runs).toEqual(['m1:first']);
    expect(finished).toEqual([
      ['first', 100],
      ['second', 100],
      ['third', 200],
    ]);
  });

  it('runs the handler for a waiting duplicate when the run in progress failed', async () => {
    const world = new World(5);
    const ctx = contextOf(world);
    const dedup = idempotentConsumer(ctx, { name: 'w' });
    const outcomes: string[] = [];
    let calls = 0;
    const handler = dedup.wrap(async () => {
      calls++;
      await ctx.sleep(50);
      if (calls === 1) throw new Error('first run fails');
    });
    const attempt = (label: string) =>
      world.sim.spawn(async () => {
        await handler(undefined, meta('m1')).then(
          () => outcomes.push(`${label} ok`),
          () => outcomes.push(`${label} failed`),
        );
      });
    attempt('a');
    world.sim.schedule(10, () => attempt('b'));
    await world.sim.run({ untilMs: 1000 });
    expect(outcomes).toEqual(['a failed', 'b ok']);
    expect(calls).toBe(2);
    expect(dedup.has('m1')).toBe(true);
  });
});

describe('idempotent consumer on the bus', () => {
  it('applies every payment exactly once despite publisher retries, lost acks and a consumer restart', async () => {
    const world = new World(6);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 2, ackTimeoutMs: 100, redeliveryDelayMs: 20, sessionTimeoutMs: 400 }));
    addPublisher(world, { publishTimeoutMs: 50, publishAttempts: 10, publishRetryDelayMs: 10 });
    const handledIds: string[] = [];
    world.addNode('ledger', (ctx) => {
      const bus = busClient(ctx, { broker: 'broker', heartbeatIntervalMs: 50 });
      const dedup = idempotentConsumer(ctx, { name: 'ledger' });
      return {
        handlers: { ...bus.handlers },
        onStart: () =>
          bus.subscribe(TOPIC, { group: 'ledger' }, async (event, m) => {
            await ctx.sleep(10);
            handledIds.push(m.id);
            dedup.once(m.id, () => {
              ctx.durable.set('balance', ((ctx.durable.get('balance') as number | undefined) ?? 0) + (event as { amount: number }).amount);
              ctx.durable.set('applied', [...((ctx.durable.get('applied') as string[] | undefined) ?? []), m.id]);
            });
          }),
      };
    });
    const events = recordBusEvents(world);
    const payment = (amount: number) => ({ topic: TOPIC, key: `acct-${amount % 3}`, event: { amount } });
    // Publish acks are lost at first: the publisher retries, leaving duplicates in the log.
    const cutAcks = world.partition(['broker'], ['pub'], { oneWay: true });
    world.sim.schedule(60, () => world.heal(cutAcks));
    // Then the ledger's acks are lost for a while (handled, not acked: redelivered later)…
    let cutLedger = 0;
    world.sim.schedule(150, () => {
      cutLedger = world.partition(['ledger'], ['broker'], { oneWay: true });
    });
    world.sim.schedule(230, () => world.heal(cutLedger));
    // …and the ledger crashes before those redeliveries, so its restarted self meets them.
    world.sim.schedule(240, () => world.crash('ledger'));
    world.sim.schedule(300, () => world.restart('ledger'));
    const amounts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    publishInOrder(world, amounts.slice(0, 4).map(payment), 0);
    publishInOrder(world, amounts.slice(4, 8).map(payment), 150);
    publishInOrder(world, amounts.slice(8).map(payment), 400);
    await world.sim.run({ untilMs: 2000 });

    const durable = world.node('ledger').durable;
    const published = [...new Set(topicMessages(world.node('broker').durable, TOPIC).map((message) => message.id))].sort();
    expect(published).toEqual(amounts.map((_, index) => `pub:${index + 1}`).sort());
    expect(durable.get('balance')).toBe(amounts.reduce((sum, amount) => sum + amount, 0));
    expect([...(durable.get('applied') as string[])].sort()).toEqual(published);
    // The test is not vacuous: duplicates did reach the handler, also after the restart.
    expect(topicMessages(world.node('broker').durable, TOPIC).length).toBeGreaterThan(amounts.length);
    expect(handledIds.length).toBeGreaterThan(amounts.length);
    const skippedAfterRestart = events.filter((event) => event.kind === 'idempotent.duplicate' && event.atMs >= 300);
    expect(skippedAfterRestart.length).toBeGreaterThan(0);
  });
});
