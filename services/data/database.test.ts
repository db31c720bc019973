// Tests for services/data/database.ts: atomic, serialized transactions with I/O cost, durability by sync
// policy across crashes, and the rule that a service cannot open another service's database.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import type { TraceEvent } from '../../sim/engine/trace.ts';
import { DatabaseRegistry, putOwned, watchDiskTable, type Database, type DatabaseOptions, type DiskJournal, type Transaction } from './database.ts';

const FREE: DatabaseOptions = { readMs: 0, writeMs: 0, commitMs: 0, syncMs: 0 };

/** One node `orders` with database `orders`; `run(atMs, body)` runs body on that node at a virtual time. */
function harness(options: DatabaseOptions) {
  const world = new World(1);
  const registry = new DatabaseRegistry();
  const live: { ctx?: NodeContext; db?: Database } = {};
  const trace: TraceEvent[] = [];
  world.sim.trace.addSink((event) => {
    if (event.kind.startsWith('db.')) trace.push(event);
  });
  world.addNode('orders', (ctx) => {
    live.ctx = ctx;
    live.db = registry.openDatabase(ctx, 'orders', options);
    return {};
  });
  const errors: unknown[] = [];
  const run = (atMs: number, body: (db: Database) => Promise<void>): void => {
    world.sim.at(atMs, () => live.ctx!.spawn(() => body(live.db!).catch((error: unknown) => void errors.push(error))));
  };
  return { world, registry, live, trace, errors, run, db: () => live.db! };
}

