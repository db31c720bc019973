// A database per service: tables of rows keyed by string, serialized local transactions, simulated
// I/O cost, and durability by sync policy (unsynced commits are lost on a crash). One service owns it.
import type { TraceKind } from '../../sim/engine/trace-kinds.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, errorMessage } from '../../sim/engine/errors.ts';

/**
 * When committed writes reach the node's disk (`ctx.durable`).
 * - `'always'`: every commit is synced before it is acknowledged (pays `syncMs`); nothing is lost.
 * - `{ everyMs }`: commits are acknowledged at once and synced in a batch at most `everyMs` after
 *   the first unsynced one (group commit); a crash loses the unsynced tail.
 * - `'never'`: only an explicit `db.sync()` writes to disk.
 */
export type SyncPolicy = 'always' | 'never' | { everyMs: number };

/** Database settings as given; every field optional. Costs are virtual ms, scaled by the node's slow factor. */
export interface DatabaseOptions {
  /** Default `'always'`. */
  sync?: SyncPolicy;
  /** Cost of each `get` or `scan` (one seek). Default 0.1 ms. */
  readMs?: number;
  /** Cost of each written row, paid at commit (the log write). Default 0.05 ms. */
  writeMs?: number;
  /** Fixed cost of each commit that writes something. Default 0.2 ms. */
  commitMs?: number;
  /** Cost of one fsync: per commit under `'always'`, per batch otherwise. Default 0.5 ms. */
  syncMs?: number;
}

/** Database settings with every default filled. */
export interface ResolvedDatabaseOptions {
  sync: SyncPolicy;
  readMs: number;
  writeMs: number;
  commitMs: number;
  syncMs: number;
}

/** Range of a scan: keys in ascending order, from `startKey` (inclusive), all starting with `prefix`. */
export interface ScanOptions {
  prefix?: string;
  startKey?: string;
  /** At most this many rows. Default: all. */
  limit?: number;
  /**
   * Keys left out: their rows are neither read nor copied, and do not count toward `limit` (e.g.
   * the sagas a recovery scan already drives). The scan still costs one seek.
   */
  exclude?: ReadonlySet<string>;
}

/** One row returned by a scan. */
export interface Row<T> {
  key: string;
  value: T;
}

/**
 * The view a transaction body gets. Reads see the transaction's own writes; writes are buffered
 * and applied at commit, all or nothing. Values are copied in and out (structured clone), so
 * mutating a row object never bypasses the transaction. Stored rows are the database's own
 * copies, so `getFrozen` can freeze one in place and hand it out without copying: mutating it
 * throws instead of reaching the store.
 */
export interface Transaction {
  /** The log sequence number this transaction commits with, if it writes anything. */
  readonly lsn: number;
  /** One row (this transaction's own write if any, else committed); costs `readMs`. */
  get<T = unknown>(table: string, key: string): Promise<T | undefined>;
  /**
   * The same row as `get`, at the same cost, but not copied: the stored row itself, deeply frozen
   * (mutating it throws; spread it to change it: `{ ...row, status }`). For code that only reads.
   */
  getFrozen<T = unknown>(table: string, key: string): Promise<Readonly<T> | undefined>;
  /** Rows in key order over a range; costs `readMs` (one seek). */
  scan<T = unknown>(table: string, options?: ScanOptions): Promise<Row<T>[]>;
  /** Buffers a write (plain, structured-cloneable data); its cost is paid at commit. */
  put(table: string, key: string, value: unknown): void;
  /** Buffers a delete; deleting a missing row is allowed. */
  delete(table: string, key: string): void;
}

/** What a change listener hears: a commit became visible, or commits reached disk. */
export type DatabaseChange = 'commit' | 'sync';

/** Counters of one database incarnation, for reports. */
export interface DatabaseStats {
  commits: number;
  rollbacks: number;
  syncs: number;
  /** Commits found lost when this incarnation opened (acknowledged but never synced). */
  lostCommits: number;
}

