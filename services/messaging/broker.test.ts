// Tests for services/messaging/broker.ts: fan-out to groups, partition ownership, per-key ordering, ack
// timeouts and redelivery, the dead-letter topic, consumer lag, retention and broker restarts.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { brokerNode, consumerLag, lagReport, publishedCount, resolveBrokerOptions, topicMessages } from './broker.ts';
import { BUS_METHODS, partitionOf, type LagEntry } from './bus.ts';
import { addPublisher, addSubscriber, firstHandlings, publishInOrder, recordBusEvents, type Handled } from '../../test/kit/bus.ts';

const TOPIC = 'order.created';

function orders(count: number, keys: string[]): { topic: string; key: string; event: unknown }[] {
  return Array.from({ length: count }, (_, index) => ({ topic: TOPIC, key: keys[index % keys.length]!, event: { order: index } }));
}

function ids(entries: Handled[]): string[] {
  return entries.map((entry) => entry.id).sort();
}

function pubIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `pub:${index + 1}`).sort();
}

describe('broker: fan-out and consumer groups', () => {
  it('delivers every message once to every group, and splits partitions among a group’s members', async () => {
    const world = new World(1);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 4 }));
    const handled: Handled[] = [];
    addSubscriber(world, 'pay-1', [{ topic: TOPIC, group: 'payments' }], handled);
    addSubscriber(world, 'pay-2', [{ topic: TOPIC, group: 'payments' }], handled);
    addSubscriber(world, 'stock-1', [{ topic: TOPIC, group: 'inventory' }], handled);
    addPublisher(world);
    const events = recordBusEvents(world);
    const acks = publishInOrder(world, orders(12, ['a', 'b', 'c', 'd', 'e', 'f']), 50);
    await world.sim.run({ untilMs: 2000 });

    expect(acks).toHaveLength(12);
    const payments = handled.filter((entry) => entry.group === 'payments');
    const inventory = handled.filter((entry) => entry.group === 'inventory');
    // No faults: exactly once per group.
    expect(ids(payments)).toEqual(pubIds(12));
    expect(ids(inventory)).toEqual(pubIds(12));
    // Sorted members own partitions round-robin: pay-1 the even ones, pay-2 the odd ones.
    for (const entry of payments) expect(entry.node).toBe(entry.partition % 2 === 0 ? 'pay-1' : 'pay-2');
    expect(inventory.every((entry) => entry.node === 'stock-1')).toBe(true);
    const lastRebalance = events.filter((event) => event.kind === 'bus.rebalance' && event.detail!.includes('group=payments')).at(-1);
    expect(lastRebalance?.detail).toBe(`${TOPIC} group=payments members=[pay-1,pay-2] owners=[pay-1,pay-2,pay-1,pay-2]`);
    expect(consumerLag(world.node('broker').durable, TOPIC, 'payments')).toBe(0);
  });

  it('acks a publish with the partition of its key and consecutive offsets, after the durable append', async () => {
    const world = new World(2);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 3, appendTimeMs: 2 }));
    addPublisher(world);
    const acks = publishInOrder(world, orders(6, ['k1', 'k2']));
    await world.sim.run({ untilMs: 500 });

    expect(acks.map((ack) => ack.partition)).toEqual([0, 1, 2, 3, 4, 5].map((index) => partitionOf(index % 2 === 0 ? 'k1' : 'k2', 3)));
    const offsetsByPartition = new Map<number, number[]>();
    for (const ack of acks) offsetsByPartition.set(ack.partition, [...(offsetsByPartition.get(ack.partition) ?? []), ack.offset]);
    for (const offsets of offsetsByPartition.values()) expect(offsets).toEqual(offsets.map((_, index) => index));
    const logged = topicMessages(world.node('broker').durable, TOPIC);
    expect(logged.map((message) => message.id).sort()).toEqual(pubIds(6));
    expect(publishedCount(world.node('broker').durable, TOPIC)).toBe(6);
  });

  it('starts a late group at the oldest message, so it still receives what was published before it joined', async () => {
    const world = new World(3);
    world.addNode('broker', brokerNode());
    addPublisher(world);
    publishInOrder(world, orders(5, ['x']));
    const handled: Handled[] = [];
    world.sim.schedule(300, () => addSubscriber(world, 'late', [{ topic: TOPIC, group: 'audit' }], handled));
    await world.sim.run({ untilMs: 1000 });
    expect(handled.map((entry) => entry.id)).toEqual(['pub:1', 'pub:2', 'pub:3', 'pub:4', 'pub:5']);
  });
});

