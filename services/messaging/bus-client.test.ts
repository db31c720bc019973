// Tests for services/messaging/bus-client.ts: message ids, publish retries and their duplicates, errors a
// publisher sees, subscriptions surviving a consumer restart, and the nack contract of handlers.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import { brokerNode, topicMessages } from './broker.ts';
import { busClient } from './bus-client.ts';
import { addPublisher, addSubscriber, publishInOrder, recordBusEvents, type Handled } from '../../test/kit/bus.ts';

const TOPIC = 'order.created';

describe('bus client: publishing', () => {
  it('names messages publisher:sequence and keeps the sequence durable across a publisher restart', async () => {
    const world = new World(1);
    world.addNode('broker', brokerNode());
    addPublisher(world);
    const acks = publishInOrder(world, [1, 2, 3].map((order) => ({ topic: TOPIC, key: 'k', event: { order } })));
    world.sim.schedule(100, () => world.restart('pub'));
    publishInOrder(world, [4, 5].map((order) => ({ topic: TOPIC, key: 'k', event: { order } })), 200);
    await world.sim.run({ untilMs: 500 });
    expect(acks.map((ack) => ack.id)).toEqual(['pub:1', 'pub:2', 'pub:3']);
    expect(topicMessages(world.node('broker').durable, TOPIC).map((message) => message.id)).toEqual(['pub:1', 'pub:2', 'pub:3', 'pub:4', 'pub:5']);
  });

  it('retries a publish whose ack was lost with the same id, which leaves a duplicate in the log', async () => {
    const world = new World(2);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 1 }));
    addPublisher(world, { publishTimeoutMs: 100, publishAttempts: 5, publishRetryDelayMs: 20 });
    const events = recordBusEvents(world);
    // Acks from the broker to the publisher are lost until 105 ms (the first try times out at 100); the appends themselves happen.
    const cut = world.partition(['broker'], ['pub'], { oneWay: true });
    world.sim.schedule(105, () => world.heal(cut));
    const acks = publishInOrder(world, [{ topic: TOPIC, key: 'k', event: 'hello' }]);
    await world.sim.run({ untilMs: 1000 });

    expect(acks).toEqual([{ id: 'pub:1', topic: TOPIC, partition: 0, offset: 1 }]);
    expect(topicMessages(world.node('broker').durable, TOPIC).map((message) => [message.id, message.offset])).toEqual([
      ['pub:1', 0],
      ['pub:1', 1],
    ]);
    expect(events.filter((event) => event.kind === 'bus.publish-retry').map((event) => event.detail)).toEqual([`${TOPIC} id=pub:1 attempt=2 after=timeout`]);
  });

  it('rejects with the last RpcError when every try fails, and does not retry non-transient errors', async () => {
    const world = new World(3);
    world.addNode('broker', brokerNode());
    world.crash('broker');
    const outcomes: string[] = [];
    world.addNode('pub', (ctx) => {
      const bus = busClient(ctx, { broker: 'broker', publishAttempts: 2, publishRetryDelayMs: 10 });
      const attempt = async (topic: string) => {
        try {
          await bus.publish(topic, 'k', 1);
          outcomes.push('ok');
        } catch (error) {
          outcomes.push(error instanceof RpcError ? error.code : 'other');
        }
      };
      return {
        onStart: () =>
          ctx.spawn(async () => {
            await attempt(TOPIC);
            world.restart('broker');
            await attempt(''); // an empty topic is a bad request: no retry
            await attempt(TOPIC);
          }),
      };
    });
    const events = recordBusEvents(world);
    await world.sim.run({ untilMs: 1000 });
    expect(outcomes).toEqual(['refused', 'bad-request', 'ok']);
    expect(events.filter((event) => event.kind === 'bus.publish-retry')).toHaveLength(1);
  });

  it('validates its options with one-line ConfigErrors', () => {
    const world = new World(4);
    const errors: unknown[] = [];
    world.addNode('n', (ctx) => {
      for (const options of [{ broker: '' }, { broker: 'b', publishAttempts: 0 }, { broker: 'b', heartbeatIntervalMs: 0 }]) {
        try {
          busClient(ctx, options);
        } catch (error) {
          errors.push(error);
        }
      }
      return {};
    });
    expect(errors).toHaveLength(3);
    expect(errors.every((error) => error instanceof ConfigError && !(error as Error).message.includes('\n'))).toBe(true);
  });
});

