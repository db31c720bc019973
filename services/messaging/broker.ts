// The message broker as a node: topics split into partitions by key, consumer groups that share a
// topic's partitions among their members, at-least-once push delivery with ack timeouts,
// redelivery and a dead-letter topic, over a durable log and committed offsets that survive restarts.
import type { NodeContext } from '../../sim/world/context.ts';
import type { NodeFactory, Request, ServiceDefinition } from '../../sim/world/node.ts';
import { ConfigError, RpcError, errorMessage } from '../../sim/engine/errors.ts';
import { registerTimelineKinds } from '../../sim/harness/timeline.ts';
import {
  BUS_METHODS,
  deadLetterTopic,
  partitionOf,
  type DeadLetterInfo,
  type Delivery,
  type HeartbeatReply,
  type PublishAck,
  type Subscription,
} from './bus.ts';
import { endOffset, lagOf, openLog, type BrokerLog, type Cursor, type StoredMessage, type TopicLog } from './broker-log.ts';

// Redeliveries, nacks and dead letters go on the run's timeline and into trace exports.
registerTimelineKinds('bus.redeliver', 'bus.nack', 'bus.dead-letter');

export { BROKER_LOG_KEY, consumerLag, lagReport, publishedCount, topicMessages, type LoggedMessage } from './broker-log.ts';

/** Broker settings; every field is optional and documented with its default. */
export interface BrokerOptions {
  /** Partitions of each topic, fixed when the topic is first used. Default 4. */
  partitionsPerTopic?: number;
  /** A delivery not acked within this many ms counts as failed and is redelivered. Default 500. */
  ackTimeoutMs?: number;
  /**
   * Delivery attempts per message and group before it goes to `<topic>.dlq`. Attempts the
   * consumer provably never saw (refused, shed) do not count. Default 5. `Infinity` disables the DLQ.
   */
  maxDeliveries?: number;
  /** Pause after a failed attempt (nack or ack timeout) before the redelivery. Default 100 ms. */
  redeliveryDelayMs?: number;
  /**
   * A member that has not heartbeated for this long leaves its groups and its partitions move.
   * Keep it below `ackTimeoutMs × maxDeliveries`, or a cut-off member can push healthy messages
   * into the DLQ before it is replaced. Default 1000 ms.
   */
  sessionTimeoutMs?: number;
  /** CPU time of one durable append (the fsync), spent before the publish is acked. Default 0 ms. */
  appendTimeMs?: number;
  /**
   * Messages older than this that every known group has acked are removed from the log (a group
   * that joins later starts at the oldest message kept). Default Infinity: keep everything.
   */
  retentionMs?: number;
}

/** Broker settings with every default filled in. */
export type ResolvedBrokerOptions = Required<BrokerOptions>;

const DEFAULT_BROKER_OPTIONS: ResolvedBrokerOptions = {
  partitionsPerTopic: 4,
  ackTimeoutMs: 500,
  maxDeliveries: 5,
  redeliveryDelayMs: 100,
  sessionTimeoutMs: 1000,
  appendTimeMs: 0,
  retentionMs: Infinity,
};


/** Live members of one group on one topic and who owns which partition: volatile. */
interface Membership {
  topic: string;
  group: string;
  /** Member name → broker-clock time of its last heartbeat. */
  members: Map<string, number>;
  /** Owner of each partition, or undefined while the group has no members. */
  owners: (string | undefined)[];
}

/** Error codes that prove the consumer's handler never ran: such attempts do not count. */
const NOT_DELIVERED = new Set(['refused', 'overloaded', 'unavailable', 'not-found']);

