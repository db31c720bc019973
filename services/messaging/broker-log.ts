// The broker's durable log: its layout in `ctx.durable` (topics, partitions, committed cursors) and
// read-only accessors that scenarios, checks and tests use from outside the broker.
import type { DeadLetterInfo, LagEntry } from './bus.ts';

/** The key of the broker's log in `ctx.durable`. */
export const BROKER_LOG_KEY = 'bus:log';

/** One message as the log keeps it. */
export interface StoredMessage {
  id: string;
  key: string;
  payload: unknown;
  publishedAtMs: number;
  traceId: string | undefined;
  deadLetter: DeadLetterInfo | undefined;
}

/** One partition: the messages from `baseOffset` on (older ones were removed by retention). */
export interface PartitionLog {
  baseOffset: number;
  messages: StoredMessage[];
}

/** A group's position in one partition: the next offset to ack, and attempts made on it. */
export interface Cursor {
  offset: number;
  attempts: number;
  lastError: string;
}

/** One topic: its partitions and every group's cursors. */
export interface TopicLog {
  partitions: PartitionLog[];
  /** Committed cursors of each group, one per partition. */
  groups: Map<string, Cursor[]>;
}

/** Everything the broker keeps durably. Volatile state (members, pumps) is rebuilt on restart. */
export interface BrokerLog {
  topics: Map<string, TopicLog>;
}

// ---- reading the durable state from outside (scenario metrics, checks, tests) -----------------

/** One retained message of a topic, as `topicMessages` reports it. */
export interface LoggedMessage {
  partition: number;
  offset: number;
  id: string;
  key: string;
  payload: unknown;
  publishedAtMs: number;
  deadLetter?: DeadLetterInfo;
}

/**
 * Consumer lag of `group` on `topic`, read from a broker's durable state
 * (`world.node('broker').durable`): messages published but neither acked nor dead-lettered by the
 * group. A group the broker has not seen yet has consumed nothing, so its lag is every message kept.
 */
export function consumerLag(durable: ReadonlyMap<string, unknown>, topic: string, group: string): number {
  const log = readLog(durable)?.topics.get(topic);
  if (!log) return 0;
  const cursors = log.groups.get(group);
  let lag = 0;
  log.partitions.forEach((partitionLog, partition) => {
    lag += endOffset(partitionLog) - (cursors ? cursors[partition]!.offset : partitionLog.baseOffset);
  });
  return lag;
}

/** Consumer lag of every group on every topic, in the order topics and groups were created. */
export function lagReport(durable: ReadonlyMap<string, unknown>): LagEntry[] {
  const log = readLog(durable);
  return log ? lagOf(log) : [];
}

/** Messages ever appended to `topic` (its end offsets summed; retention does not lower it). */
export function publishedCount(durable: ReadonlyMap<string, unknown>, topic: string): number {
  const log = readLog(durable)?.topics.get(topic);
  let count = 0;
  for (const partitionLog of log?.partitions ?? []) count += endOffset(partitionLog);
  return count;
}

/** The messages `topic` still holds, partition by partition in offset order (copies of the metadata). */
export function topicMessages(durable: ReadonlyMap<string, unknown>, topic: string): LoggedMessage[] {
  const log = readLog(durable)?.topics.get(topic);
  const out: LoggedMessage[] = [];
  log?.partitions.forEach((partitionLog, partition) => {
    partitionLog.messages.forEach((message, index) => {
      out.push({
        partition,
        offset: partitionLog.baseOffset + index,
        id: message.id,
        key: message.key,
        payload: message.payload,
        publishedAtMs: message.publishedAtMs,
        ...(message.deadLetter ? { deadLetter: message.deadLetter } : {}),
      });
    });
  });
  return out;
}

/** Lag of every group of a log (the broker's `bus.lag` answer). */
export function lagOf(log: BrokerLog): LagEntry[] {
  const entries: LagEntry[] = [];
  for (const [topic, topicLog] of log.topics) {
    for (const [group, cursors] of topicLog.groups) {
      const partitionLag = topicLog.partitions.map((partitionLog, partition) => endOffset(partitionLog) - cursors[partition]!.offset);
      entries.push({ topic, group, lag: partitionLag.reduce((sum, value) => sum + value, 0), partitionLag });
    }
  }
  return entries;
}

/** The log a durable store holds, if any. */
export function readLog(durable: ReadonlyMap<string, unknown>): BrokerLog | undefined {
  return durable.get(BROKER_LOG_KEY) as BrokerLog | undefined;
}

/** The log of a durable store, created empty on first use. */
export function openLog(durable: Map<string, unknown>): BrokerLog {
  let log = readLog(durable);
  if (!log) {
    log = { topics: new Map() };
    durable.set(BROKER_LOG_KEY, log);
  }
  return log;
}

/** The offset the next message of a partition gets. */
export function endOffset(log: PartitionLog): number {
  return log.baseOffset + log.messages.length;
}