const DEFAULT_OPTIONS: ResolvedDatabaseOptions = { sync: 'always', readMs: 0.1, writeMs: 0.05, commitMs: 0.2, syncMs: 0.5 };

/** Marks a deleted row in write buffers and in the unsynced overlay. */
const DELETED: unique symbol = Symbol('deleted');
type Stored = unknown | typeof DELETED;

/** The node's disk image of one database, kept in `ctx.durable` under `db:<name>`. */
interface DurableImage {
  tables: Map<string, Map<string, unknown>>;
  /** Last commit on disk. */
  syncedLsn: number;
  /**
   * Last commit acknowledged to a caller. Simulator bookkeeping, not something a real disk holds:
   * it lets a reopen report how many acknowledged commits a crash took (`db.lost-unsynced`).
   */
  acknowledgedLsn: number;
  /**
   * Journals of readers outside the node (`watchDiskTable`), per table: each collects the keys
   * written to disk until its reader takes them. Absent until someone watches.
   */
  journals?: Map<string, DiskJournal[]>;
}

interface OverlayEntry {
  value: Stored;
  lsn: number;
}

interface WriteSet {
  lsn: number;
  writes: Map<string, Map<string, Stored>>;
}

/**
 * Hands out databases and enforces that each belongs to one service. A service is
 * `ctx.labels.service` if set, else the node name; modules of one service (a monolith) share its
 * databases. Build one registry per world (in a variant's `build`) and pass it to node factories.
 */
export class DatabaseRegistry {
  private readonly owners = new Map<string, { service: string; node: string }>();
  private readonly handles = new WeakMap<NodeContext, Map<string, Database>>();
  private readonly current = new Map<string, Map<string, Database>>();
  private world: unknown = undefined;

  /**
   * Opens database `name` for the service running on `ctx`, creating it on first use and
   * recovering it from the node's disk after a restart. Throws ConfigError if another service
   * owns that name, or if options contradict the ones it was opened with on this node.
   */
  openDatabase(ctx: NodeContext, name: string, options?: DatabaseOptions): Database {
    if (!/^[A-Za-z0-9_.:-]+$/.test(name)) {
      throw new ConfigError(`database name '${name}' is invalid: use letters, digits and _ . : - only`);
    }
    const world = ctx.node.host;
    if (this.world === undefined) this.world = world;
    else if (this.world !== world) {
      throw new ConfigError(`a DatabaseRegistry serves one world: build a new registry in each variant's build()`);
    }
    const service = serviceOf(ctx);
    const owner = this.owners.get(name);
    if (owner === undefined) this.owners.set(name, { service, node: ctx.name });
    else if (owner.service !== service) {
      throw new ConfigError(
        `service '${service}' (node ${ctx.name}) cannot open database '${name}': it belongs to service '${owner.service}' (node ${owner.node}); ask ${owner.service} through its API or its events`,
      );
    }
    let byName = this.handles.get(ctx);
    if (byName === undefined) {
      byName = new Map();
      this.handles.set(ctx, byName);
      this.current.set(ctx.name, byName);
    }
    const resolved = resolveDatabaseOptions(options ?? {}, `database ${name} on ${ctx.name}`);
    const existing = byName.get(name);
    if (existing !== undefined) {
      if (options !== undefined && !sameOptions(existing.options, resolved)) {
        throw new ConfigError(`database '${name}' on ${ctx.name} is already open with other options: open it once and share the handle, or pass the same options`);
      }
      return existing;
    }
    const database = new Database(ctx, name, service, resolved);
    byName.set(name, database);
    return database;
  }

  /**
   * The live database `name` of node `nodeName`, for checkers and tests that observe from outside
   * (`peek`, `peekRows`); undefined if the node is down or has not reopened it since a restart.
   */
  inspect(nodeName: string, name: string): Database | undefined {
    const database = this.current.get(nodeName)?.get(name);
    if (database === undefined || !database.isCurrent) return undefined;
    return database;
  }

