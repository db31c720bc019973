// Event sourcing: streams of immutable events in a service's database, appended with optimistic
// concurrency, replayed through a reducer (from a snapshot when there is one, or as of a time).
import { ConfigError, RpcError, registerErrorCode } from '../../sim/engine/errors.ts';
import type { Database, Transaction } from './database.ts';

// A write lost an optimistic-concurrency race (expected version mismatch).
declare module '../../sim/engine/errors.ts' {
  interface RpcErrorCodes { 'conflict': true; }
}
registerErrorCode('conflict');

/** An event as stored: the caller's event plus where and when it was appended. */
export interface StoredEvent<E> {
  streamId: string;
  /** Position in its stream: 1, 2, 3… */
  version: number;
  /** Position in the store's global log, across streams: 1, 2, 3… */
  position: number;
  /**
   * Store node clock (ms) at append, made non-decreasing along the global log (a clock stepping
   * back reuses the last time), so "as of t" is always a prefix of each stream.
   */
  appendedAtMs: number;
  event: E;
}

/** `expectedVersion` of an append: the stream's current version (0 = new stream), or `'any'` to skip the check. */
export type ExpectedVersion = number | 'any';

/** What an append did. */
export interface AppendResult<E> {
  streamId: string;
  /** Stream version after the append. */
  version: number;
  /** The events as stored. */
  events: StoredEvent<E>[];
}

/**
 * Rebuilds a state from events. `apply` must not mutate its input state (return a new one), and
 * states must be plain data (snapshots are stored as structured clones).
 */
export interface Reducer<S, E> {
  /** Names the snapshots of this reducer (letters, digits, _ . : -). */
  name: string;
  initial(): S;
  apply(state: S, event: E, stored: StoredEvent<E>): S;
}

/** A state rebuilt from a stream. */
export interface LoadedState<S> {
  state: S;
  /** Version of the last event folded in (0 if none). */
  version: number;
  /** Version of the snapshot it started from (0 if it replayed from the start). */
  snapshotVersion: number;
}

/** Event store settings. */
export interface EventStoreOptions {
  /** Prefix of the store's tables in the database. Default `es`. */
  prefix?: string;
  /** `load` saves a snapshot when it folded at least this many events past the last one. Default: no snapshots. */
  snapshotEvery?: number;
}

/**
 * An append found the stream at another version than expected: someone else appended since the
 * caller read it. Reload and decide again. An operating error (code `conflict` on the wire).
 */
export class ConcurrencyError extends RpcError {
  override name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super('conflict', `stream ${streamId} is at version ${actualVersion}, expected ${expectedVersion}`);
  }
}

/** Type guard for ConcurrencyError. */
export function isConcurrencyError(error: unknown): error is ConcurrencyError {
  return error instanceof ConcurrencyError;
}

interface StreamRow {
  version: number;
}

interface HeadRow {
  position: number;
  lastAppendedAtMs: number;
}

interface LogRow {
  streamId: string;
  version: number;
  /** Commit that wrote it; events above the database's synced LSN may still be lost. */
  lsn: number;
}

interface SnapshotRow<S> {
  version: number;
  state: S;
}

/** Width of zero-padded versions and positions, so key order is numeric order. */
const NUMBER_DIGITS = 12;

/**
 * The event store of one service, kept in its database (so durability follows the database's
 * sync policy, and appends can share a transaction with other writes such as an outbox row).
 */
export class EventStore<E> {
  private readonly streams: string;
  private readonly events: string;
  private readonly log: string;
  private readonly meta: string;
  private readonly snapshots: string;
  readonly snapshotEvery: number | undefined;

  constructor(
    readonly db: Database,
    options: EventStoreOptions = {},
  ) {
    const prefix = options.prefix ?? 'es';
    this.streams = `${prefix}.streams`;
    this.events = `${prefix}.events`;
    this.log = `${prefix}.log`;
    this.meta = `${prefix}.meta`;
    this.snapshots = `${prefix}.snapshots`;
    this.snapshotEvery = options.snapshotEvery;
    if (this.snapshotEvery !== undefined && !(Number.isInteger(this.snapshotEvery) && this.snapshotEvery >= 1)) {
      throw new ConfigError(`event store ${prefix}: snapshotEvery is ${this.snapshotEvery}; use a whole number >= 1, or leave it out for no snapshots`);
    }
  }