describe('broker: ordering, ack timeouts, redelivery and the dead-letter topic', () => {
  it('keeps per-key order under redelivery: a nacked message holds back the later ones of its partition', async () => {
    const world = new World(4);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 2, redeliveryDelayMs: 30 }));
    const handled: Handled[] = [];
    // Every third message fails its first two deliveries.
    addSubscriber(world, 'c1', [{ topic: TOPIC, group: 'g' }], handled, (event, meta) => {
      if ((event as { order: number }).order % 3 === 0 && meta.attempt <= 2) throw new Error('not yet');
    });
    addPublisher(world);
    const events = recordBusEvents(world);
    const messages = orders(18, ['a', 'b', 'c']);
    publishInOrder(world, messages);
    await world.sim.run({ untilMs: 3000 });

    const first = firstHandlings(handled, 'g');
    expect(ids(first)).toEqual(pubIds(18));
    for (const key of ['a', 'b', 'c']) {
      const published = messages.map((message, index) => ({ ...message, id: `pub:${index + 1}` })).filter((message) => message.key === key);
      expect(first.filter((entry) => entry.key === key).map((entry) => entry.id)).toEqual(published.map((message) => message.id));
    }
    // 6 failing messages × 2 nacks each, each followed by one redelivery.
    expect(events.filter((event) => event.kind === 'bus.nack')).toHaveLength(12);
    expect(events.filter((event) => event.kind === 'bus.redeliver')).toHaveLength(12);
    expect(handled.filter((entry) => entry.attempt === 3)).toHaveLength(6);
  });

  it('redelivers a message whose ack did not come within ackTimeoutMs, exactly ackTimeoutMs + redeliveryDelayMs later', async () => {
    const world = new World(5);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 1, ackTimeoutMs: 200, redeliveryDelayMs: 50 }));
    const handled: Handled[] = [];
    addSubscriber(world, 'slow', [{ topic: TOPIC, group: 'g' }], handled, async (_event, meta, ctx) => {
      if (meta.id === 'pub:1' && meta.attempt === 1) await ctx.sleep(300);
    });
    addPublisher(world);
    const events = recordBusEvents(world);
    publishInOrder(world, orders(2, ['k']), 100);
    await world.sim.run({ untilMs: 2000 });

    const deliveries = events.filter((event) => ['bus.deliver', 'bus.redeliver', 'bus.nack', 'bus.ack'].includes(event.kind));
    const first = deliveries[0]!;
    expect(first.kind).toBe('bus.deliver');
    expect(deliveries.slice(0, 4).map((event) => [event.kind, event.atMs - first.atMs, event.detail])).toEqual([
      ['bus.deliver', 0, `${TOPIC}/0@0 group=g id=pub:1 attempt=1`],
      ['bus.nack', 200, `${TOPIC}/0@0 group=g id=pub:1 attempt=1 code=timeout`],
      ['bus.redeliver', 250, `${TOPIC}/0@0 group=g id=pub:1 attempt=2`],
      ['bus.ack', 252, `${TOPIC}/0@0 group=g id=pub:1`],
    ]);
    // The slow first attempt still finished (at +301): a duplicate, as at-least-once allows.
    expect(handled.map((entry) => [entry.id, entry.attempt])).toEqual([
      ['pub:1', 2],
      ['pub:2', 1],
      ['pub:1', 1],
    ]);
  });

  it('moves a message to <topic>.dlq after maxDeliveries failed attempts, and goes on with the next', async () => {
    const world = new World(6);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 1, maxDeliveries: 3, redeliveryDelayMs: 10 }));
    const handled: Handled[] = [];
    addSubscriber(world, 'c1', [{ topic: TOPIC, group: 'payments' }], handled, (event) => {
      if ((event as { order: number }).order === 1) throw new Error('poison');
    });
    const dead: Handled[] = [];
    addSubscriber(world, 'ops', [{ topic: `${TOPIC}.dlq`, group: 'ops' }], dead);
    addPublisher(world);
    const events = recordBusEvents(world);
    publishInOrder(world, orders(3, ['k']));
    await world.sim.run({ untilMs: 2000 });

    expect(handled.map((entry) => entry.id)).toEqual(['pub:1', 'pub:3']);
    const attempts = events.filter((event) => (event.kind === 'bus.deliver' || event.kind === 'bus.redeliver') && event.detail!.includes('group=payments id=pub:2'));
    expect(attempts).toHaveLength(3);
    const deadLetters = events.filter((event) => event.kind === 'bus.dead-letter');
    expect(deadLetters.map((event) => event.detail)).toEqual([`${TOPIC}/0@1 group=payments id=pub:2 deliveries=3 error=application`]);
    const dlq = topicMessages(world.node('broker').durable, `${TOPIC}.dlq`);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({
      id: 'pub:2',
      key: 'k',
      payload: { order: 1 },
      deadLetter: { topic: TOPIC, group: 'payments', partition: 0, offset: 1, deliveries: 3, lastError: 'application' },
    });
    expect(dead.map((entry) => entry.id)).toEqual(['pub:2']);
    expect(consumerLag(world.node('broker').durable, TOPIC, 'payments')).toBe(0);
  });

  it('does not count deliveries the consumer never saw (refused while it was down) towards maxDeliveries', async () => {
    const world = new World(7);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 1, maxDeliveries: 1, sessionTimeoutMs: 10_000 }));
    const handled: Handled[] = [];
    addSubscriber(world, 'c1', [{ topic: TOPIC, group: 'g' }], handled);
    addPublisher(world);
    const events = recordBusEvents(world);
    // The consumer is down (but still a member: its session has not expired) when the message comes.
    world.sim.schedule(50, () => world.crash('c1'));
    publishInOrder(world, orders(1, ['k']), 100);
    world.sim.schedule(400, () => world.restart('c1'));
    await world.sim.run({ untilMs: 1500 });

    expect(events.filter((event) => event.kind === 'bus.deliver-failed').map((event) => event.detail)).toEqual([`${TOPIC}/0@0 group=g id=pub:1 code=refused`]);
    expect(events.some((event) => event.kind === 'bus.dead-letter')).toBe(false);
    expect(handled.map((entry) => [entry.id, entry.attempt])).toEqual([['pub:1', 1]]);
  });
});