  /** The service that owns database `name`, if anyone opened it. */
  ownerOf(name: string): string | undefined {
    return this.owners.get(name)?.service;
  }
}

/** The service a context runs: its `service` label, else its node name. */
export function serviceOf(ctx: NodeContext): string {
  return ctx.labels.service ?? ctx.name;
}

/** Fills defaults and validates; throws ConfigError naming `where`. */
export function resolveDatabaseOptions(options: DatabaseOptions, where: string): ResolvedDatabaseOptions {
  const resolved: ResolvedDatabaseOptions = {
    sync: options.sync ?? DEFAULT_OPTIONS.sync,
    readMs: options.readMs ?? DEFAULT_OPTIONS.readMs,
    writeMs: options.writeMs ?? DEFAULT_OPTIONS.writeMs,
    commitMs: options.commitMs ?? DEFAULT_OPTIONS.commitMs,
    syncMs: options.syncMs ?? DEFAULT_OPTIONS.syncMs,
  };
  for (const key of ['readMs', 'writeMs', 'commitMs', 'syncMs'] as const) {
    const value = resolved[key];
    if (!(value >= 0 && Number.isFinite(value))) throw new ConfigError(`${where}: ${key} is ${value}; use a finite number of ms >= 0`);
  }
  const sync = resolved.sync;
  if (typeof sync === 'object') {
    if (!(sync.everyMs > 0 && Number.isFinite(sync.everyMs))) {
      throw new ConfigError(`${where}: sync.everyMs is ${sync.everyMs}; use a finite number of ms > 0`);
    }
  } else if (sync !== 'always' && sync !== 'never') {
    throw new ConfigError(`${where}: sync is '${String(sync)}'; use 'always', 'never' or { everyMs: n }`);
  }
  return resolved;
}

function sameOptions(a: ResolvedDatabaseOptions, b: ResolvedDatabaseOptions): boolean {
  const syncA = typeof a.sync === 'object' ? `every ${a.sync.everyMs}` : a.sync;
  const syncB = typeof b.sync === 'object' ? `every ${b.sync.everyMs}` : b.sync;
  return syncA === syncB && a.readMs === b.readMs && a.writeMs === b.writeMs && a.commitMs === b.commitMs && a.syncMs === b.syncMs;
}

/**
 * One service's database on one node, opened through a {@link DatabaseRegistry}. The handle is
 * bound to the node incarnation that opened it: after a crash the service reopens it from disk,
 * and committed-but-unsynced writes are gone.
 */
export class Database {
  readonly stats: DatabaseStats = { commits: 0, rollbacks: 0, syncs: 0, lostCommits: 0 };
  private readonly image: DurableImage;
  /** Committed writes not yet on disk, newest value per key. Volatile: a crash loses it. */
  private readonly overlay = new Map<string, Map<string, OverlayEntry>>();
  /** The same writes as commit-ordered write sets, replayed onto disk by `sync`. */
  private readonly tail: WriteSet[] = [];
  /** Sorted keys of the committed view, per table; built on a table's first scan. */
  private readonly sortedKeys = new Map<string, string[]>();
  private listeners: readonly ((change: DatabaseChange) => void)[] = [];
  private readonly lockWaiters: (() => void)[] = [];
  private locked = false;
  private committed: number;
  private syncTimerArmed = false;
  private syncing: Promise<void> | undefined;

  /** @internal Use `DatabaseRegistry.openDatabase`. */
  constructor(
    private readonly ctx: NodeContext,
    /** Database name, unique per world. */
    readonly name: string,
    /** The service that owns it. */
    readonly owner: string,
    readonly options: ResolvedDatabaseOptions,
  ) {
    const key = `db:${name}`;
    let image = ctx.durable.get(key) as DurableImage | undefined;
    if (image === undefined) {
      image = { tables: new Map(), syncedLsn: 0, acknowledgedLsn: 0 };
      ctx.durable.set(key, image);
    }
    this.image = image;
    if (image.acknowledgedLsn > image.syncedLsn) {
      const lost = image.acknowledgedLsn - image.syncedLsn;
      this.stats.lostCommits = lost;
      ctx.emit('db.lost-unsynced', `${name} lost ${lost} commits (lsn ${image.syncedLsn + 1}..${image.acknowledgedLsn})`);
      image.acknowledgedLsn = image.syncedLsn;
    }
    this.committed = image.syncedLsn;
    ctx.emit('db.open', `${name} lsn=${this.committed}`);
  }

