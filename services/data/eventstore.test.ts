// Tests for services/data/eventstore.ts: optimistic concurrency, replay equal to the live state (a
// property over random command sequences with crashes), snapshots, state as of a time, durability.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { isRpcError } from '../../sim/engine/errors.ts';
import type { TraceEvent } from '../../sim/engine/trace.ts';
import { DatabaseRegistry, type DatabaseOptions } from './database.ts';
import { EventStore, isConcurrencyError, ConcurrencyError, type Reducer, type LoadedState } from './eventstore.ts';

type AccountEvent = { type: 'Opened' } | { type: 'Deposited'; amount: number } | { type: 'Withdrawn'; amount: number };
type Command = { kind: 'open' } | { kind: 'deposit'; amount: number } | { kind: 'withdraw'; amount: number };

interface Account {
  open: boolean;
  balance: number;
}

const accountReducer: Reducer<Account, AccountEvent> = {
  name: 'account',
  initial: () => ({ open: false, balance: 0 }),
  apply(state, event) {
    switch (event.type) {
      case 'Opened':
        return { ...state, open: true };
      case 'Deposited':
        return { ...state, balance: state.balance + event.amount };
      case 'Withdrawn':
        return { ...state, balance: state.balance - event.amount };
    }
  },
};

/** The write side's decision: events for an accepted command, undefined for a rejected one. */
function decide(state: Account, command: Command): AccountEvent[] | undefined {
  switch (command.kind) {
    case 'open':
      return state.open ? undefined : [{ type: 'Opened' }];
    case 'deposit':
      return state.open ? [{ type: 'Deposited', amount: command.amount }] : undefined;
    case 'withdraw':
      return state.open && state.balance >= command.amount ? [{ type: 'Withdrawn', amount: command.amount }] : undefined;
  }
}

const FREE: DatabaseOptions = { readMs: 0, writeMs: 0, commitMs: 0, syncMs: 0 };

/**
 * Node `accounts` with an event store; `command` loads, decides and appends, retrying on a
 * conflict, and reports each accepted command to `onAccepted` right after its commit.
 */
function accountsWorld(options: { db: DatabaseOptions; snapshotEvery?: number; onAccepted?: (account: string, command: Command) => void }) {
  const world = new World(1);
  const registry = new DatabaseRegistry();
  const live: { ctx?: NodeContext; store?: EventStore<AccountEvent> } = {};
  const trace: TraceEvent[] = [];
  world.sim.trace.addSink((event) => {
    if (event.kind.startsWith('eventstore.')) trace.push(event);
  });
  world.addNode('accounts', (ctx) => {
    const store = new EventStore<AccountEvent>(registry.openDatabase(ctx, 'accounts', options.db), options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery });
    live.ctx = ctx;
    live.store = store;
    return {
      handlers: {
        command: async (body: { account: string; command: Command }) => {
          for (let attempt = 1; attempt <= 5; attempt++) {
            const loaded = await store.load(body.account, accountReducer);
            const events = decide(loaded.state, body.command);
            if (events === undefined) return 'rejected';
            try {
              const result = await store.append(body.account, events, { expectedVersion: loaded.version });
              options.onAccepted?.(body.account, body.command);
              return result.version;
            } catch (error) {
              if (!isConcurrencyError(error)) throw error;
            }
          }
          return 'gave-up';
        },
      },
    };
  });
  const command = (atMs: number, account: string, cmd: Command): void => {
    world.sim.at(atMs, () => void world.call('accounts', 'command', { account, command: cmd }, { timeoutMs: 10_000 }).catch(() => undefined));
  };
  /** Runs `body` on the node at `atMs` and keeps its result. */
  const onNode = <T>(atMs: number, body: (store: EventStore<AccountEvent>) => Promise<T>): { value?: T; error?: unknown } => {
    const box: { value?: T; error?: unknown } = {};
    world.sim.at(atMs, () =>
      live.ctx!.spawn(async () => {
        try {
          box.value = await body(live.store!);
        } catch (error) {
          box.error = error;
        }
      }),
    );
    return box;
  };
  return { world, registry, live, trace, command, onNode };
}