/** Fills defaults and validates; throws ConfigError naming the bad field and the fix. */
export function resolveBrokerOptions(options: BrokerOptions = {}): ResolvedBrokerOptions {
  const defaults = DEFAULT_BROKER_OPTIONS;
  const resolved: ResolvedBrokerOptions = {
    partitionsPerTopic: options.partitionsPerTopic ?? defaults.partitionsPerTopic,
    ackTimeoutMs: options.ackTimeoutMs ?? defaults.ackTimeoutMs,
    maxDeliveries: options.maxDeliveries ?? defaults.maxDeliveries,
    redeliveryDelayMs: options.redeliveryDelayMs ?? defaults.redeliveryDelayMs,
    sessionTimeoutMs: options.sessionTimeoutMs ?? defaults.sessionTimeoutMs,
    appendTimeMs: options.appendTimeMs ?? defaults.appendTimeMs,
    retentionMs: options.retentionMs ?? defaults.retentionMs,
  };
  const { partitionsPerTopic, ackTimeoutMs, maxDeliveries, redeliveryDelayMs, sessionTimeoutMs, appendTimeMs, retentionMs } = resolved;
  if (!Number.isInteger(partitionsPerTopic) || partitionsPerTopic < 1) {
    throw new ConfigError(`broker partitionsPerTopic is ${partitionsPerTopic}: use a whole number >= 1`);
  }
  if (!(ackTimeoutMs > 0 && Number.isFinite(ackTimeoutMs))) throw new ConfigError(`broker ackTimeoutMs is ${ackTimeoutMs}: use a finite number of ms > 0`);
  if (!(maxDeliveries === Infinity || (Number.isInteger(maxDeliveries) && maxDeliveries >= 1))) {
    throw new ConfigError(`broker maxDeliveries is ${maxDeliveries}: use a whole number >= 1 (or Infinity for no dead-lettering)`);
  }
  if (!(redeliveryDelayMs >= 0 && Number.isFinite(redeliveryDelayMs))) {
    throw new ConfigError(`broker redeliveryDelayMs is ${redeliveryDelayMs}: use a finite number of ms >= 0`);
  }
  if (!(sessionTimeoutMs > 0 && Number.isFinite(sessionTimeoutMs))) {
    throw new ConfigError(`broker sessionTimeoutMs is ${sessionTimeoutMs}: use a finite number of ms > 0`);
  }
  if (!(appendTimeMs >= 0 && Number.isFinite(appendTimeMs))) throw new ConfigError(`broker appendTimeMs is ${appendTimeMs}: use a finite number of ms >= 0`);
  if (!(retentionMs > 0)) throw new ConfigError(`broker retentionMs is ${retentionMs}: use a number of ms > 0 (Infinity keeps everything)`);
  return resolved;
}

/**
 * A broker node for `world.addNode('broker', brokerNode({ … }))`. Serves `bus.publish`,
 * `bus.heartbeat` and `bus.lag`, and pushes messages to subscribers with `bus.deliver` calls.
 *
 * Delivery protocol: for each (topic, group, partition) one delivery is in flight at a time. The
 * message at the group's committed offset goes to the partition's owner as an RPC whose timeout is
 * `ackTimeoutMs`; a normal answer acks it (the offset moves on), an error or a timeout nacks it
 * (redelivered after `redeliveryDelayMs`, to whoever owns the partition then), and after
 * `maxDeliveries` counted attempts it is appended to `<topic>.dlq` and the offset moves on. So a
 * message is first handled successfully only after every earlier message of its partition was.
 */
export function brokerNode(options: BrokerOptions = {}): NodeFactory {
  const resolved = resolveBrokerOptions(options);
  return (ctx) => new Broker(ctx, resolved).service();
}

