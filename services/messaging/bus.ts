// The event bus's shared vocabulary: the RPC methods and payloads between bus clients and the
// broker, message ids, the key → partition hash and dead-letter topic naming.

/** RPC method names of the bus. The broker serves the first three; a subscriber serves `deliver`. */
export const BUS_METHODS = {
  /** Publisher → broker: append one message; answered once it is in the durable log. */
  publish: 'bus.publish',
  /** Subscriber → broker: (re)register subscriptions and stay a live member of their groups. */
  heartbeat: 'bus.heartbeat',
  /** Anyone → broker: the consumer lag of every group (see `LagEntry`). */
  lag: 'bus.lag',
  /** Broker → subscriber: one message for one group; a normal answer acks it, an error nacks it. */
  deliver: 'bus.deliver',
} as const;

/** What a publisher sends to the broker. */
export interface PublishRequest {
  topic: string;
  /** Messages with the same key go to the same partition and are delivered in order. */
  key: string;
  /** Unique per message (`publisher:sequence`); a retried publish sends the same id again. */
  id: string;
  payload: unknown;
  /** Trace to continue on the delivery hop, so spans follow the message across the bus. */
  traceId?: string;
}

/** The broker's answer to a publish: where the message now durably sits. */
export interface PublishAck {
  id: string;
  topic: string;
  partition: number;
  offset: number;
}

/** One (topic, consumer group) pair a member consumes. */
export interface Subscription {
  topic: string;
  group: string;
}

/** A subscriber's heartbeat: its name and every subscription it serves. */
export interface HeartbeatRequest {
  member: string;
  subscriptions: Subscription[];
}

/** The broker's answer to a heartbeat: the partitions this member currently owns. */
export interface HeartbeatReply {
  assignments: { topic: string; group: string; partitions: number[] }[];
}

/** Why and where a dead-lettered message failed, carried by messages on `<topic>.dlq`. */
export interface DeadLetterInfo {
  /** The topic the message was first published to. */
  topic: string;
  /** The group that could not process it (other groups may have processed it fine). */
  group: string;
  partition: number;
  offset: number;
  /** Delivery attempts made before giving up. */
  deliveries: number;
  /** The last attempt's error code (`application`, `timeout`…). */
  lastError: string;
}

/** Everything a handler learns about a message besides its payload. */
export interface DeliveryMeta {
  /** The message id, for idempotent consumers (`publisher:sequence`). */
  id: string;
  topic: string;
  group: string;
  key: string;
  partition: number;
  offset: number;
  /** 1 for the first delivery to this group; higher for redeliveries (also after a broker restart). */
  attempt: number;
  /** The broker's clock when the message was appended, in ms. */
  publishedAtMs: number;
  /** Present on dead-letter topics. */
  deadLetter?: DeadLetterInfo;
}

/** What the broker sends to a subscriber: the metadata plus the payload. */
export interface Delivery extends DeliveryMeta {
  payload: unknown;
}

/** A subscriber's handler: return (or resolve) to ack, throw (or reject) to nack. */
export type EventHandler<T = unknown> = (event: T, meta: DeliveryMeta) => void | Promise<void>;

/** Consumer lag of one group on one topic. */
export interface LagEntry {
  topic: string;
  group: string;
  /** Messages published but not yet acked (nor dead-lettered) by the group: Σ partitions. */
  lag: number;
  /** The same per partition: end offset − committed offset. */
  partitionLag: number[];
}

/** The dead-letter topic of `topic`. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** A message id: unique as long as the publisher's sequence never repeats (it is kept durably). */
export function messageId(publisher: string, sequence: number): string {
  return `${publisher}:${sequence}`;
}

/**
 * The partition of a key: 32-bit FNV-1a of its UTF-16 code units, modulo the partition count.
 * A pure function of the key, so every run and every broker incarnation agree.
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
