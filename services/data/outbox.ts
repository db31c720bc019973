// The transactional outbox: a state change and the event announcing it commit in one local
// transaction; a relay on the same node publishes outbox rows in order, at least once.
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, errorMessage } from '../../sim/engine/errors.ts';
import { copyRow, putOwned, type Database, type Transaction } from './database.ts';

/** One outbox row: the event as written, plus what the relay needs. */
export interface OutboxMessage {
  /** Deterministic message id (`node/database/table/seq`); every republish carries the same one, so consumers dedup by it. */
  id: string;
  /** Position in this outbox: 1, 2, 3… with no gaps. */
  seq: number;
  topic: string;
  key: string;
  event: unknown;
  /** Commit that wrote the row; the relay waits until it is on disk. */
  lsn: number;
  /** Node clock when the row was written, in ms. */
  createdAtMs: number;
  /** Node clock when the relay marked it sent, in ms. */
  sentAtMs?: number;
}

/**
 * Publishes one event: the bus client's `publish` (services/messaging/bus-client.ts) fits as is, or a fake in
 * tests. It resolves once the broker has the event and rejects if that is not known; `options.id`
 * is the outbox message id, which the bus carries to consumers for deduplication.
 */
export type PublishFn = (topic: string, key: string, event: unknown, options: { id: string }) => Promise<unknown>;

/** Outbox settings. */
export interface OutboxOptions {
  /** Table of the outbox rows; its positions live in `<table>.positions`. Default `outbox`. */
  table?: string;
  /** Sent rows kept behind the relay for inspection; older ones are deleted. Default 100. */
  retainSent?: number;
}

/** Relay settings. */
export interface OutboxRelayOptions {
  publish: PublishFn;
  /** Wait after a failed publish before trying the same row again. Default 50 ms. */
  retryDelayMs?: number;
}

/** Counters of one relay incarnation. */
export interface OutboxRelayStats {
  published: number;
  publishFailures: number;
}

interface HeadRow {
  nextSeq: number;
}

interface CursorRow {
  nextToSend: number;
}

/** Width of zero-padded sequence keys, so key order is sequence order. */
const SEQ_DIGITS = 12;

/** An outbox table in a service's database. Write to it with `add` inside the transaction of the state change. */
export class Outbox {
  readonly table: string;
  readonly retainSent: number;
  private readonly positions: string;

  constructor(
    readonly db: Database,
    options: OutboxOptions = {},
  ) {
    this.table = options.table ?? 'outbox';
    this.positions = `${this.table}.positions`;
    this.retainSent = options.retainSent ?? 100;
    if (!(Number.isInteger(this.retainSent) && this.retainSent >= 0)) {
      throw new ConfigError(`outbox ${this.table}: retainSent is ${this.retainSent}; use a whole number >= 0`);
    }
  }

  /**
   * Adds an event to the outbox inside `tx`: it is published only if `tx` commits. Returns the
   * message id it will carry.
   */
  async add(tx: Transaction, topic: string, key: string, event: unknown): Promise<string> {
    const head = (await tx.getFrozen<HeadRow>(this.positions, 'head')) ?? { nextSeq: 1 };
    const seq = head.nextSeq;
    const id = `${this.db.nodeName}/${this.db.name}/${this.table}/${seq}`;
    // The row is built here and the event copied into it, so the transaction need not copy it again.
    const message: OutboxMessage = { id, seq, topic, key, event: copyRow(event), lsn: tx.lsn, createdAtMs: this.db.clockMs() };
    putOwned(tx, this.table, seqKey(seq), message);
    putOwned(tx, this.positions, 'head', { nextSeq: seq + 1 } satisfies HeadRow);
    return id;
  }

  /** The committed row at `seq`, if still kept (for tests and checkers). */
  peek(seq: number): OutboxMessage | undefined {
    return this.db.peek<OutboxMessage>(this.table, seqKey(seq));
  }

  /** Rows written but not yet marked sent, from committed state (for checkers). */
  pendingCount(): number {
    const head = this.db.peek<HeadRow>(this.positions, 'head')?.nextSeq ?? 1;
    const cursor = this.db.peek<CursorRow>(this.positions, 'cursor')?.nextToSend ?? 1;
    return head - cursor;
  }