/** One incarnation of the broker: the durable log it reopened plus fresh volatile state. */
class Broker {
  private readonly log: BrokerLog;
  /** Every membership, in creation order (the order sweeps visit them in). */
  private readonly memberships = new Map<string, Membership>();
  /** The same memberships by topic, then group: found without building a key string per delivery. */
  private readonly membershipIndex = new Map<string, Map<string, Membership>>();
  /** The cursors (one per topic, group and partition) whose delivery loop is running. */
  private readonly pumps = new Set<Cursor>();
  private readonly sweepIntervalMs: number;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: ResolvedBrokerOptions,
  ) {
    this.log = openLog(ctx.durable);
    this.sweepIntervalMs = options.sessionTimeoutMs / 2;
  }

  service(): ServiceDefinition {
    return {
      handlers: {
        [BUS_METHODS.publish]: (payload: unknown, request: Request) => this.publish(payload, request),
        [BUS_METHODS.heartbeat]: (payload: unknown) => this.heartbeat(payload),
        [BUS_METHODS.lag]: () => lagOf(this.log),
      },
      // Members are volatile: after a restart they come back with their next heartbeat, and the
      // delivery loops restart from the durable cursors, redelivering whatever was not acked.
      onStart: () => {
        this.ctx.setTimer(this.sweepIntervalMs, () => this.sweep());
      },
    };
  }

  // ---- publishing --------------------------------------------------------------------------

  private async publish(payload: unknown, request: Request): Promise<PublishAck> {
    const message = parsePublish(payload);
    // The append is durable once this CPU time (the fsync) is spent; a crash before loses it.
    if (this.options.appendTimeMs > 0) await request.cpu(this.options.appendTimeMs);
    return this.append(message.topic, {
      id: message.id,
      key: message.key,
      payload: message.payload,
      publishedAtMs: this.ctx.now(),
      traceId: message.traceId,
      deadLetter: undefined,
    });
  }

  private append(topicName: string, message: StoredMessage): PublishAck {
    const topic = this.topic(topicName);
    const partition = partitionOf(message.key, topic.partitions.length);
    const log = topic.partitions[partition]!;
    const offset = log.baseOffset + log.messages.length;
    log.messages.push(message);
    this.ctx.emit('bus.publish', `${topicName}/${partition}@${offset} id=${message.id} key=${message.key}`);
    for (const group of topic.groups.keys()) this.kick(topicName, group, partition);
    this.trim(topic);
    return { id: message.id, topic: topicName, partition, offset };
  }

  // ---- membership --------------------------------------------------------------------------

  private heartbeat(payload: unknown): HeartbeatReply {
    const { member, subscriptions } = parseHeartbeat(payload);
    const now = this.ctx.now();
    const reply: HeartbeatReply = { assignments: [] };
    for (const subscription of subscriptions) {
      const membership = this.membership(subscription);
      const joined = !membership.members.has(member);
      membership.members.set(member, now);
      if (joined) {
        this.ctx.emit('bus.member-join', `${membership.topic} group=${membership.group}`, member);
        this.rebalance(membership);
      }
      const partitions: number[] = [];
      membership.owners.forEach((owner, partition) => {
        if (owner === member) partitions.push(partition);
      });
      reply.assignments.push({ topic: membership.topic, group: membership.group, partitions });
    }
    return reply;
  }

  /** The membership of a (topic, group), creating the topic and the group's cursors durably. */
  private membership(subscription: Subscription): Membership {
    const key = groupKey(subscription.topic, subscription.group);
    let membership = this.memberships.get(key);
    if (!membership) {
      const topic = this.topic(subscription.topic);
      if (!topic.groups.has(subscription.group)) {
        // A new group starts at the oldest message kept, so it sees what was published before it joined.
        topic.groups.set(
          subscription.group,
          topic.partitions.map((log) => ({ offset: log.baseOffset, attempts: 0, lastError: '' })),
        );
        this.ctx.emit('bus.group-created', `${subscription.topic} group=${subscription.group}`);
      }
      membership = { topic: subscription.topic, group: subscription.group, members: new Map(), owners: topic.partitions.map(() => undefined) };
      this.memberships.set(key, membership);
      let byGroup = this.membershipIndex.get(subscription.topic);
      if (byGroup === undefined) {
        byGroup = new Map();
        this.membershipIndex.set(subscription.topic, byGroup);
      }
      byGroup.set(subscription.group, membership);
    }
    return membership;
  }

  /** Drops members whose session expired, then looks again after half a session. */
  private sweep(): void {
    const cutoffMs = this.ctx.now() - this.options.sessionTimeoutMs;
    for (const membership of this.memberships.values()) {
      let changed = false;
      for (const [member, lastSeenMs] of membership.members) {
        if (lastSeenMs < cutoffMs) {
          membership.members.delete(member);
          this.ctx.emit('bus.member-leave', `${membership.topic} group=${membership.group} reason=session-expired`, member);
          changed = true;
        }
      }
      if (changed) this.rebalance(membership);
    }
    this.ctx.setTimer(this.sweepIntervalMs, () => this.sweep());
  }

  private removeMember(membership: Membership, member: string, reason: string): void {
    if (!membership.members.delete(member)) return;
    this.ctx.emit('bus.member-leave', `${membership.topic} group=${membership.group} reason=${reason}`, member);
    this.rebalance(membership);
  }

  /**
   * Assigns partitions to members round-robin over their sorted names (so the assignment depends
   * only on who is there, not on join order), then restarts idle delivery loops.
   */
  private rebalance(membership: Membership): void {
    const names = [...membership.members.keys()].sort();
    membership.owners = membership.owners.map((_, partition) => (names.length > 0 ? names[partition % names.length] : undefined));
    this.ctx.emit(
      'bus.rebalance',
      `${membership.topic} group=${membership.group} members=[${names.join(',')}] owners=[${membership.owners.map((owner) => owner ?? '-').join(',')}]`,
    );
    membership.owners.forEach((_, partition) => this.kick(membership.topic, membership.group, partition));
  }

  // ---- delivery ----------------------------------------------------------------------------

  /** Starts the delivery loop of a (topic, group, partition) if it is idle and has work. */
  private kick(topicName: string, group: string, partition: number): void {
    const topic = this.topic(topicName);
    const cursor = topic.groups.get(group)![partition]!;
    if (this.pumps.has(cursor)) return;
    if (cursor.offset >= endOffset(topic.partitions[partition]!)) return;
    if (this.owner(topicName, group, partition) === undefined) return;
    this.pumps.add(cursor);
    this.ctx.spawn(() => this.pump(topicName, group, partition, cursor));
  }

  private owner(topicName: string, group: string, partition: number): string | undefined {
    return this.membershipIndex.get(topicName)?.get(group)?.owners[partition];
  }

  /**
   * Delivers one partition's messages to one group, one at a time, until the group has caught up
   * or has no member. The cursor is durable, so a restarted broker resumes at the first unacked message.
   */
  private async pump(topicName: string, group: string, partition: number, pumped: Cursor): Promise<void> {
    try {
      for (;;) {
        const topic = this.topic(topicName);
        const log = topic.partitions[partition]!;
        const cursor = topic.groups.get(group)![partition]!;
        if (cursor.offset >= endOffset(log)) return;
        const member = this.owner(topicName, group, partition);
        if (member === undefined) return;
        const offset = cursor.offset;
        const message = log.messages[offset - log.baseOffset]!;
        // Counted before sending, durably: a crash mid-delivery still uses up the attempt.
        cursor.attempts++;
        const delivery: Delivery = {
          id: message.id,
          topic: topicName,
          group,
          key: message.key,
          partition,
          offset,
          attempt: cursor.attempts,
          publishedAtMs: message.publishedAtMs,
          payload: message.payload,
        };
        if (message.deadLetter) delivery.deadLetter = message.deadLetter;
        const where = `${topicName}/${partition}@${offset} group=${group} id=${message.id}`;
        this.ctx.emit(cursor.attempts === 1 ? 'bus.deliver' : 'bus.redeliver', `${where} attempt=${cursor.attempts}`, member);
        const failure = await this.deliver(member, delivery, message.traceId);
        if (failure === undefined) {
          cursor.offset++;
          cursor.attempts = 0;
          cursor.lastError = '';
          this.ctx.emit('bus.ack', where, member);
          this.trim(topic);
          continue;
        }
        if (NOT_DELIVERED.has(failure.code)) {
          // The handler never ran: not an attempt. A member that is down or not subscribed is
          // dropped until its next heartbeat; a shedding one is given time.
          cursor.attempts--;
          this.ctx.emit('bus.deliver-failed', `${where} code=${failure.code}`, member);
          if (failure.code === 'refused' || failure.code === 'not-found') {
            this.removeMember(this.membershipIndex.get(topicName)!.get(group)!, member, failure.code);
          } else {
            await this.ctx.sleep(this.options.redeliveryDelayMs);
          }
          continue;
        }
        cursor.lastError = failure.code;
        this.ctx.emit('bus.nack', `${where} attempt=${cursor.attempts} code=${failure.code}`, member);
        if (cursor.attempts >= this.options.maxDeliveries) {
          this.deadLetter(topicName, partition, group, cursor, message);
          continue;
        }
        await this.ctx.sleep(this.options.redeliveryDelayMs);
      }
    } finally {
      this.pumps.delete(pumped);
    }
  }

  /** One delivery call; resolves with undefined on ack, or the error that nacked it. */
  private async deliver(member: string, delivery: Delivery, traceId: string | undefined): Promise<RpcError | undefined> {
    try {
      const timeoutMs = this.options.ackTimeoutMs;
      await this.ctx.call(member, BUS_METHODS.deliver, delivery, traceId ? { timeoutMs, traceId } : { timeoutMs });
      return undefined;
    } catch (error) {
      return error instanceof RpcError ? error : new RpcError('application', errorMessage(error));
    }
  }

  /** Moves the message at the cursor to `<topic>.dlq` and the group past it, in one step. */
  private deadLetter(topicName: string, partition: number, group: string, cursor: Cursor, message: StoredMessage): void {
    const deadLetter: DeadLetterInfo = {
      topic: message.deadLetter?.topic ?? topicName,
      group,
      partition,
      offset: cursor.offset,
      deliveries: cursor.attempts,
      lastError: cursor.lastError,
    };
    this.ctx.emit('bus.dead-letter', `${topicName}/${partition}@${cursor.offset} group=${group} id=${message.id} deliveries=${cursor.attempts} error=${cursor.lastError}`);
    cursor.offset++;
    cursor.attempts = 0;
    cursor.lastError = '';
    this.append(deadLetterTopic(topicName), { ...message, publishedAtMs: this.ctx.now(), deadLetter });
  }

  // ---- the log -----------------------------------------------------------------------------

  /** A topic's durable log, created with `partitionsPerTopic` partitions on first use. */
  private topic(name: string): TopicLog {
    let topic = this.log.topics.get(name);
    if (!topic) {
      topic = { partitions: [], groups: new Map() };
      for (let partition = 0; partition < this.options.partitionsPerTopic; partition++) topic.partitions.push({ baseOffset: 0, messages: [] });
      this.log.topics.set(name, topic);
      this.ctx.emit('bus.topic-created', `${name} partitions=${this.options.partitionsPerTopic}`);
    }
    return topic;
  }

  /** Applies retention: drops the oldest messages that are old enough and acked by every group. */
  private trim(topic: TopicLog): void {
    if (this.options.retentionMs === Infinity) return;
    const horizonMs = this.ctx.now() - this.options.retentionMs;
    topic.partitions.forEach((log, partition) => {
      let ackedBelow = endOffset(log);
      for (const cursors of topic.groups.values()) ackedBelow = Math.min(ackedBelow, cursors[partition]!.offset);
      let count = 0;
      while (count < log.messages.length && log.baseOffset + count < ackedBelow && log.messages[count]!.publishedAtMs <= horizonMs) count++;
      if (count === 0) return;
      log.messages.splice(0, count);
      log.baseOffset += count;
    });
  }
}