  /** The node this database lives on. */
  get nodeName(): string {
    return this.ctx.name;
  }

  /** The owning node's clock in ms (`ctx.now()`), for timestamps written with rows. */
  clockMs(): number {
    return this.ctx.now();
  }

  /** Records a trace event on the database's node (for components built on it). */
  emit(kind: TraceKind, detail?: string): void {
    this.ctx.emit(kind, detail);
  }

  /** Last committed (visible) log sequence number. */
  get committedLsn(): number {
    return this.committed;
  }

  /** Last log sequence number on disk; commits above it are lost by a crash. */
  get syncedLsn(): number {
    return this.image.syncedLsn;
  }

  /** True while the node incarnation that opened this handle is running. */
  get isCurrent(): boolean {
    return this.ctx.node.ctx === this.ctx && this.ctx.node.status === 'up';
  }

  /**
   * Runs `body` as one transaction: transactions on this database run one at a time, in
   * arrival order (serializable); a thrown error rolls everything back and is rethrown; otherwise
   * the writes commit together, paying `commitMs + rows × writeMs` (+ `syncMs` under `'always'`).
   * A body must not start another transaction on the same database: it would wait for itself.
   */
  async transaction<T>(body: (tx: Transaction) => Promise<T> | T): Promise<T> {
    this.assertCurrent();
    // A free lock is taken at once, without a turn of the microtask queue.
    const waiting = this.acquire();
    if (waiting !== undefined) await waiting;
    const tx = new DatabaseTransaction(this, this.committed + 1);
    try {
      let result: T;
      try {
        result = await body(tx);
      } finally {
        tx.open = false;
      }
      if (tx.writeCount > 0) {
        const always = this.options.sync === 'always';
        await this.spend(this.options.commitMs + tx.writeCount * this.options.writeMs + (always ? this.options.syncMs : 0));
        this.commit(tx);
      }
      return result;
    } catch (error) {
      this.stats.rollbacks++;
      this.ctx.emit('db.rollback', `${this.name}: ${errorMessage(error)}`);
      throw error;
    } finally {
      this.release();
    }
  }

  /** Reads one committed row outside any transaction (read committed); costs `readMs`. */
  async get<T = unknown>(table: string, key: string): Promise<T | undefined> {
    this.assertCurrent();
    await this.spend(this.options.readMs);
    return copyOut(this.committedValue(table, key)) as T | undefined;
  }

  /** Like `get`, but the committed row itself, deeply frozen, not a copy (see Transaction.getFrozen). */
  async getFrozen<T = unknown>(table: string, key: string): Promise<Readonly<T> | undefined> {
    this.assertCurrent();
    await this.spend(this.options.readMs);
    return frozenOut(this.committedValue(table, key)) as Readonly<T> | undefined;
  }

  /**
   * @internal Like `get`, at the same cost and in the same steps, but the stored row itself: not
   * copied and not frozen. Only for this package's own readers, which never change what they read
   * and hand out only copies of it (the outbox relay); rows are replaced on write, never changed in
   * place, so what it returns stays as read.
   */
  async getShared<T = unknown>(table: string, key: string): Promise<Readonly<T> | undefined> {
    this.assertCurrent();
    await this.spend(this.options.readMs);
    return this.committedValue(table, key) as Readonly<T> | undefined;
  }

  /** Scans committed rows outside any transaction; costs `readMs`. */
  async scan<T = unknown>(table: string, options: ScanOptions = {}): Promise<Row<T>[]> {
    this.assertCurrent();
    await this.spend(this.options.readMs);
    return this.scanMerged<T>(table, options, undefined);
  }