  /**
   * Appends `events` to a stream in one transaction. Rejects with ConcurrencyError if the stream
   * is not at `expectedVersion`; nothing is written then.
   */
  async append(streamId: string, events: readonly E[], options: { expectedVersion: ExpectedVersion }): Promise<AppendResult<E>> {
    const result = await this.db.transaction((tx) => this.appendIn(tx, streamId, events, options));
    if (result.events.length > 0) {
      const first = result.events[0];
      this.db.emit('eventstore.append', `${streamId} v${first.version}..${result.version} @${first.position}`);
    }
    return result;
  }

  /** Appends inside a caller's transaction (with a state change, an outbox row…). Same rules as `append`. */
  async appendIn(tx: Transaction, streamId: string, events: readonly E[], options: { expectedVersion: ExpectedVersion }): Promise<AppendResult<E>> {
    checkStreamId(streamId);
    const current = (await tx.get<StreamRow>(this.streams, streamId))?.version ?? 0;
    const expected = options.expectedVersion;
    if (expected !== 'any' && expected !== current) {
      this.db.emit('eventstore.conflict', `${streamId} expected v${expected} at v${current}`);
      throw new ConcurrencyError(streamId, expected, current);
    }
    if (events.length === 0) return { streamId, version: current, events: [] };
    const head = (await tx.get<HeadRow>(this.meta, 'head')) ?? { position: 0, lastAppendedAtMs: -Infinity };
    const appendedAtMs = Math.max(this.db.clockMs(), head.lastAppendedAtMs);
    const stored: StoredEvent<E>[] = [];
    for (let i = 0; i < events.length; i++) {
      const record: StoredEvent<E> = { streamId, version: current + 1 + i, position: head.position + 1 + i, appendedAtMs, event: events[i] };
      tx.put(this.events, eventKey(streamId, record.version), record);
      tx.put(this.log, pad(record.position), { streamId, version: record.version, lsn: tx.lsn } satisfies LogRow);
      stored.push(record);
    }
    const last = stored[stored.length - 1];
    tx.put(this.streams, streamId, { version: last.version } satisfies StreamRow);
    tx.put(this.meta, 'head', { position: last.position, lastAppendedAtMs: appendedAtMs } satisfies HeadRow);
    return { streamId, version: last.version, events: structuredClone(stored) };
  }

  /** A stream's current version (0 if it has no events). */
  async version(streamId: string): Promise<number> {
    return (await this.db.get<StreamRow>(this.streams, streamId))?.version ?? 0;
  }

  /** A stream's events from `fromVersion` (default 1), at most `maxCount`, in order. */
  async read(streamId: string, options: { fromVersion?: number; maxCount?: number } = {}): Promise<StoredEvent<E>[]> {
    checkStreamId(streamId);
    const rows = await this.db.scan<StoredEvent<E>>(this.events, {
      prefix: `${streamId}#`,
      startKey: eventKey(streamId, Math.max(1, options.fromVersion ?? 1)),
      ...(options.maxCount !== undefined ? { limit: options.maxCount } : {}),
    });
    return rows.map((row) => row.value);
  }

  /**
   * Events of every stream in global order from `fromPosition` (default 1), at most `maxCount`:
   * the catch-up feed of projections. With `durableOnly`, stops before the first event whose
   * commit is not yet on disk, so a reader never sees an event a crash could take back.
   */
  async readAll(options: { fromPosition?: number; maxCount?: number; durableOnly?: boolean } = {}): Promise<StoredEvent<E>[]> {
    const entries = await this.db.scan<LogRow>(this.log, {
      startKey: pad(Math.max(1, options.fromPosition ?? 1)),
      ...(options.maxCount !== undefined ? { limit: options.maxCount } : {}),
    });
    const syncedLsn = this.db.syncedLsn;
    const result: StoredEvent<E>[] = [];
    for (const { value: entry } of entries) {
      if (options.durableOnly && entry.lsn > syncedLsn) break;
      const event = await this.db.get<StoredEvent<E>>(this.events, eventKey(entry.streamId, entry.version));
      if (event === undefined) break; // lost by a crash between the two reads: stop at the gap
      result.push(event);
    }
    return result;
  }