describe('EventStore append and read', () => {
  it('numbers events per stream and globally, stamped with the store clock', async () => {
    const h = accountsWorld({ db: FREE });
    h.onNode(10, (store) => store.append('a', [{ type: 'Opened' }, { type: 'Deposited', amount: 5 }], { expectedVersion: 0 }));
    h.onNode(20, (store) => store.append('b', [{ type: 'Opened' }], { expectedVersion: 0 }));
    h.onNode(30, (store) => store.append('a', [{ type: 'Withdrawn', amount: 2 }], { expectedVersion: 2 }));
    const streamA = h.onNode(40, (store) => store.read('a', { fromVersion: 2 }));
    const all = h.onNode(40, (store) => store.readAll({ fromPosition: 2, maxCount: 2 }));
    const version = h.onNode(40, (store) => store.version('a'));
    await h.world.sim.run({ untilMs: 50 });
    expect(streamA.value).toEqual([
      { streamId: 'a', version: 2, position: 2, appendedAtMs: 10, event: { type: 'Deposited', amount: 5 } },
      { streamId: 'a', version: 3, position: 4, appendedAtMs: 30, event: { type: 'Withdrawn', amount: 2 } },
    ]);
    expect(all.value!.map((e) => [e.position, e.streamId, e.version])).toEqual([
      [2, 'a', 2],
      [3, 'b', 1],
    ]);
    expect(version.value).toBe(3);
    expect(h.trace.map((e) => e.detail)).toEqual(['a v1..2 @1', 'b v1..1 @3', 'a v3..3 @4']);
  });

  it('rejects an append at an unexpected version with a typed ConcurrencyError and writes nothing', async () => {
    const h = accountsWorld({ db: FREE });
    h.onNode(0, (store) => store.append('a', [{ type: 'Opened' }], { expectedVersion: 0 }));
    const conflict = h.onNode(1, (store) => store.append('a', [{ type: 'Deposited', amount: 1 }], { expectedVersion: 0 }));
    const anyVersion = h.onNode(2, (store) => store.append('a', [{ type: 'Deposited', amount: 9 }], { expectedVersion: 'any' }));
    const events = h.onNode(3, (store) => store.read('a'));
    await h.world.sim.run({ untilMs: 10 });
    const error = conflict.error;
    expect(isConcurrencyError(error)).toBe(true);
    expect(isRpcError(error, 'conflict')).toBe(true);
    expect(error).toMatchObject({ streamId: 'a', expectedVersion: 0, actualVersion: 1, message: 'stream a is at version 1, expected 0' });
    expect(isConcurrencyError(new Error('stream a is at version 1'))).toBe(false);
    expect(anyVersion.value!.version).toBe(2);
    expect(events.value!.map((e) => e.event)).toEqual([{ type: 'Opened' }, { type: 'Deposited', amount: 9 }]);
    expect(h.trace.filter((e) => e.kind === 'eventstore.conflict').map((e) => [e.atMs, e.detail])).toEqual([[1, 'a expected v0 at v1']]);
  });

  it('makes one of two concurrent commands on a stream conflict and retry', async () => {
    const accepted: string[] = [];
    const h = accountsWorld({ db: { readMs: 1, writeMs: 0, commitMs: 1, syncMs: 0 }, onAccepted: (account, command) => accepted.push(`${account} ${command.kind}`) });
    h.command(0, 'a', { kind: 'open' });
    h.command(10, 'a', { kind: 'deposit', amount: 3 });
    h.command(10, 'a', { kind: 'deposit', amount: 4 });
    const loaded = h.onNode(100, (store) => store.replay('a', accountReducer));
    await h.world.sim.run({ untilMs: 200 });
    // Both load v1 at 11; the first appends (stream read 12, head read 13, commit 14); the second
    // waits for the lock and reads the stream at v2 at 15.
    expect(h.trace.filter((e) => e.kind === 'eventstore.conflict').map((e) => [e.atMs, e.detail])).toEqual([[15, 'a expected v1 at v2']]);
    expect(accepted).toEqual(['a open', 'a deposit', 'a deposit']);
    expect(loaded.value).toEqual({ state: { open: true, balance: 7 }, version: 3, snapshotVersion: 0 });
  });

  it('refuses an invalid stream id as a bad request', async () => {
    const h = accountsWorld({ db: FREE });
    const bad = h.onNode(0, (store) => store.append('a#1', [{ type: 'Opened' }], { expectedVersion: 0 }));
    await h.world.sim.run({ untilMs: 10 });
    expect(isRpcError(bad.error, 'bad-request')).toBe(true);
  });
});