describe('broker: consumer lag', () => {
  it('reports published minus acked offsets, per group and partition, from outside and over RPC', async () => {
    const world = new World(8);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 2, ackTimeoutMs: 100, maxDeliveries: Infinity }));
    let allowed = 4;
    const handled: Handled[] = [];
    // Acks the first four messages it sees; then nacks until allowed again.
    addSubscriber(world, 'c1', [{ topic: TOPIC, group: 'slow' }], handled, () => {
      if (allowed <= 0) throw new Error('backpressure');
      allowed--;
    });
    addSubscriber(world, 'c2', [{ topic: TOPIC, group: 'fast' }], []);
    addPublisher(world);
    const messages = orders(10, ['a', 'b']);
    publishInOrder(world, messages);
    await world.sim.run({ untilMs: 1000 });

    const durable = world.node('broker').durable;
    expect(consumerLag(durable, TOPIC, 'slow')).toBe(6);
    expect(consumerLag(durable, TOPIC, 'fast')).toBe(0);
    expect(consumerLag(durable, TOPIC, 'nobody-yet')).toBe(10);
    expect(consumerLag(durable, 'no.such.topic', 'slow')).toBe(0);
    const report = lagReport(durable);
    const slow = report.find((entry) => entry.group === 'slow')!;
    expect(slow.lag).toBe(6);
    expect(slow.partitionLag.reduce((sum, value) => sum + value, 0)).toBe(6);
    const ackedPerPartition = [0, 1].map((partition) => handled.filter((entry) => entry.partition === partition).length);
    const publishedPerPartition = [0, 1].map((partition) => messages.filter((message) => partitionOf(message.key, 2) === partition).length);
    expect(slow.partitionLag).toEqual(publishedPerPartition.map((count, partition) => count - ackedPerPartition[partition]!));

    let overRpc: LagEntry[] = [];
    world.sim.spawn(async () => {
      overRpc = await world.call<LagEntry[]>('broker', BUS_METHODS.lag);
    });
    allowed = Infinity;
    await world.sim.run({ untilMs: 2000 });
    expect(overRpc.find((entry) => entry.group === 'slow')?.lag).toBe(6);
    expect(consumerLag(durable, TOPIC, 'slow')).toBe(0);
  });

  it('trims messages older than retentionMs once every group acked them, without changing lag', async () => {
    const world = new World(9);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 1, retentionMs: 100 }));
    addSubscriber(world, 'c1', [{ topic: TOPIC, group: 'g' }], []);
    addPublisher(world);
    publishInOrder(world, orders(5, ['k']), 10);
    publishInOrder(world, orders(1, ['k']), 500);
    await world.sim.run({ untilMs: 1000 });
    const durable = world.node('broker').durable;
    // Publishing the sixth message trimmed the five acked, older ones; it was itself acked later.
    expect(topicMessages(durable, TOPIC).map((message) => message.offset)).toEqual([5]);
    expect(publishedCount(durable, TOPIC)).toBe(6);
    expect(consumerLag(durable, TOPIC, 'g')).toBe(0);
  });
});

