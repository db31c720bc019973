// CQRS read models: a projection on its own node pulls the event store's global log over RPC,
// applies it to its own database, and its lag and the stale reads it serves are measured.
import type { NodeContext } from '../../sim/world/context.ts';
import type { Handler } from '../../sim/world/node.ts';
import { ConfigError, errorMessage } from '../../sim/engine/errors.ts';
import { LatencyHistogram, type LatencySummary } from '../../sim/harness/metrics.ts';
import type { Database, Transaction } from './database.ts';
import type { EventStore, StoredEvent } from './eventstore.ts';

/** RPC method of the event feed that `serveEventFeed` answers and projections call. */
export const EVENT_FEED_METHOD = 'events.read';

/** A feed request: the next global position wanted and how many events at most. */
export interface FeedRequest {
  fromPosition: number;
  maxCount: number;
}

/** A feed answer: events in global order from the requested position (none if caught up). */
export interface FeedBatch<E> {
  events: StoredEvent<E>[];
}

/**
 * Handlers that serve an event store's global log to projections on other nodes; merge them into
 * the store node's service definition. Only events on disk are served, so a read model never
 * holds an event that a crash of the store takes back.
 */
export function serveEventFeed<E>(store: EventStore<E>, options: { maxBatch?: number } = {}): Record<string, Handler> {
  const maxBatch = options.maxBatch ?? 500;
  if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) throw new ConfigError(`event feed: maxBatch is ${maxBatch}; use a whole number >= 1`);
  return {
    [EVENT_FEED_METHOD]: async (request: FeedRequest): Promise<FeedBatch<E>> => {
      const maxCount = Math.min(maxBatch, Math.max(1, Math.floor(request.maxCount)));
      return { events: await store.readAll({ fromPosition: request.fromPosition, maxCount, durableOnly: true }) };
    },
  };
}

/** Figures a projection reports, for a scenario's `metrics()`. */
export interface ProjectionFigures {
  /** Events applied to the read model (re-applications after a lost commit count again). */
  applied: number;
  /** Feed calls that failed (timeout, refused…). */
  pollFailures: number;
  /** Lag measurements that came out negative (clock skew between the nodes) and were counted as 0. */
  negativeLags: number;
  /** Read-model lag: from append (store clock) to applied in the read model (projection clock), in ms. */
  lagMs: LatencySummary;
}

/**
 * Measurements of one projection, kept outside the node (build it in the variant's `build` and
 * pass it to the factory) so they survive the node's crashes. Memory is bounded (HDR histogram).
 */
export class ProjectionMetrics {
  readonly lag = new LatencyHistogram();
  applied = 0;
  pollFailures = 0;
  negativeLags = 0;

  /** Records one applied event's lag. */
  recordLag(lagMs: number): void {
    this.applied++;
    if (lagMs < 0) {
      this.negativeLags++;
      lagMs = 0;
    }
    this.lag.record(lagMs);
  }

  /** The figures for a report. */
  figures(): ProjectionFigures {
    return { applied: this.applied, pollFailures: this.pollFailures, negativeLags: this.negativeLags, lagMs: this.lag.summary() };
  }
}

/** Projection settings. */
export interface ProjectionOptions<E> {
  /** Names the projection's checkpoint row and its trace events. */
  name: string;
  /** Node serving the event feed. */
  source: string;
  /** Feed method. Default {@link EVENT_FEED_METHOD}. */
  method?: string;
  /** Wait between polls once caught up, and after a failed poll. Default 50 ms. */
  pollIntervalMs?: number;
  /** Events asked for per poll. Default 100. */
  batchSize?: number;
  /** Timeout of each feed call. Default: the node's. */
  timeoutMs?: number;
  /** Updates the read model for one event, inside the transaction that also moves the checkpoint. */
  apply(tx: Transaction, stored: StoredEvent<E>): void | Promise<void>;
  metrics?: ProjectionMetrics;
}

/** Table of projection checkpoints in the read model's database. */
export const CHECKPOINT_TABLE = 'projection.checkpoints';

interface CheckpointRow {
  nextPosition: number;
}

/**
 * A running projection. It polls the feed, applies each batch and its checkpoint in one
 * transaction of the read model's database (so an event is applied once per committed
 * checkpoint, and a restart resumes from the checkpoint on disk), then polls again at once if
 * the batch was full, else after `pollIntervalMs`. Lag is therefore up to one poll interval plus
 * a round trip plus the I/O.
 */
export class Projection<E> {
  private stopped = false;
  private next = 0;

  constructor(
    private readonly ctx: NodeContext,
    private readonly db: Database,
    private readonly options: ProjectionOptions<E> & { pollIntervalMs: number; batchSize: number; method: string },
  ) {}

  /** The next global position the projection will ask for (0 before it has read its checkpoint). */
  get nextPosition(): number {
    return this.next;
  }

  /** Stops polling after the current step (for a graceful shutdown). */
  stop(): void {
    this.stopped = true;
  }