  /** Writes one row in its own transaction. */
  put(table: string, key: string, value: unknown): Promise<void> {
    return this.transaction((tx) => tx.put(table, key, value));
  }

  /** Deletes one row in its own transaction. */
  delete(table: string, key: string): Promise<void> {
    return this.transaction((tx) => tx.delete(table, key));
  }

  /**
   * Writes every committed-but-unsynced commit to disk (one fsync, `syncMs`). Commits made
   * while the fsync runs wait for the next one. A crash before it ends loses the whole batch.
   */
  async sync(): Promise<void> {
    this.assertCurrent();
    while (this.syncing !== undefined) await this.syncing;
    if (this.tail.length === 0) return;
    const batch = this.tail.length;
    const run = Promise.resolve(this.spend(this.options.syncMs)).then(() => this.flush(batch));
    this.syncing = run;
    try {
      await run;
    } finally {
      this.syncing = undefined;
    }
  }

  /** Calls `listener` after every commit and every sync (volatile; for relays and feeds). Returns an unsubscribe function. */
  watch(listener: (change: DatabaseChange) => void): () => void {
    // Copy on write: `notify` iterates the array it found, so (un)watching inside a listener is safe.
    this.listeners = [...this.listeners, listener];
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners = this.listeners.filter((_, at) => at !== index);
    };
  }

  /** The committed value of a row, without cost or ownership check: for checkers and tests only. */
  peek<T = unknown>(table: string, key: string): T | undefined {
    return copyOut(this.committedValue(table, key)) as T | undefined;
  }

  /** All committed rows of a table in key order, without cost: for checkers and tests only. */
  peekRows<T = unknown>(table: string): Row<T>[] {
    return this.scanMerged<T>(table, {}, undefined);
  }

  // ---- internals used by transactions ----------------------------------------------------------

  /** @internal Spends simulated I/O time; zero costs add no event. */
  spend(durationMs: number): Promise<void> | void {
    // I/O is charged as ctx.cpu so a slowed node (gray failure) has a slow disk too.
    if (durationMs > 0) return this.ctx.cpu(durationMs);
  }

  /** @internal The committed value of a row (undefined if absent), not copied. */
  committedValue(table: string, key: string): unknown {
    // Under sync 'always' the overlay stays empty: skip its lookup.
    if (this.overlay.size > 0) {
      const entry = this.overlay.get(table)?.get(key);
      if (entry !== undefined) return entry.value === DELETED ? undefined : entry.value;
    }
    return this.image.tables.get(table)?.get(key);
  }

  /** @internal Merges committed rows with a transaction's buffered writes over a key range. */
  scanMerged<T>(table: string, options: ScanOptions, buffer: Map<string, Stored> | undefined): Row<T>[] {
    const prefix = options.prefix ?? '';
    const startKey = options.startKey !== undefined && options.startKey > prefix ? options.startKey : prefix;
    const limit = options.limit ?? Infinity;
    const exclude = options.exclude;
    const committedKeys = this.sortedKeysOf(table);
    const bufferedKeys = buffer === undefined || buffer.size === 0 ? [] : [...buffer.keys()].filter((key) => key >= startKey && key.startsWith(prefix)).sort();
    const rows: Row<T>[] = [];
    let i = lowerBound(committedKeys, startKey);
    let j = 0;
    while (rows.length < limit) {
      const committedKey = i < committedKeys.length && committedKeys[i].startsWith(prefix) ? committedKeys[i] : undefined;
      const bufferedKey = j < bufferedKeys.length ? bufferedKeys[j] : undefined;
      if (bufferedKey !== undefined && (committedKey === undefined || bufferedKey <= committedKey)) {
        // The transaction's own write shadows the committed row of the same key.
        if (bufferedKey === committedKey) i++;
        j++;
        const value = buffer!.get(bufferedKey);
        if (value !== DELETED && exclude?.has(bufferedKey) !== true) rows.push({ key: bufferedKey, value: copyRow(value) as T });
      } else if (committedKey !== undefined) {
        i++;
        if (exclude?.has(committedKey) !== true) rows.push({ key: committedKey, value: copyOut(this.committedValue(table, committedKey)) as T });
      } else {
        break;
      }
    }
    return rows;
  }

  private sortedKeysOf(table: string): string[] {
    let keys = this.sortedKeys.get(table);
    if (keys === undefined) {
      const present = new Set(this.image.tables.get(table)?.keys() ?? []);
      for (const [key, entry] of this.overlay.get(table) ?? []) {
        if (entry.value === DELETED) present.delete(key);
        else present.add(key);
      }
      keys = [...present].sort();
      this.sortedKeys.set(table, keys);
    }
    return keys;
  }

  /** Makes a transaction's writes visible (and durable under 'always'); synchronous, so atomic. */
  private commit(tx: DatabaseTransaction): void {
    const lsn = tx.lsn;
    const always = this.options.sync === 'always';
    const written = tx.writes!;
    for (const [table, writes] of written) {
      const keys = this.sortedKeys.get(table);
      // Each key's previous value is read before any of this commit's writes lands (keys are unique).
      if (keys !== undefined) for (const [key, value] of writes) updateSortedKeys(keys, key, this.committedValue(table, key) !== undefined, value !== DELETED);
      if (always) applyToImage(this.image, table, writes);
      else {
        let overlayTable = this.overlay.get(table);
        if (overlayTable === undefined) {
          overlayTable = new Map();
          this.overlay.set(table, overlayTable);
        }
        for (const [key, value] of writes) overlayTable.set(key, { value, lsn });
      }
    }
    this.committed = lsn;
    this.image.acknowledgedLsn = lsn;
    if (always) this.image.syncedLsn = lsn;
    else {
      this.tail.push({ lsn, writes: written });
      this.armSyncTimer();
    }
    this.stats.commits++;
    this.ctx.emit('db.commit', `${this.name} lsn=${lsn} rows=${tx.writeCount}`);
    this.notify('commit');
  }

  private armSyncTimer(): void {
    const sync = this.options.sync;
    if (typeof sync !== 'object' || this.syncTimerArmed) return;
    this.syncTimerArmed = true;
    this.ctx.setTimer(sync.everyMs, () => {
      this.syncTimerArmed = false;
      this.ctx.spawn(() => this.sync());
    });
  }

  /** Moves the oldest `batch` write sets to disk. */
  private flush(batch: number): void {
    const sets = this.tail.splice(0, batch);
    for (const set of sets) {
      for (const [table, writes] of set.writes) applyToImage(this.image, table, writes);
    }
    const syncedLsn = sets[sets.length - 1].lsn;
    this.image.syncedLsn = syncedLsn;
    for (const overlayTable of this.overlay.values()) {
      for (const [key, entry] of overlayTable) if (entry.lsn <= syncedLsn) overlayTable.delete(key);
    }
    this.stats.syncs++;
    this.ctx.emit('db.sync', `${this.name} lsn=${syncedLsn} commits=${sets.length}`);
    this.notify('sync');
    if (this.tail.length > 0) this.armSyncTimer();
  }

  private notify(change: DatabaseChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private acquire(): Promise<void> | void {
    if (!this.locked) {
      this.locked = true;
      return;
    }
    return new Promise<void>((resolve) => this.lockWaiters.push(resolve));
  }

  private release(): void {
    const next = this.lockWaiters.shift();
    // Hand the lock straight to the next waiter so nobody can overtake it.
    if (next !== undefined) next();
    else this.locked = false;
  }

  private assertCurrent(): void {
    if (!this.isCurrent) {
      throw new ConfigError(`database '${this.name}' handle belongs to a stopped incarnation of ${this.ctx.name}: reopen it in the node factory after a restart`);
    }
  }
}