function groupKey(topic: string, group: string): string {
  return `${topic}\u0000${group}`;
}

// ---- validating what arrives over the network ---------------------------------------------------

function parsePublish(payload: unknown): { topic: string; key: string; id: string; payload: unknown; traceId: string | undefined } {
  const body = payload as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null || !isName(body.topic) || typeof body.key !== 'string' || !isName(body.id)) {
    throw new RpcError('bad-request', 'bus.publish needs { topic, key, id, payload } with a non-empty topic and id and a string key');
  }
  return { topic: body.topic, key: body.key, id: body.id, payload: body.payload, traceId: typeof body.traceId === 'string' ? body.traceId : undefined };
}

function parseHeartbeat(payload: unknown): { member: string; subscriptions: Subscription[] } {
  const body = payload as Record<string, unknown> | null;
  const subscriptions = body?.subscriptions;
  if (
    typeof body !== 'object' ||
    body === null ||
    !isName(body.member) ||
    !Array.isArray(subscriptions) ||
    !subscriptions.every((entry: Record<string, unknown> | null) => typeof entry === 'object' && entry !== null && isName(entry.topic) && isName(entry.group))
  ) {
    throw new RpcError('bad-request', 'bus.heartbeat needs { member, subscriptions: [{ topic, group }] } with non-empty names');
  }
  return { member: body.member, subscriptions: subscriptions as Subscription[] };
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
