// Tests for the event bus as a whole: the key → partition hash, and the at-least-once property
// over 200 seeds with random broker and consumer crash schedules.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { World } from '../../sim/world/world.ts';
import type { CallOutcome } from '../../sim/world/rpc.ts';
import { brokerNode, consumerLag, topicMessages } from './broker.ts';
import { deadLetterTopic, messageId, partitionOf, type PublishAck } from './bus.ts';
import { addPublisher, addSubscriber, type Handled } from '../../test/kit/bus.ts';

const TOPIC = 'order.created';

describe('bus vocabulary', () => {
  it('maps a key to a stable partition in range, spreading distinct keys', () => {
    expect(partitionOf('order-1', 8)).toBe(partitionOf('order-1', 8));
    expect(partitionOf('', 5)).toBe(0x811c9dc5 % 5);
    const used = new Set<number>();
    for (let index = 0; index < 100; index++) {
      const partition = partitionOf(`key-${index}`, 8);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(8);
      used.add(partition);
    }
    expect(used.size).toBe(8);
  });

  it('names ids and dead-letter topics', () => {
    expect(messageId('orders-1', 7)).toBe('orders-1:7');
    expect(deadLetterTopic(TOPIC)).toBe('order.created.dlq');
  });
});

/** One crash of one node, drawn by the property: down at `atMs` for `downMs`. */
interface CrashPlan {
  node: string;
  atMs: number;
  downMs: number;
}

const CONSUMERS = [
  { name: 'a1', group: 'A' },
  { name: 'a2', group: 'A' },
  { name: 'b1', group: 'B' },
];
const PUBLISH_WINDOW_MS = 2000;
const FAULT_WINDOW_MS = 1500;
const MAX_DOWN_MS = 600;
/** After the last restart, the system must deliver everything within this bound. */
const QUIESCE_MS = 3000;

/** Runs one small world under a crash schedule; returns what was acked, handled and dead-lettered. */
async function runWithCrashes(seed: number, publishTimesMs: number[], keys: number[], crashes: CrashPlan[]) {
  const world = new World(seed, { network: { latencyMs: { kind: 'uniform', min: 1, max: 10 } } });
  world.addNode('broker', brokerNode({ partitionsPerTopic: 3, ackTimeoutMs: 150, redeliveryDelayMs: 30, sessionTimeoutMs: 500, maxDeliveries: 10 }));
  const handled: Handled[] = [];
  for (const { name, group } of CONSUMERS) {
    addSubscriber(world, name, [{ topic: TOPIC, group }], handled, (_event, _meta, ctx) => ctx.sleep(40), { heartbeatIntervalMs: 100 });
  }
  addPublisher(world, { publishTimeoutMs: 200, publishAttempts: 3, publishRetryDelayMs: 50 });
  const acked: PublishAck[] = [];
  publishTimesMs.forEach((atMs, index) => {
    world.sim.schedule(atMs, () =>
      world.request('pub', 'publish', { topic: TOPIC, key: `k${keys[index]}`, event: { index } }, { timeoutMs: 5000 }, (outcome: CallOutcome) => {
        if (outcome.ok) acked.push(outcome.value as PublishAck);
      }),
    );
  });
  let lastRestartMs = 0;
  let brokerCrashesWithWork = 0;
  for (const crash of crashes) {
    lastRestartMs = Math.max(lastRestartMs, crash.atMs + crash.downMs);
    world.sim.schedule(crash.atMs, () => {
      if (world.node(crash.node).status !== 'up') return;
      const durable = world.node('broker').durable;
      if (crash.node === 'broker' && consumerLag(durable, TOPIC, 'A') + consumerLag(durable, TOPIC, 'B') > 0) brokerCrashesWithWork++;
      world.crash(crash.node);
    });
    world.sim.schedule(crash.atMs + crash.downMs, () => {
      if (world.node(crash.node).status === 'down') world.restart(crash.node);
    });
  }
  await world.sim.run({ untilMs: Math.max(PUBLISH_WINDOW_MS, lastRestartMs) + QUIESCE_MS });
  return {
    world,
    acked,
    handled,
    brokerCrashesWithWork,
    deadLetters: topicMessages(world.node('broker').durable, deadLetterTopic(TOPIC)).length,
  };
}

/**
 * Per-partition order of first handlings: each log position's first successful handling must come
 * after those of every earlier position of its partition. Returns the positions that broke it.
 */
function firstHandledOutOfOrder(handled: Handled[], group: string): string[] {
  const seen = new Set<string>();
  const lastOffset = new Map<number, number>();
  const broken: string[] = [];
  for (const entry of handled) {
    const position = `${entry.partition}@${entry.offset}`;
    if (entry.group !== group || seen.has(position)) continue;
    seen.add(position);
    if (entry.offset <= (lastOffset.get(entry.partition) ?? -1)) broken.push(position);
    lastOffset.set(entry.partition, entry.offset);
  }
  return broken;
}

describe('bus: at-least-once delivery under crashes (property)', () => {
  it('delivers every acked message to every group at least once, in partition order, whatever the broker and consumer crash schedule', async () => {
    let totalAcked = 0;
    let totalBrokerCrashesWithWork = 0;
    let totalDuplicates = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: PUBLISH_WINDOW_MS }), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 12 }),
        fc.array(
          fc.record({
            node: fc.constantFrom('broker', 'broker', 'a1', 'a2', 'b1'),
            atMs: fc.integer({ min: 0, max: FAULT_WINDOW_MS }),
            downMs: fc.integer({ min: 1, max: MAX_DOWN_MS }),
          }),
          { maxLength: 4 },
        ),
        async (seed, publishes, crashes) => {
          const result = await runWithCrashes(
            seed,
            publishes.map(([atMs]) => atMs),
            publishes.map(([, key]) => key),
            crashes,
          );
          expect(result.world.processErrors).toBe(0);
          expect(result.deadLetters).toBe(0);
          const ackedIds = [...new Set(result.acked.map((ack) => ack.id))].sort();
          for (const group of ['A', 'B']) {
            const received = new Set(result.handled.filter((entry) => entry.group === group).map((entry) => entry.id));
            expect(ackedIds.filter((id) => !received.has(id))).toEqual([]);
            expect(firstHandledOutOfOrder(result.handled, group)).toEqual([]);
          }
          totalAcked += ackedIds.length;
          totalBrokerCrashesWithWork += result.brokerCrashesWithWork;
          totalDuplicates += result.handled.length - new Set(result.handled.map((entry) => `${entry.group}/${entry.id}`)).size;
        },
      ),
      { numRuns: 200, seed: 20240611 },
    );
    // The property was exercised where it matters: broker crashes with undelivered work, redeliveries.
    expect(totalAcked).toBeGreaterThan(800);
    expect(totalBrokerCrashesWithWork).toBeGreaterThan(10);
    expect(totalDuplicates).toBeGreaterThan(10);
  });
});