describe('Database transactions', () => {
  it('commits every write of a transaction together and reads its own writes', async () => {
    const h = harness(FREE);
    let seenInside: unknown;
    h.run(0, async (db) => {
      await db.transaction(async (tx) => {
        tx.put('accounts', 'a', { balance: 10 });
        tx.put('accounts', 'b', { balance: 20 });
        seenInside = await tx.get('accounts', 'a');
      });
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(seenInside).toEqual({ balance: 10 });
    expect(h.db().peekRows('accounts')).toEqual([
      { key: 'a', value: { balance: 10 } },
      { key: 'b', value: { balance: 20 } },
    ]);
    expect(h.db().committedLsn).toBe(1);
    expect(h.trace.filter((e) => e.kind === 'db.commit').map((e) => e.detail)).toEqual(['orders lsn=1 rows=2']);
  });

  it('rolls back every write when the body throws, and rethrows the error', async () => {
    const h = harness(FREE);
    h.run(0, (db) => db.put('accounts', 'a', { balance: 10 }));
    h.run(1, async (db) => {
      await db.transaction(async (tx) => {
        tx.put('accounts', 'a', { balance: 0 });
        tx.put('accounts', 'b', { balance: 10 });
        throw new Error('insufficient funds');
      });
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(h.errors.map((e) => (e as Error).message)).toEqual(['insufficient funds']);
    expect(h.db().peekRows('accounts')).toEqual([{ key: 'a', value: { balance: 10 } }]);
    expect(h.db().committedLsn).toBe(1);
    expect(h.db().stats).toMatchObject({ commits: 1, rollbacks: 1 });
    expect(h.trace.filter((e) => e.kind === 'db.rollback').map((e) => [e.atMs, e.detail])).toEqual([[1, 'orders: insufficient funds']]);
  });

  it('copies rows in and out, so mutating an object never bypasses a transaction', async () => {
    const h = harness(FREE);
    h.run(0, async (db) => {
      const row = { balance: 10 };
      await db.put('accounts', 'a', row);
      row.balance = 99;
      const read = (await db.get<{ balance: number }>('accounts', 'a'))!;
      read.balance = 77;
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(h.db().peek('accounts', 'a')).toEqual({ balance: 10 });
  });

  it('serializes concurrent transactions in arrival order, each paying its I/O cost', async () => {
    const h = harness({ readMs: 1, writeMs: 0.5, commitMs: 2, syncMs: 0 });
    const increment = async (db: Database): Promise<void> => {
      await db.transaction(async (tx) => {
        const count = (await tx.get<number>('counters', 'c')) ?? 0;
        tx.put('counters', 'c', count + 1);
      });
    };
    h.run(0, increment);
    h.run(0, increment);
    h.run(1, increment);
    await h.world.sim.run({ untilMs: 100 });
    // Each: read 1 ms, then commit 2 + 1 row × 0.5 = 2.5 ms; the next starts when the previous ends.
    expect(h.trace.filter((e) => e.kind === 'db.commit').map((e) => e.atMs)).toEqual([3.5, 7, 10.5]);
    expect(h.db().peek('counters', 'c')).toBe(3);
  });

  it('adds its I/O cost to a request served by the node', async () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    world.addNode('orders', (ctx) => {
      const db = registry.openDatabase(ctx, 'orders', { readMs: 0.25, writeMs: 0.5, commitMs: 1, syncMs: 2 });
      return {
        handlers: {
          place: async (id: string) => {
            await db.transaction(async (tx) => {
              if ((await tx.get('orders', id)) !== undefined) throw new Error('duplicate');
              tx.put('orders', id, { status: 'new' });
            });
            return 'ok';
          },
        },
      };
    });
    let doneAtMs = -1;
    world.sim.at(10, () => {
      void world.call('orders', 'place', 'o1').then(() => (doneAtMs = world.nowMs));
    });
    await world.sim.run({ untilMs: 100 });
    // read 0.25 + commit 1 + one row 0.5 + fsync 2 (sync 'always').
    expect(doneAtMs).toBe(13.75);
  });

  it('scans in key order by prefix, start key and limit, merging the transaction\'s own writes', async () => {
    const h = harness(FREE);
    let inside: unknown;
    let outside: unknown;
    h.run(0, async (db) => {
      await db.transaction((tx) => {
        for (const key of ['o#3', 'o#1', 'p#1', 'o#2', 'o#5']) tx.put('t', key, key);
      });
      await db.transaction(async (tx) => {
        tx.delete('t', 'o#2');
        tx.put('t', 'o#4', 'o#4 new');
        tx.put('t', 'o#1', 'o#1 new');
        inside = await tx.scan('t', { prefix: 'o#', startKey: 'o#1', limit: 4 });
        throw new Error('abort');
      });
    });
    h.run(1, async (db) => {
      outside = await db.scan('t', { prefix: 'o#', startKey: 'o#2' });
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(inside).toEqual([
      { key: 'o#1', value: 'o#1 new' },
      { key: 'o#3', value: 'o#3' },
      { key: 'o#4', value: 'o#4 new' },
      { key: 'o#5', value: 'o#5' },
    ]);
    expect(outside).toEqual([
      { key: 'o#2', value: 'o#2' },
      { key: 'o#3', value: 'o#3' },
      { key: 'o#5', value: 'o#5' },
    ]);
  });

  it('leaves excluded keys out of a scan, committed or buffered, without counting them toward the limit', async () => {
    const h = harness(FREE);
    let inside: unknown;
    let outside: unknown;
    h.run(0, async (db) => {
      await db.transaction((tx) => {
        for (const key of ['a', 'b', 'c', 'd']) tx.put('t', key, key);
      });
      await db.transaction(async (tx) => {
        tx.put('t', 'bb', 'bb');
        tx.put('t', 'e', 'e');
        inside = await tx.scan('t', { exclude: new Set(['a', 'bb']), limit: 3 });
      });
      outside = await db.scan('t', { exclude: new Set(['c', 'zz']) });
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(inside).toEqual([
      { key: 'b', value: 'b' },
      { key: 'c', value: 'c' },
      { key: 'd', value: 'd' },
    ]);
    expect((outside as { key: string }[]).map((row) => row.key)).toEqual(['a', 'b', 'bb', 'd', 'e']);
  });

  it('journals the keys that reach disk for a watcher: at commit under always, at the sync under everyMs', async () => {
    const always = harness(FREE);
    const grouped = harness({ ...FREE, sync: { everyMs: 10 } });
    const journals: Record<string, DiskJournal | undefined> = {};
    for (const [name, h] of [['always', always], ['grouped', grouped]] as const) {
      h.run(0, async (db) => {
        await db.put('t', 'a', 1);
        journals[name] = watchDiskTable(h.world.node('orders').durable, 'orders', 't')?.journal;
        await db.transaction((tx) => {
          tx.put('t', 'b', 1);
          tx.delete('t', 'a');
          tx.put('other', 'x', 1);
        });
      });
    }
    await always.world.sim.run({ untilMs: 5 });
    await grouped.world.sim.run({ untilMs: 5 });
    expect(journals.always!.keys).toEqual(['b', 'a']);
    // Not on disk yet: nothing to see from outside.
    expect(journals.grouped!.keys).toEqual([]);
    await grouped.world.sim.run({ untilMs: 50 });
    // The sync writes both commits, in order: the first one's `a` too, which was not on disk when
    // the watch began (a key written twice is listed twice).
    expect(journals.grouped!.keys).toEqual(['a', 'b', 'a']);
    expect(watchDiskTable(new Map(), 'orders', 't')).toBeUndefined();
  });

  it('getFrozen hands out the stored row itself, deeply frozen; get still gives a mutable copy', async () => {
    const h = harness(FREE);
    const seen: Record<string, unknown> = {};
    h.run(0, async (db) => {
      const written = { balance: 10, tags: ['a'], address: { region: 'north' } };
      await db.put('accounts', 'u1', written);
      written.tags.push('changed after put');
      await db.put('accounts', 'u2', { since: new Date(5), nested: { n: 1 } });
      seen.first = await db.getFrozen('accounts', 'u1');
      seen.second = await db.getFrozen('accounts', 'u1');
      seen.copy = await db.get('accounts', 'u1');
      seen.withDate = await db.getFrozen('accounts', 'u2');
      await db.transaction(async (tx) => {
        tx.put('accounts', 'u3', { balance: 1 });
        seen.ownWrite = await tx.getFrozen('accounts', 'u3');
        seen.inTx = await tx.getFrozen('accounts', 'u1');
      });
    });
    await h.world.sim.run({ untilMs: 10 });
    const first = seen.first as { balance: number; tags: string[]; address: { region: string } };
    expect(first).toEqual({ balance: 10, tags: ['a'], address: { region: 'north' } });
    expect(seen.second).toBe(first);
    expect(seen.inTx).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.tags) && Object.isFrozen(first.address)).toBe(true);
    expect(() => {
      first.address.region = 'south';
    }).toThrow(TypeError);
    expect(Object.isFrozen(seen.ownWrite)).toBe(true);
    // A copy from get is the caller's to change.
    const copy = seen.copy as { balance: number };
    copy.balance = 99;
    expect(h.db().peek('accounts', 'u1')).toEqual({ balance: 10, tags: ['a'], address: { region: 'north' } });
    // A row holding something that cannot be frozen (a Date) is copied every time instead.
    const withDate = seen.withDate as { since: Date; nested: { n: number } };
    expect(Object.isFrozen(withDate)).toBe(false);
    expect(withDate.since.getTime()).toBe(5);
    withDate.since.setTime(6);
    expect(h.db().peek<{ since: Date }>('accounts', 'u2')!.since.getTime()).toBe(5);
  });

  it('putOwned stores the row itself, rolls back like put, and may share frozen parts of a row read with getFrozen', async () => {
    const h = harness(FREE);
    const seen: Record<string, unknown> = {};
    const owned = { balance: 5 };
    h.run(0, async (db) => {
      await db.put('orders', 'o1', { status: 'new', items: [{ sku: 'a' }] });
      await db.transaction((tx) => putOwned(tx, 'accounts', 'u1', owned));
      seen.stored = await db.getFrozen('accounts', 'u1');
      await db
        .transaction((tx) => {
          putOwned(tx, 'accounts', 'u2', { balance: 1 });
          throw new Error('undo');
        })
        .catch(() => undefined);
      await db.transaction(async (tx) => {
        const order = (await tx.getFrozen<{ status: string; items: { sku: string }[] }>('orders', 'o1'))!;
        putOwned(tx, 'orders', 'o1', { ...order, status: 'paid' });
        seen.items = order.items;
      });
      seen.copy = await db.get('orders', 'o1');
      seen.frozen = await db.getFrozen('orders', 'o1');
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(seen.stored).toBe(owned);
    expect(h.db().peek('accounts', 'u2')).toBeUndefined();
    expect(h.trace.filter((e) => e.kind === 'db.commit').map((e) => e.detail)).toEqual(['orders lsn=1 rows=1', 'orders lsn=2 rows=1', 'orders lsn=3 rows=1']);
    // The new row shares the old row's frozen items: still immutable, and get still copies them.
    const frozen = seen.frozen as { status: string; items: { sku: string }[] };
    expect(frozen).toEqual({ status: 'paid', items: [{ sku: 'a' }] });
    expect(frozen.items).toBe(seen.items);
    expect(() => frozen.items.push({ sku: 'b' })).toThrow(TypeError);
    const copy = seen.copy as { status: string; items: { sku: string }[] };
    copy.items.push({ sku: 'b' });
    expect(copy.items).not.toBe(seen.items);
    expect(h.db().peek('orders', 'o1')).toEqual({ status: 'paid', items: [{ sku: 'a' }] });
  });

  it('getShared reads the stored row itself, neither copied nor frozen, at the cost of a get', async () => {
    const h = harness({ ...FREE, readMs: 2 });
    const seen: Record<string, unknown> = {};
    h.run(0, async (db) => {
      await db.put('t', 'k', { n: 1, inner: { m: 2 } });
      seen.first = await db.getShared('t', 'k');
      seen.atMs = h.live.ctx!.now();
      seen.second = await db.getShared('t', 'k');
      seen.missing = await db.getShared('t', 'none');
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(seen.first).toEqual({ n: 1, inner: { m: 2 } });
    expect(seen.second).toBe(seen.first);
    expect(Object.isFrozen(seen.first)).toBe(false);
    expect(seen.atMs).toBe(2);
    expect(seen.missing).toBeUndefined();
  });

  it('putOwned on another Transaction implementation is a plain put', () => {
    const puts: unknown[][] = [];
    const fake = { put: (...args: unknown[]) => void puts.push(args) } as unknown as Transaction;
    const row = { n: 1 };
    putOwned(fake, 't', 'k', row);
    expect(puts).toEqual([['t', 'k', row]]);
  });

  it('a journal that nobody reads stops listing keys past its bound and says it overflowed', async () => {
    const h = harness(FREE);
    let journal: DiskJournal | undefined;
    h.run(0, async (db) => {
      await db.put('t', 'first', 1);
      journal = watchDiskTable(h.world.node('orders').durable, 'orders', 't')!.journal;
      await db.transaction((tx) => {
        for (let index = 0; index < 70_000; index++) tx.put('t', `k${index}`, index);
      });
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(journal).toEqual({ keys: [], overflowed: true });
  });

  it('keeps its sorted scan index right across inserts and deletes', async () => {
    const h = harness(FREE);
    const scans: string[][] = [];
    h.run(0, async (db) => {
      await db.put('t', 'b', 1);
      scans.push((await db.scan('t')).map((r) => r.key));
      await db.transaction((tx) => {
        tx.put('t', 'a', 1);
        tx.put('t', 'c', 1);
        tx.put('t', 'b', 2);
      });
      scans.push((await db.scan('t')).map((r) => r.key));
      await db.delete('t', 'b');
      await db.delete('t', 'zz');
      scans.push((await db.scan('t')).map((r) => r.key));
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(scans).toEqual([['b'], ['a', 'b', 'c'], ['a', 'c']]);
  });

  it('refuses a transaction handle used after its transaction ended', async () => {
    const h = harness(FREE);
    h.run(0, async (db) => {
      let leaked: { put(table: string, key: string, value: unknown): void } | undefined;
      await db.transaction((tx) => {
        leaked = tx;
      });
      leaked!.put('t', 'k', 1);
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]).toBeInstanceOf(ConfigError);
    expect(h.db().peekRows('t')).toEqual([]);
  });
});

describe('Database durability', () => {
  it("keeps commits across a crash under sync 'always'", async () => {
    const h = harness({ ...FREE, sync: 'always' });
    h.run(0, (db) => db.put('orders', 'o1', { status: 'paid' }));
    h.world.sim.at(5, () => h.world.crash('orders'));
    h.world.sim.at(6, () => h.world.restart('orders'));
    await h.world.sim.run({ untilMs: 10 });
    expect(h.db().peek('orders', 'o1')).toEqual({ status: 'paid' });
    expect(h.db().stats.lostCommits).toBe(0);
    expect(h.trace.some((e) => e.kind === 'db.lost-unsynced')).toBe(false);
  });

  it('loses commits not yet synced under { everyMs } and reports them on recovery', async () => {
    const h = harness({ ...FREE, sync: { everyMs: 100 } });
    h.run(0, (db) => db.put('orders', 'o1', 'synced'));
    h.run(150, (db) => db.put('orders', 'o2', 'unsynced'));
    h.run(160, (db) => db.put('orders', 'o3', 'unsynced'));
    h.world.sim.at(200, () => h.world.crash('orders'));
    h.world.sim.at(210, () => h.world.restart('orders'));
    await h.world.sim.run({ untilMs: 300 });
    expect(h.db().peekRows('orders')).toEqual([{ key: 'o1', value: 'synced' }]);
    expect(h.db().stats.lostCommits).toBe(2);
    expect(h.db().committedLsn).toBe(1);
    const recovery = h.trace.filter((e) => e.kind === 'db.sync' || e.kind === 'db.lost-unsynced').map((e) => [e.atMs, e.kind, e.detail]);
    expect(recovery).toEqual([
      [100, 'db.sync', 'orders lsn=1 commits=1'],
      [210, 'db.lost-unsynced', 'orders lost 2 commits (lsn 2..3)'],
    ]);
  });

  it('groups the commits of one sync interval into one fsync that costs syncMs', async () => {
    const h = harness({ ...FREE, syncMs: 3, sync: { everyMs: 10 } });
    h.run(1, (db) => db.put('t', 'a', 1));
    h.run(4, (db) => db.put('t', 'b', 1));
    h.run(12, (db) => db.put('t', 'c', 1));
    await h.world.sim.run({ untilMs: 100 });
    // First commit at 1 arms the timer for 11; the fsync ends at 14 and takes a and b; c (at 12)
    // arms the next timer for 22, synced at 25.
    expect(h.trace.filter((e) => e.kind === 'db.sync').map((e) => [e.atMs, e.detail])).toEqual([
      [14, 'orders lsn=2 commits=2'],
      [25, 'orders lsn=3 commits=1'],
    ]);
    expect(h.db().syncedLsn).toBe(3);
  });

  it('loses a batch whose fsync a crash interrupts', async () => {
    const h = harness({ ...FREE, syncMs: 5, sync: { everyMs: 10 } });
    h.run(0, (db) => db.put('t', 'a', 1));
    h.world.sim.at(12, () => h.world.crash('orders'));
    h.world.sim.at(13, () => h.world.restart('orders'));
    await h.world.sim.run({ untilMs: 50 });
    expect(h.db().peekRows('t')).toEqual([]);
    expect(h.db().stats.lostCommits).toBe(1);
  });

  it("under 'never' keeps only what an explicit sync() wrote", async () => {
    const h = harness({ ...FREE, sync: 'never' });
    h.run(0, async (db) => {
      await db.put('t', 'a', 1);
      await db.sync();
      await db.put('t', 'b', 1);
    });
    h.world.sim.at(1000, () => h.world.crash('orders'));
    h.world.sim.at(1001, () => h.world.restart('orders'));
    await h.world.sim.run({ untilMs: 2000 });
    expect(h.db().peekRows('t')).toEqual([{ key: 'a', value: 1 }]);
  });

  it('loses everything when a crash wipes the disk', async () => {
    const h = harness(FREE);
    h.run(0, (db) => db.put('t', 'a', 1));
    h.world.sim.at(5, () => h.world.crash('orders', { wipeDurable: true }));
    h.world.sim.at(6, () => h.world.restart('orders'));
    await h.world.sim.run({ untilMs: 10 });
    expect(h.db().peekRows('t')).toEqual([]);
    expect(h.db().committedLsn).toBe(0);
  });

  it('refuses a handle from a previous incarnation of the node', async () => {
    const h = harness(FREE);
    let stale: Database | undefined;
    h.world.sim.at(1, () => {
      stale = h.db();
      h.world.restart('orders');
    });
    await h.world.sim.run({ untilMs: 10 });
    expect(stale!.isCurrent).toBe(false);
    await expect(stale!.put('t', 'a', 1)).rejects.toThrow(ConfigError);
    expect(h.registry.inspect('orders', 'orders')).toBe(h.db());
  });
});

describe('DatabaseRegistry ownership', () => {
  it("refuses to open another service's database, naming both services", () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    world.addNode('orders-1', (ctx) => {
      registry.openDatabase(ctx, 'orders');
      return {};
    }, { labels: { service: 'orders' } });
    let refusal: unknown;
    world.addNode('shipping-1', (ctx) => {
      try {
        registry.openDatabase(ctx, 'orders');
      } catch (error) {
        refusal = error;
      }
      return {};
    }, { labels: { service: 'shipping' } });
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as Error).message).toBe(
      "service 'shipping' (node shipping-1) cannot open database 'orders': it belongs to service 'orders' (node orders-1); ask orders through its API or its events",
    );
    expect(registry.ownerOf('orders')).toBe('orders');
  });

  it('gives modules of one service (a monolith) the same handle, so they share its lock', () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    const handles: Database[] = [];
    world.addNode('shop', (ctx) => {
      handles.push(registry.openDatabase(ctx, 'shop', FREE)); // orders module
      handles.push(registry.openDatabase(ctx, 'shop')); // payments module
      return {};
    });
    expect(handles[0]).toBe(handles[1]);
    expect(world.processErrors).toBe(0);
  });

  it('lets replicas of one service each open their own copy', () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    for (const name of ['orders-1', 'orders-2']) {
      world.addNode(name, (ctx) => {
        registry.openDatabase(ctx, 'orders');
        return {};
      }, { labels: { service: 'orders' } });
    }
    expect(world.processErrors).toBe(0);
    expect(registry.inspect('orders-1', 'orders')).not.toBe(registry.inspect('orders-2', 'orders'));
  });

  it('refuses a second open with contradicting options, and bad options', () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    const failures: string[] = [];
    world.addNode('shop', (ctx) => {
      registry.openDatabase(ctx, 'shop', { sync: 'always' });
      for (const attempt of [
        () => registry.openDatabase(ctx, 'shop', { sync: 'never' }),
        () => registry.openDatabase(ctx, 'other', { sync: { everyMs: 0 } }),
        () => registry.openDatabase(ctx, 'other', { readMs: -1 }),
        () => registry.openDatabase(ctx, 'bad name'),
      ]) {
        try {
          attempt();
        } catch (error) {
          if (error instanceof ConfigError) failures.push(error.message);
        }
      }
      return {};
    });
    expect(failures).toEqual([
      "database 'shop' on shop is already open with other options: open it once and share the handle, or pass the same options",
      'database other on shop: sync.everyMs is 0; use a finite number of ms > 0',
      'database other on shop: readMs is -1; use a finite number of ms >= 0',
      "database name 'bad name' is invalid: use letters, digits and _ . : - only",
    ]);
  });

  it('refuses to serve two worlds', () => {
    const registry = new DatabaseRegistry();
    const errors: unknown[] = [];
    for (const seed of [1, 2]) {
      const world = new World(seed);
      world.addNode('orders', (ctx) => {
        try {
          registry.openDatabase(ctx, 'orders');
        } catch (error) {
          errors.push(error);
        }
        return {};
      });
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ConfigError);
  });
});