class DatabaseTransaction implements Transaction {
  /** Buffered writes per table; made on the first write (most transactions that only read never need it). */
  writes: Map<string, Map<string, Stored>> | undefined = undefined;
  writeCount = 0;
  open = true;

  constructor(
    private readonly db: Database,
    readonly lsn: number,
  ) {}

  async get<T = unknown>(table: string, key: string): Promise<T | undefined> {
    this.assertOpen();
    await this.db.spend(this.db.options.readMs);
    const buffered = this.writes?.get(table);
    if (buffered !== undefined && buffered.has(key)) {
      const value = buffered.get(key);
      return value === DELETED ? undefined : (copyRow(value) as T);
    }
    return copyOut(this.db.committedValue(table, key)) as T | undefined;
  }

  async getFrozen<T = unknown>(table: string, key: string): Promise<Readonly<T> | undefined> {
    // The same steps as get (one await), so switching between them never reorders a run.
    this.assertOpen();
    await this.db.spend(this.db.options.readMs);
    const buffered = this.writes?.get(table);
    if (buffered !== undefined && buffered.has(key)) {
      const value = buffered.get(key);
      return value === DELETED ? undefined : (frozenOut(value) as Readonly<T>);
    }
    return frozenOut(this.db.committedValue(table, key)) as Readonly<T> | undefined;
  }