describe('broker: durability across restarts', () => {
  it('loses nothing when the broker crashes mid-delivery: every message reaches every group after the restart', async () => {
    const world = new World(10);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 2 }));
    const handled: Handled[] = [];
    const slow = async (_event: unknown, _meta: unknown, ctx: { sleep(ms: number): Promise<void> }) => ctx.sleep(20);
    addSubscriber(world, 'pay-1', [{ topic: TOPIC, group: 'payments' }], handled, slow);
    addSubscriber(world, 'stock-1', [{ topic: TOPIC, group: 'inventory' }], handled, slow);
    addPublisher(world);
    const events = recordBusEvents(world);
    const acks = publishInOrder(world, orders(20, ['a', 'b', 'c', 'd']));
    world.sim.schedule(120, () => world.crash('broker'));
    world.sim.schedule(400, () => world.restart('broker'));
    await world.sim.run({ untilMs: 3000 });

    // Publishes that met the crash were retried by the publisher; all 20 ended acked.
    expect(acks).toHaveLength(20);
    const published = [...new Set(acks.map((ack) => ack.id))].sort();
    expect(published).toEqual(pubIds(20));
    const crashAtMs = 120;
    const handledBeforeCrash = handled.filter((entry) => entry.atMs < crashAtMs).length;
    expect(handledBeforeCrash).toBeGreaterThan(0);
    expect(handledBeforeCrash).toBeLessThan(40);
    for (const group of ['payments', 'inventory']) expect(ids(firstHandlings(handled, group))).toEqual(pubIds(20));
    // Deliveries in flight at the crash are redelivered (attempt 2) by the restarted broker.
    expect(events.some((event) => event.kind === 'bus.redeliver' && event.atMs >= 400 && event.detail!.endsWith('attempt=2'))).toBe(true);
    expect(consumerLag(world.node('broker').durable, TOPIC, 'payments')).toBe(0);
    expect(consumerLag(world.node('broker').durable, TOPIC, 'inventory')).toBe(0);
  });

  it('moves a crashed member’s partitions to the other member as soon as a delivery to it is refused', async () => {
    const world = new World(11);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 2, sessionTimeoutMs: 400 }));
    const handled: Handled[] = [];
    addSubscriber(world, 'pay-1', [{ topic: TOPIC, group: 'payments' }], handled);
    addSubscriber(world, 'pay-2', [{ topic: TOPIC, group: 'payments' }], handled);
    addPublisher(world);
    const events = recordBusEvents(world);
    world.sim.schedule(100, () => world.crash('pay-2'));
    publishInOrder(world, orders(8, ['a', 'b', 'c', 'd']), 150);
    await world.sim.run({ untilMs: 2000 });

    expect(ids(handled)).toEqual(pubIds(8));
    expect(handled.every((entry) => entry.node === 'pay-1')).toBe(true);
    const leaves = events.filter((event) => event.kind === 'bus.member-leave');
    expect(leaves.map((event) => [event.peer, event.detail])).toEqual([['pay-2', `${TOPIC} group=payments reason=refused`]]);
    expect(leaves[0]!.atMs).toBeLessThan(200);
    expect(events.filter((event) => event.kind === 'bus.rebalance').at(-1)?.detail).toBe(`${TOPIC} group=payments members=[pay-1] owners=[pay-1,pay-1]`);
  });

  it('moves a cut-off member’s partitions once its session expires, and it rejoins after the heal', async () => {
    const world = new World(11);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 2, ackTimeoutMs: 150, sessionTimeoutMs: 400 }));
    const handled: Handled[] = [];
    addSubscriber(world, 'pay-1', [{ topic: TOPIC, group: 'payments' }], handled);
    addSubscriber(world, 'pay-2', [{ topic: TOPIC, group: 'payments' }], handled);
    addPublisher(world);
    const events = recordBusEvents(world);
    let cut = 0;
    world.sim.schedule(100, () => {
      cut = world.partition(['pay-2'], ['broker']);
    });
    world.sim.schedule(1200, () => world.heal(cut));
    publishInOrder(world, orders(8, ['a', 'b', 'c', 'd']), 150);
    await world.sim.run({ untilMs: 2000 });

    expect(ids(handled)).toEqual(pubIds(8));
    const leave = events.find((event) => event.kind === 'bus.member-leave')!;
    expect([leave.peer, leave.detail]).toEqual(['pay-2', `${TOPIC} group=payments reason=session-expired`]);
    // Its last heartbeat arrived at 1 ms; sweeps run every sessionTimeoutMs / 2 = 200 ms, and the first after 401 ms drops it.
    expect(leave.atMs).toBe(600);
    // Until then its partition's message timed out and was retried against it (counted attempts, no DLQ).
    expect(events.some((event) => event.kind === 'bus.nack' && event.peer === 'pay-2' && event.detail!.endsWith('code=timeout'))).toBe(true);
    expect(events.some((event) => event.kind === 'bus.dead-letter')).toBe(false);
    expect(events.filter((event) => event.kind === 'bus.rebalance').map((event) => [event.atMs >= 1200, event.detail])).toContainEqual([
      true,
      `${TOPIC} group=payments members=[pay-1,pay-2] owners=[pay-1,pay-2]`,
    ]);
  });

  it('is deterministic: the same seed gives the same trace hash', async () => {
    const run = async (): Promise<string> => {
      const world = new World(12, { network: { latencyMs: { kind: 'uniform', min: 1, max: 5 } } });
      world.addNode('broker', brokerNode({ partitionsPerTopic: 2 }));
      addSubscriber(world, 'c1', [{ topic: TOPIC, group: 'g' }], []);
      addSubscriber(world, 'c2', [{ topic: TOPIC, group: 'g' }], []);
      addPublisher(world);
      publishInOrder(world, orders(10, ['a', 'b', 'c']));
      world.sim.schedule(30, () => world.crash('broker'));
      world.sim.schedule(90, () => world.restart('broker'));
      await world.sim.run({ untilMs: 2000 });
      return world.sim.trace.hash;
    };
    expect(await run()).toBe(await run());
  });
});