  /** @internal */
  get positionsTable(): string {
    return this.positions;
  }
}

/**
 * Publishes an outbox's rows in sequence order from a background process on the database's node,
 * and marks each sent in its own transaction. A row is published only once its commit is on disk
 * (so a crash can never take back an event already out), and after a crash the relay resumes
 * from the last mark on disk: at least once, never out of order.
 */
export class OutboxRelay {
  readonly stats: OutboxRelayStats = { published: 0, publishFailures: 0 };
  private changes = 0;
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly unwatch: () => void;

  constructor(
    private readonly ctx: NodeContext,
    private readonly outbox: Outbox,
    private readonly options: Required<OutboxRelayOptions>,
  ) {
    this.unwatch = outbox.db.watch(() => {
      this.changes++;
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    });
  }

  /** Stops after the row in progress (for a graceful shutdown). */
  stop(): void {
    this.stopped = true;
    this.unwatch();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** @internal The relay loop. */
  async run(): Promise<void> {
    const { db, table, positionsTable } = this.outbox;
    let cursor = (await db.get<CursorRow>(positionsTable, 'cursor'))?.nextToSend ?? 1;
    this.ctx.emit('outbox.relay-start', `${table} from ${cursor}`);
    while (!this.stopped) {
      const changesBefore = this.changes;
      // The stored row itself, neither copied nor frozen: the publish gets a copy of the event, and
      // the sent mark below replaces the row with one that shares its (never changed) parts.
      const key = seqKey(cursor);
      const message = await db.getShared<OutboxMessage>(table, key);
      if (message === undefined || message.lsn > db.syncedLsn) {
        // Nothing publishable: sleep until a commit or a sync, unless one happened during the read.
        if (this.changes === changesBefore) await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      try {
        await this.options.publish(message.topic, message.key, copyRow(message.event), { id: message.id });
      } catch (error) {
        this.ctx.reportCaught(error, 'outbox publish');
        this.stats.publishFailures++;
        this.ctx.emit('outbox.publish-failed', `${message.id}: ${errorMessage(error)}`);
        await this.ctx.sleep(this.options.retryDelayMs);
        continue;
      }
      const sent = cursor;
      await db.transaction((tx) => {
        // Assign, not `{ ...message, sentAtMs }`: a spread object gaining a field leaves V8's fast path.
        const sentRow: OutboxMessage = Object.assign({}, message);
        sentRow.sentAtMs = db.clockMs();
        putOwned(tx, table, key, sentRow);
        putOwned(tx, positionsTable, 'cursor', { nextToSend: sent + 1 } satisfies CursorRow);
        const expired = sent - this.outbox.retainSent;
        if (expired >= 1) tx.delete(table, seqKey(expired));
      });
      this.stats.published++;
      this.ctx.emit('outbox.published', `${message.id} ${message.topic}`);
      cursor = sent + 1;
    }
  }
}

/**
 * Starts the relay of `outbox` on the node of `ctx` (call it from the node factory, so it restarts
 * with the node). The outbox's database must be open on the same node.
 */
export function startOutboxRelay(ctx: NodeContext, outbox: Outbox, options: OutboxRelayOptions): OutboxRelay {
  if (outbox.db.nodeName !== ctx.name) {
    throw new ConfigError(`outbox relay on ${ctx.name} cannot read database '${outbox.db.name}' of ${outbox.db.nodeName}: start the relay on the node that owns it`);
  }
  const retryDelayMs = options.retryDelayMs ?? 50;
  if (!(retryDelayMs > 0 && Number.isFinite(retryDelayMs))) {
    throw new ConfigError(`outbox relay on ${ctx.name}: retryDelayMs is ${retryDelayMs}; use a finite number of ms > 0`);
  }
  const relay = new OutboxRelay(ctx, outbox, { publish: options.publish, retryDelayMs });
  ctx.spawn(() => relay.run());
  return relay;
}

function seqKey(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}