describe('bus client: subscribing', () => {
  it('re-subscribes after a consumer restart (onStart) and gets the messages it missed', async () => {
    const world = new World(5);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 1, sessionTimeoutMs: 300 }));
    const handled: Handled[] = [];
    addSubscriber(world, 'c1', [{ topic: TOPIC, group: 'g' }], handled);
    addPublisher(world);
    world.sim.schedule(50, () => world.crash('c1'));
    publishInOrder(world, [1, 2, 3].map((order) => ({ topic: TOPIC, key: 'k', event: { order } })), 100);
    world.sim.schedule(1000, () => world.restart('c1'));
    await world.sim.run({ untilMs: 1500 });
    expect(handled.map((entry) => entry.id)).toEqual(['pub:1', 'pub:2', 'pub:3']);
    expect(handled.every((entry) => entry.atMs >= 1000)).toBe(true);
  });

  it('turns any handler error into a nack, even an RpcError from the handler’s own downstream call', async () => {
    const world = new World(6);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 1, redeliveryDelayMs: 10 }));
    world.addNode('downstream', () => ({}));
    world.crash('downstream');
    const handled: Handled[] = [];
    addSubscriber(world, 'c1', [{ topic: TOPIC, group: 'g' }], handled, async (_event, meta, ctx) => {
      if (meta.attempt === 1) await ctx.call('downstream', 'anything'); // rejects with `refused`
    });
    addPublisher(world);
    const events = recordBusEvents(world);
    publishInOrder(world, [{ topic: TOPIC, key: 'k', event: 1 }]);
    await world.sim.run({ untilMs: 500 });
    expect(events.filter((event) => event.kind === 'bus.nack').map((event) => event.detail)).toEqual([`${TOPIC}/0@0 group=g id=pub:1 attempt=1 code=application`]);
    expect(events.some((event) => event.kind === 'bus.member-leave')).toBe(false);
    expect(handled.map((entry) => entry.attempt)).toEqual([2]);
  });

  it('reports a subscriber whose service lacks bus.handlers as a process error naming the fix', async () => {
    const world = new World(7);
    world.addNode('broker', brokerNode());
    world.addNode('c1', (ctx) => {
      const bus = busClient(ctx, { broker: 'broker' });
      return { onStart: () => bus.subscribe(TOPIC, { group: 'g' }, () => undefined) };
    });
    await world.sim.run({ untilMs: 100 });
    expect(world.processErrors).toBe(1);
    expect(world.firstProcessError).toBe('c1: c1 subscribes to the bus but its service lacks the bus.deliver handler: spread ...bus.handlers into its handlers');
  });

  it('rejects a second subscription of the same topic and group', () => {
    const world = new World(8);
    world.addNode('broker', brokerNode());
    let error: unknown;
    world.addNode('c1', (ctx) => {
      const bus = busClient(ctx, { broker: 'broker' });
      return {
        handlers: { ...bus.handlers },
        onStart: () => {
          bus.subscribe(TOPIC, { group: 'g' }, () => undefined);
          try {
            bus.subscribe(TOPIC, { group: 'g' }, () => undefined);
          } catch (caught) {
            error = caught;
          }
        },
      };
    });
    expect(error).toBeInstanceOf(ConfigError);
  });

  it('sends one heartbeat naming every subscription made in onStart, and learns its partitions', async () => {
    const world = new World(9);
    world.addNode('broker', brokerNode({ partitionsPerTopic: 2 }));
    addSubscriber(world, 'c1', [
      { topic: TOPIC, group: 'g' },
      { topic: 'payment.done', group: 'g' },
    ], []);
    const events = recordBusEvents(world);
    await world.sim.run({ untilMs: 10 });
    expect(events.filter((event) => event.kind === 'bus.member-join').map((event) => [event.atMs, event.detail])).toEqual([
      [1, `${TOPIC} group=g`],
      [1, 'payment.done group=g'],
    ]);
    let reply: unknown;
    world.sim.spawn(async () => {
      reply = await world.call('broker', 'bus.heartbeat', { member: 'c1', subscriptions: [{ topic: TOPIC, group: 'g' }] });
    });
    await world.sim.run({ untilMs: 20 });
    expect(reply).toEqual({ assignments: [{ topic: TOPIC, group: 'g', partitions: [0, 1] }] });
  });
});