describe('EventStore replay', () => {
  const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
    fc.constant<Command>({ kind: 'open' }),
    fc.integer({ min: 1, max: 20 }).map((amount): Command => ({ kind: 'deposit', amount })),
    fc.integer({ min: 1, max: 20 }).map((amount): Command => ({ kind: 'withdraw', amount })),
  );

  it('rebuilds exactly the live state, with and without snapshots, across a crash (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 30 }), account: fc.constantFrom('a', 'b', 'c'), command: commandArbitrary }), { minLength: 1, maxLength: 25 }),
        fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
        async (commands, crashAtMs) => {
          // The live state: accepted commands applied directly, in commit order, without events.
          const live = new Map<string, Account & { version: number }>();
          const invalidDecisions: string[] = [];
          const h = accountsWorld({
            db: { readMs: 1, writeMs: 0.5, commitMs: 1, syncMs: 1 },
            snapshotEvery: 2,
            onAccepted: (account, command) => {
              const state = live.get(account) ?? { open: false, balance: 0, version: 0 };
              // Each decision must hold on the live state at its commit: optimistic concurrency
              // is what guarantees it when commands on one account overlap.
              const valid = command.kind === 'open' ? !state.open : command.kind === 'deposit' ? state.open : state.open && state.balance >= command.amount;
              if (!valid) invalidDecisions.push(`${account} ${command.kind}`);
              if (command.kind === 'open') state.open = true;
              else if (command.kind === 'deposit') state.balance += command.amount;
              else state.balance -= command.amount;
              state.version++;
              live.set(account, state);
            },
          });
          for (const { atMs, account, command } of commands) h.command(atMs, account, command);
          if (crashAtMs !== undefined) {
            h.world.sim.at(crashAtMs, () => h.world.crash('accounts'));
            h.world.sim.at(crashAtMs + 1, () => h.world.restart('accounts'));
          }
          const rebuilt = h.onNode(1000, async (store) => {
            const out: Record<string, { replay: LoadedState<Account>; load: LoadedState<Account>; reload: LoadedState<Account> }> = {};
            for (const account of ['a', 'b', 'c']) {
              const replay = await store.replay(account, accountReducer);
              const load = await store.load(account, accountReducer);
              const reload = await store.load(account, accountReducer);
              out[account] = { replay, load, reload };
            }
            return out;
          });
          await h.world.sim.run({ untilMs: 2000 });
          expect(rebuilt.error).toBeUndefined();
          expect(invalidDecisions).toEqual([]);
          for (const account of ['a', 'b', 'c']) {
            const expected = live.get(account) ?? { open: false, balance: 0, version: 0 };
            const { replay, load, reload } = rebuilt.value![account];
            expect({ ...replay.state, version: replay.version }).toEqual(expected);
            expect(expected.balance).toBeGreaterThanOrEqual(0);
            expect(load.state).toEqual(replay.state);
            expect(reload.state).toEqual(replay.state);
            expect(reload.version).toBe(replay.version);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('loads from a snapshot every N events and gets the state a full replay gets', async () => {
    const h = accountsWorld({ db: FREE, snapshotEvery: 3 });
    const deposits = (amounts: number[]): AccountEvent[] => amounts.map((amount) => ({ type: 'Deposited', amount }));
    h.onNode(0, (store) => store.append('a', [{ type: 'Opened' }, ...deposits([1, 2, 3, 4, 5, 6])], { expectedVersion: 0 }));
    const first = h.onNode(1, (store) => store.load('a', accountReducer));
    h.onNode(2, (store) => store.append('a', deposits([10, 20]), { expectedVersion: 7 }));
    const second = h.onNode(3, (store) => store.load('a', accountReducer));
    const full = h.onNode(3, (store) => store.replay('a', accountReducer));
    await h.world.sim.run({ untilMs: 10 });
    expect(first.value).toEqual({ state: { open: true, balance: 21 }, version: 7, snapshotVersion: 0 });
    expect(second.value).toEqual({ state: { open: true, balance: 51 }, version: 9, snapshotVersion: 7 });
    expect(full.value!.state).toEqual(second.value!.state);
    // Two events past the snapshot are fewer than 3: no new snapshot yet.
    expect(h.live.store!.db.peek('es.snapshots.account', 'a')).toMatchObject({ version: 7, state: { open: true, balance: 21 } });
    expect(h.trace.filter((e) => e.kind === 'eventstore.snapshot').map((e) => e.detail)).toEqual(['a account v7']);
  });
});

describe('EventStore time and durability', () => {
  it('gives the state as of a virtual time by folding the events appended until then', async () => {
    const h = accountsWorld({ db: FREE, snapshotEvery: 1 });
    h.onNode(10, (store) => store.append('a', [{ type: 'Opened' }, { type: 'Deposited', amount: 1 }], { expectedVersion: 0 }));
    h.onNode(20, (store) => store.append('a', [{ type: 'Deposited', amount: 2 }], { expectedVersion: 2 }));
    h.onNode(30, (store) => store.append('a', [{ type: 'Deposited', amount: 4 }], { expectedVersion: 3 }));
    h.onNode(31, (store) => store.load('a', accountReducer)); // leaves a snapshot at v4 (t = 30)
    const asOf = h.onNode(40, async (store) => {
      const out: [number, number, number, number][] = [];
      for (const t of [5, 10, 19.5, 20, 29, 30, 1000]) {
        const loaded = await store.load('a', accountReducer, { asOfMs: t });
        const replayed = await store.replay('a', accountReducer, { asOfMs: t });
        expect(loaded.state).toEqual(replayed.state);
        out.push([t, loaded.version, loaded.state.balance, loaded.snapshotVersion]);
      }
      return out;
    });
    await h.world.sim.run({ untilMs: 50 });
    expect(asOf.error).toBeUndefined();
    expect(asOf.value).toEqual([
      [5, 0, 0, 0],
      [10, 2, 1, 0],
      [19.5, 2, 1, 0],
      [20, 3, 3, 0],
      [29, 3, 3, 0],
      [30, 4, 7, 4],
      [1000, 4, 7, 4],
    ]);
  });

  it('never stamps an event earlier than the one before it, even when the clock steps back', async () => {
    const h = accountsWorld({ db: FREE });
    h.onNode(10, (store) => store.append('a', [{ type: 'Opened' }], { expectedVersion: 0 }));
    h.world.sim.at(11, () => h.world.skewClock('accounts', -8));
    h.onNode(12, (store) => store.append('b', [{ type: 'Opened' }], { expectedVersion: 0 }));
    h.onNode(20, (store) => store.append('b', [{ type: 'Deposited', amount: 1 }], { expectedVersion: 1 }));
    const all = h.onNode(30, (store) => store.readAll());
    await h.world.sim.run({ untilMs: 40 });
    expect(all.value!.map((e) => e.appendedAtMs)).toEqual([10, 10, 12]);
  });

  it("keeps its streams across a crash under sync 'always'", async () => {
    const h = accountsWorld({ db: FREE });
    h.command(0, 'a', { kind: 'open' });
    h.command(1, 'a', { kind: 'deposit', amount: 5 });
    h.world.sim.at(5, () => h.world.crash('accounts'));
    h.world.sim.at(6, () => h.world.restart('accounts'));
    h.command(7, 'a', { kind: 'withdraw', amount: 2 });
    const after = h.onNode(10, (store) => store.replay('a', accountReducer));
    await h.world.sim.run({ untilMs: 20 });
    expect(after.value).toEqual({ state: { open: true, balance: 3 }, version: 3, snapshotVersion: 0 });
  });

  it('feeds only events on disk when asked (durableOnly), and loses unsynced ones on a crash', async () => {
    const h = accountsWorld({ db: { ...FREE, sync: { everyMs: 10 } } });
    h.onNode(0, (store) => store.append('a', [{ type: 'Opened' }], { expectedVersion: 0 }));
    h.onNode(12, (store) => store.append('a', [{ type: 'Deposited', amount: 1 }], { expectedVersion: 1 }));
    const before = h.onNode(13, async (store) => ({
      durable: (await store.readAll({ durableOnly: true })).map((e) => e.position),
      committed: (await store.readAll()).map((e) => e.position),
    }));
    h.world.sim.at(14, () => h.world.crash('accounts'));
    h.world.sim.at(15, () => h.world.restart('accounts'));
    const after = h.onNode(16, async (store) => ({ head: await store.headPosition(), version: await store.version('a') }));
    await h.world.sim.run({ untilMs: 30 });
    expect(before.value).toEqual({ durable: [1], committed: [1, 2] });
    expect(after.value).toEqual({ head: 1, version: 1 });
  });
});