  async scan<T = unknown>(table: string, options: ScanOptions = {}): Promise<Row<T>[]> {
    this.assertOpen();
    await this.db.spend(this.db.options.readMs);
    return this.db.scanMerged<T>(table, options, this.writes?.get(table));
  }

  put(table: string, key: string, value: unknown): void {
    this.assertOpen();
    if (value === undefined) throw new ConfigError(`put ${table}/${key}: value is undefined; use delete to remove a row`);
    this.buffer(table, key, copyRow(value));
  }

  /** The write of `putOwned`: `value` is stored as it is, not copied. */
  putOwned(table: string, key: string, value: object): void {
    this.assertOpen();
    if (value === undefined) throw new ConfigError(`put ${table}/${key}: value is undefined; use delete to remove a row`);
    this.buffer(table, key, value);
  }

  delete(table: string, key: string): void {
    this.assertOpen();
    this.buffer(table, key, DELETED);
  }

  private buffer(table: string, key: string, value: Stored): void {
    const tables = (this.writes ??= new Map());
    let writes = tables.get(table);
    if (writes === undefined) {
      writes = new Map();
      tables.set(table, writes);
    }
    if (!writes.has(key)) this.writeCount++;
    writes.set(key, value);
  }

  private assertOpen(): void {
    if (!this.open) throw new ConfigError(`transaction lsn ${this.lsn} on '${this.db.name}' is over: use tx only inside its transaction body`);
  }
}

/**
 * Buffers a write in `tx` like `tx.put`, but stores `value` itself instead of a copy: for a
 * procedure's own rows, where copying is pure cost. Every object in `value` must be either built
 * for this one write (a fresh literal, a `copyRow` copy) or taken from a stored row: read with
 * `getFrozen` (frozen, so sharing it is safe) or by this package's own readers (`getShared`; the
 * database never changes a stored row in place). The caller hands `value` over and never changes it afterwards:
 * that would change the row behind the transaction's back. Anything else (a caller's arguments,
 * objects kept elsewhere) goes through `tx.put`, which copies. Another Transaction implementation
 * gets a plain `put`.
 */
export function putOwned(tx: Transaction, table: string, key: string, value: object): void {
  if (tx instanceof DatabaseTransaction) tx.putOwned(table, key, value);
  else tx.put(table, key, value);
}

/** Writes one table's rows of a write set to disk, in order (the table and its journals looked up once). */
function applyToImage(image: DurableImage, table: string, writes: ReadonlyMap<string, Stored>): void {
  let rows = image.tables.get(table);
  if (rows === undefined) {
    rows = new Map();
    image.tables.set(table, rows);
  }
  const journals = image.journals?.get(table);
  for (const [key, value] of writes) {
    if (value === DELETED) rows.delete(key);
    else rows.set(key, value);
    if (journals !== undefined) for (const journal of journals) record(journal, key);
  }
}

