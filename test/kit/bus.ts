// Test fixtures for the event bus: a publisher node, recording subscriber nodes and a trace
// recorder, shared by the bus's test files (imported by tests only).
import type { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import type { TraceEvent } from '../../sim/engine/trace.ts';
import { busClient, type BusClientOptions } from '../../services/messaging/bus-client.ts';
import type { DeliveryMeta, PublishAck } from '../../services/messaging/bus.ts';

/** One successful handling of a message, as a recording subscriber saw it. */
export interface Handled {
  node: string;
  group: string;
  id: string;
  key: string;
  partition: number;
  offset: number;
  attempt: number;
  atMs: number;
  payload: unknown;
}

/** What a recording subscriber does before it records (throw to nack). */
export type Behaviour = (event: unknown, meta: DeliveryMeta, ctx: NodeContext) => void | Promise<void>;

/** Adds a node that subscribes to `topics` as `group` and records every handling that succeeds. */
export function addSubscriber(
  world: World,
  name: string,
  subscriptions: { topic: string; group: string }[],
  handled: Handled[],
  behaviour?: Behaviour,
  clientOptions: Partial<BusClientOptions> = {},
): void {
  world.addNode(name, (ctx) => {
    const bus = busClient(ctx, { broker: 'broker', ...clientOptions });
    return {
      handlers: { ...bus.handlers },
      onStart: () => {
        for (const { topic, group } of subscriptions) {
          bus.subscribe(topic, { group }, async (event, meta) => {
            if (behaviour) await behaviour(event, meta, ctx);
            handled.push({ node: ctx.name, group, id: meta.id, key: meta.key, partition: meta.partition, offset: meta.offset, attempt: meta.attempt, atMs: world.nowMs, payload: event });
          });
        }
      },
    };
  });
}

/** Adds a node `pub` whose `publish` handler publishes `{ topic, key, event }` on the bus. */
export function addPublisher(world: World, clientOptions: Partial<BusClientOptions> = {}, name = 'pub'): void {
  world.addNode(name, (ctx) => {
    const bus = busClient(ctx, { broker: 'broker', ...clientOptions });
    return {
      handlers: {
        publish: (payload: { topic: string; key: string; event: unknown }) => bus.publish(payload.topic, payload.key, payload.event),
      },
    };
  });
}

/** Publishes the messages one after another from `startMs` on; acks land in the returned array. */
export function publishInOrder(world: World, messages: { topic: string; key: string; event: unknown }[], startMs = 0, publisher = 'pub'): PublishAck[] {
  const acks: PublishAck[] = [];
  world.sim.schedule(startMs, () => {
    world.sim.spawn(async () => {
      for (const message of messages) acks.push(await world.call<PublishAck>(publisher, 'publish', message, { timeoutMs: 60_000 }));
    });
  });
  return acks;
}

/** Records the trace events whose kind starts with `bus.` (and node faults), in order. */
export function recordBusEvents(world: World): TraceEvent[] {
  const events: TraceEvent[] = [];
  world.sim.trace.addSink((event) => {
    if (event.kind.startsWith('bus.') || event.kind.startsWith('idempotent.') || event.kind === 'node.crash' || event.kind === 'node.restart') events.push(event);
  });
  return events;
}

/** The ids each group handled, first handling only, in the order they were first handled. */
export function firstHandlings(handled: Handled[], group: string): Handled[] {
  const seen = new Set<string>();
  const out: Handled[] = [];
  for (const entry of handled) {
    if (entry.group !== group || seen.has(entry.id)) continue;
    seen.add(entry.id);
    out.push(entry);
  }
  return out;
}