  /** @internal The poll loop. */
  async run(): Promise<void> {
    const { ctx, db, options } = this;
    const metrics = options.metrics;
    this.next = (await db.get<CheckpointRow>(CHECKPOINT_TABLE, options.name))?.nextPosition ?? 1;
    ctx.emit('projection.start', `${options.name} from ${this.next}`);
    while (!this.stopped) {
      let batch: FeedBatch<E>;
      try {
        const request: FeedRequest = { fromPosition: this.next, maxCount: options.batchSize };
        batch = await ctx.call<FeedBatch<E>>(options.source, options.method, request, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
      } catch (error) {
        if (metrics) metrics.pollFailures++;
        ctx.emit('projection.poll-failed', `${options.name}: ${errorMessage(error)}`);
        await ctx.sleep(options.pollIntervalMs, { daemon: true });
        continue;
      }
      // A duplicated or late answer may repeat positions already applied: skip them.
      const events = batch.events.filter((stored) => stored.position >= this.next);
      if (events.length > 0) {
        const last = events[events.length - 1];
        await db.transaction(async (tx) => {
          for (const stored of events) await options.apply(tx, stored);
          tx.put(CHECKPOINT_TABLE, options.name, { nextPosition: last.position + 1 } satisfies CheckpointRow);
        });
        const appliedAtMs = ctx.now();
        if (metrics) for (const stored of events) metrics.recordLag(appliedAtMs - stored.appendedAtMs);
        ctx.emit('projection.applied', `${options.name} ${events[0].position}..${last.position}`);
        this.next = last.position + 1;
      }
      // Idle polling is background work: it must not keep a finished run alive.
      if (batch.events.length < options.batchSize) await ctx.sleep(options.pollIntervalMs, { daemon: true });
    }
  }
}

/**
 * Starts a projection on the node of `ctx` into `db` (the read model's own database, on that
 * node). Call it from the node factory so it restarts with the node.
 */
export function startProjection<E>(ctx: NodeContext, db: Database, options: ProjectionOptions<E>): Projection<E> {
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  const batchSize = options.batchSize ?? 100;
  if (!(pollIntervalMs > 0 && Number.isFinite(pollIntervalMs))) {
    throw new ConfigError(`projection ${options.name}: pollIntervalMs is ${pollIntervalMs}; use a finite number of ms > 0`);
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new ConfigError(`projection ${options.name}: batchSize is ${batchSize}; use a whole number >= 1`);
  }
  if (db.nodeName !== ctx.name) {
    throw new ConfigError(`projection ${options.name} on ${ctx.name} cannot write database '${db.name}' of ${db.nodeName}: give the read model its own database`);
  }
  const projection = new Projection<E>(ctx, db, { ...options, pollIntervalMs, batchSize, method: options.method ?? EVENT_FEED_METHOD });
  ctx.spawn(() => projection.run());
  return projection;
}

/** What `beginRead` remembers: the write the read must not miss. */
export interface ReadToken {
  key: string;
  /** Latest version acknowledged to a writer when the read began (0 if none). */
  ackedVersion: number;
  /** True virtual time that version was acknowledged. */
  ackedAtMs: number;
}

/** Stale-read figures, for a scenario's `metrics()`. */
export interface StaleReadFigures {
  reads: number;
  staleReads: number;
  /** staleReads / reads (0 when no reads). */
  staleRatio: number;
  /** For stale reads: ms from the acknowledgement of the missed write to the end of the read. */
  staleForMs: LatencySummary;
}

/**
 * Detects stale reads from outside the services: a scenario tells it which version of each key
 * a writer was acknowledged, and which version each read returned. A read is stale when it
 * returns an older version than one acknowledged before the read began. `clock` is true virtual
 * time (`() => world.nowMs`).
 */
export class StaleReadTracker {
  private readonly acknowledged = new Map<string, { version: number; atMs: number }>();
  private readonly staleFor = new LatencyHistogram();
  reads = 0;
  staleReads = 0;

  constructor(private readonly clock: () => number) {}

  /** A writer was told that `key` is now at `version`. */
  acknowledge(key: string, version: number): void {
    const current = this.acknowledged.get(key);
    if (current === undefined || version > current.version) this.acknowledged.set(key, { version, atMs: this.clock() });
  }

  /** A read of `key` starts: remembers what it must not miss. */
  beginRead(key: string): ReadToken {
    const current = this.acknowledged.get(key);
    return { key, ackedVersion: current?.version ?? 0, ackedAtMs: current?.atMs ?? 0 };
  }

  /** The read returned `seenVersion` (0 for "not found"); true if it was stale. */
  endRead(token: ReadToken, seenVersion: number): boolean {
    this.reads++;
    if (seenVersion >= token.ackedVersion) return false;
    this.staleReads++;
    this.staleFor.record(Math.max(0, this.clock() - token.ackedAtMs));
    return true;
  }

  /** The figures for a report. */
  figures(): StaleReadFigures {
    return {
      reads: this.reads,
      staleReads: this.staleReads,
      staleRatio: this.reads === 0 ? 0 : this.staleReads / this.reads,
      staleForMs: this.staleFor.summary(),
    };
  }
}