/** Most keys a journal holds between two reads; past it, it only says that its reader must read the table whole. */
const MAX_JOURNAL_KEYS = 1 << 16;

/**
 * The keys written to one disk table since its reader last took them, in write order (a key
 * written twice is listed twice: an append is cheaper than a set insert on every commit). Once
 * more than MAX_JOURNAL_KEYS pile up, `overflowed` is set and the keys are dropped.
 */
export interface DiskJournal {
  keys: string[];
  overflowed: boolean;
}

function record(journal: DiskJournal, key: string): void {
  if (journal.overflowed) return;
  if (journal.keys.length >= MAX_JOURNAL_KEYS) {
    journal.overflowed = true;
    journal.keys = [];
    return;
  }
  journal.keys.push(key);
}

/**
 * Starts a journal of the keys written (or deleted) on disk in table `table` of database
 * `database`, whose image is in a node's durable store: for checkers that observe from outside
 * and want only what changed since they last looked (they empty `keys` after reading them, and
 * read the table whole when the journal `overflowed`).
 * Undefined while the database has no disk image. The journal lives as long as the image: after a
 * wipe (a new image) start another one and read the table whole.
 */
export function watchDiskTable(durable: ReadonlyMap<string, unknown>, database: string, table: string): { image: object; journal: DiskJournal } | undefined {
  const image = durable.get(`db:${database}`) as DurableImage | undefined;
  if (image === undefined) return undefined;
  const journals = (image.journals ??= new Map());
  let list = journals.get(table);
  if (list === undefined) {
    list = [];
    journals.set(table, list);
  }
  const journal: DiskJournal = { keys: [], overflowed: false };
  list.push(journal);
  return { image, journal };
}

function copyOut(value: unknown): unknown {
  return value === undefined ? undefined : copyRow(value);
}

/**
 * A stored value for `getFrozen`: the value itself, frozen in place all the way down (stored
 * values are the database's own copies, so freezing one takes nothing from anyone), or a copy
 * when something in it cannot be frozen (a Map, a Date…).
 */
function frozenOut(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return freezeStored(value) ? value : copyRow(value);
}

/**
 * Freezes a stored value in place if every object in it is a plain object or an array; true when
 * it is frozen then. An object is frozen only with everything inside it, so a frozen stored value
 * is immutable all the way down.
 */
function freezeStored(value: object): boolean {
  if (Object.isFrozen(value)) return true;
  let freezable = true;
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null && !freezeStored(item)) freezable = false;
  } else {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return false;
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null && !freezeStored(item)) freezable = false;
    }
  }
  if (freezable) Object.freeze(value);
  return freezable;
}

/** First index whose key is >= `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (keys[mid] < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

function updateSortedKeys(keys: string[], key: string, existed: boolean, exists: boolean): void {
  if (existed === exists) return;
  const index = lowerBound(keys, key);
  if (exists) keys.splice(index, 0, key);
  else keys.splice(index, 1);
}

/**
 * Copies a row so that changing the caller's object cannot bypass a transaction. Rows are plain
 * data: objects and arrays are copied field by field (about ten times cheaper than structuredClone,
 * which this falls back to for anything else, such as a Map or a Date).
 */
export function copyRow<T>(value: T): T {
  return typeof value !== 'object' || value === null ? value : (copyObject(value) as T);
}

/** `copyRow` of an object; the primitives in it are taken inline, without a call each. */
function copyObject(value: object): unknown {
  if (Array.isArray(value)) return value.map(copyItem);
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    copy[key] = typeof item !== 'object' || item === null ? item : copyObject(item);
  }
  return copy;
}

function copyItem(item: unknown): unknown {
  return typeof item !== 'object' || item === null ? item : copyObject(item);
}