describe('broker: configuration', () => {
  it('rejects impossible options with a ConfigError naming the field', () => {
    expect(() => resolveBrokerOptions({ partitionsPerTopic: 0 })).toThrow(ConfigError);
    expect(() => resolveBrokerOptions({ partitionsPerTopic: 1.5 })).toThrow(/partitionsPerTopic is 1.5/);
    expect(() => resolveBrokerOptions({ ackTimeoutMs: 0 })).toThrow(/ackTimeoutMs/);
    expect(() => resolveBrokerOptions({ maxDeliveries: 0 })).toThrow(/maxDeliveries/);
    expect(() => resolveBrokerOptions({ sessionTimeoutMs: Infinity })).toThrow(/sessionTimeoutMs/);
    expect(() => resolveBrokerOptions({ retentionMs: -1 })).toThrow(/retentionMs/);
    expect(resolveBrokerOptions({ maxDeliveries: Infinity }).maxDeliveries).toBe(Infinity);
  });

  it('answers a malformed publish with bad-request', async () => {
    const world = new World(13);
    world.addNode('broker', brokerNode());
    let code = '';
    world.sim.spawn(async () => {
      await world.call('broker', BUS_METHODS.publish, { topic: '', key: 'k', id: 'x' }).catch((error: { code: string }) => {
        code = error.code;
      });
    });
    await world.sim.run({ untilMs: 100 });
    expect(code).toBe('bad-request');
  });
});