  /** Position of the last event in the global log (0 if none), from committed state. */
  async headPosition(): Promise<number> {
    return (await this.db.get<HeadRow>(this.meta, 'head'))?.position ?? 0;
  }

  /** Folds a whole stream from its first event, ignoring snapshots; `asOfMs` stops at the first event appended later. */
  async replay<S>(streamId: string, reducer: Reducer<S, E>, options: { asOfMs?: number } = {}): Promise<LoadedState<S>> {
    const events = await this.read(streamId);
    return fold(reducer, { state: reducer.initial(), version: 0, snapshotVersion: 0 }, events, options.asOfMs);
  }

  /**
   * Rebuilds a stream's state: from the latest snapshot of `reducer` when it is usable (not past
   * `asOfMs`), then the events after it. Saves a new snapshot when it folded `snapshotEvery`
   * events or more past the last one (never for an `asOfMs` load).
   */
  async load<S>(streamId: string, reducer: Reducer<S, E>, options: { asOfMs?: number } = {}): Promise<LoadedState<S>> {
    checkReducerName(reducer.name);
    const snapshotTable = `${this.snapshots}.${reducer.name}`;
    let start: LoadedState<S> = { state: reducer.initial(), version: 0, snapshotVersion: 0 };
    if (this.snapshotEvery !== undefined) {
      const snapshot = await this.db.get<SnapshotRow<S> & { appendedAtMs: number }>(snapshotTable, streamId);
      if (snapshot !== undefined && (options.asOfMs === undefined || snapshot.appendedAtMs <= options.asOfMs)) {
        start = { state: snapshot.state, version: snapshot.version, snapshotVersion: snapshot.version };
      }
    }
    const events = await this.read(streamId, { fromVersion: start.version + 1 });
    const loaded = fold(reducer, start, events, options.asOfMs);
    const every = this.snapshotEvery;
    if (every !== undefined && options.asOfMs === undefined && loaded.version - start.version >= every) {
      const last = events[loaded.version - start.version - 1];
      await this.db.transaction(async (tx) => {
        const existing = await tx.get<SnapshotRow<S>>(snapshotTable, streamId);
        // A concurrent load may have saved a newer one meanwhile: keep the newest.
        if (existing !== undefined && existing.version >= loaded.version) return;
        tx.put(snapshotTable, streamId, { version: loaded.version, state: loaded.state, appendedAtMs: last.appendedAtMs });
      });
      this.db.emit('eventstore.snapshot', `${streamId} ${reducer.name} v${loaded.version}`);
    }
    return loaded;
  }
}

function fold<S, E>(reducer: Reducer<S, E>, start: LoadedState<S>, events: readonly StoredEvent<E>[], asOfMs: number | undefined): LoadedState<S> {
  let state = start.state;
  let version = start.version;
  for (const stored of events) {
    if (asOfMs !== undefined && stored.appendedAtMs > asOfMs) break;
    state = reducer.apply(state, stored.event, stored);
    version = stored.version;
  }
  return { state, version, snapshotVersion: start.snapshotVersion };
}

function checkStreamId(streamId: string): void {
  if (streamId.length === 0 || streamId.includes('#')) {
    throw new RpcError('bad-request', `stream id '${streamId}' is invalid: use a non-empty id without '#'`);
  }
}

function checkReducerName(name: string): void {
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) {
    throw new ConfigError(`reducer name '${name}' is invalid: use letters, digits and _ . : - only`);
  }
}

function pad(n: number): string {
  return String(n).padStart(NUMBER_DIGITS, '0');
}

function eventKey(streamId: string, version: number): string {
  return `${streamId}#${pad(version)}`;
}
