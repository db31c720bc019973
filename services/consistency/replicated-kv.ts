// A single-leader replicated key-value store on the simulation's nodes and network, in three modes
// whose consistency the history checkers tell apart:
// - `sync`: the leader applies a write, waits until every follower has it, then acknowledges; reads
//   go to the leader. Linearizable (the leader's copy is the register; followers are for durability).
// - `async-follower-reads`: the leader acknowledges at once and replicates in the background; reads
//   go to a random follower. Not linearizable: a read can miss an acknowledged write.
// - `quorum`: the leader orders every write (one version sequence per key) and acknowledges once W
//   of N replicas have it (itself included); a read asks every replica, takes the newest of the
//   first R answers, writes that version back until W replicas hold it, then answers (ABD-style
//   read repair). With R + W > N this is linearizable; without the write-back it would not be (two
//   reads during one write could see new, then old).
import { RpcError, errorMessage } from '../../sim/engine/errors.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import type { NodeFactory } from '../../sim/world/node.ts';
import type { Rng } from '../../sim/engine/rng.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import type { Caller, OperationRequest, StoreReply } from './history.ts';

/** How the store replicates and where it reads. */
export type ReplicationMode = 'sync' | 'async-follower-reads' | 'quorum';

/** Options shared by the replicas and the client. */
export interface ReplicatedKvOptions {
  mode: ReplicationMode;
  leader: string;
  followers: readonly string[];
  /** Timeout of each replication, read or write-back call, ms. Default 200. */
  callTimeoutMs?: number;
  /** quorum: replicas (leader included) that must hold a write before it is acknowledged. Default: a majority of N. */
  writeQuorum?: number;
  /** quorum: replies a read waits for. Default N − W + 1, so that R + W > N. */
  readQuorum?: number;
}

/** Options with defaults filled in. */
export interface ResolvedKvOptions {
  mode: ReplicationMode;
  leader: string;
  followers: readonly string[];
  replicas: readonly string[];
  callTimeoutMs: number;
  writeQuorum: number;
  readQuorum: number;
}

/** A value and the version the leader gave it (0: never written). */
export interface Versioned {
  value: unknown;
  version: number;
}

/** Fills defaults and checks the quorum sizes; throws ConfigError on impossible settings. */
export function resolveKvOptions(options: ReplicatedKvOptions): ResolvedKvOptions {
  const replicas = [options.leader, ...options.followers];
  const count = replicas.length;
  const writeQuorum = options.writeQuorum ?? Math.floor(count / 2) + 1;
  const readQuorum = options.readQuorum ?? count - writeQuorum + 1;
  if (new Set(replicas).size !== count) throw new ConfigError(`replicated kv: replica names must be distinct, got ${replicas.join(', ')}`);
  if (!(writeQuorum >= 1 && writeQuorum <= count && readQuorum >= 1 && readQuorum <= count)) {
    throw new ConfigError(`replicated kv: quorums W=${writeQuorum}, R=${readQuorum} must lie in 1..${count}`);
  }
  if (options.mode === 'quorum' && readQuorum + writeQuorum <= count) {
    throw new ConfigError(`replicated kv: R + W must exceed N for quorum mode (R=${readQuorum}, W=${writeQuorum}, N=${count})`);
  }
  return { mode: options.mode, leader: options.leader, followers: options.followers, replicas, callTimeoutMs: options.callTimeoutMs ?? 200, writeQuorum, readQuorum };
}

/** Durable key of a replica's data in its node's storage. */
const DATA_KEY = 'kv:data';

function dataOf(ctx: NodeContext): Map<string, Versioned> {
  let data = ctx.durable.get(DATA_KEY) as Map<string, Versioned> | undefined;
  if (data === undefined) ctx.durable.set(DATA_KEY, (data = new Map()));
  return data;
}

/**
 * Resolves with the first `needed` successes of `calls`, or rejects once so many failed that
 * `needed` can no longer be reached. Every call is awaited, so none rejects unhandled.
 */
export function firstSuccesses<T>(calls: readonly Promise<T>[], needed: number, what: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const values: T[] = [];
    const errors: string[] = [];
    let settled = false;
    for (const call of calls) {
      call.then(
        (value) => {
          if (settled) return;
          values.push(value);
          if (values.length === needed) {
            settled = true;
            resolve(values);
          }
        },
        (error: unknown) => {
          if (settled) return;
          errors.push(errorMessage(error));
          if (calls.length - errors.length < needed) {
            settled = true;
            reject(new RpcError('unavailable', `${what}: ${needed} of ${calls.length} needed, ${errors.length} failed (${errors[0]})`));
          }
        },
      );
    }
  });
}

/**
 * One replica of the store (run it on the leader and on every follower). Data lives in the node's
 * durable storage, so a crash keeps every write the replica applied. Handlers: `get` and
 * `replicate` on every replica; `read`, `write`, `cas`, `append` on the leader.
 */
export function kvReplica(options: ReplicatedKvOptions): NodeFactory {
  const resolved = resolveKvOptions(options);
  return (ctx) => {
    const data = dataOf(ctx);
    const isLeader = ctx.name === resolved.leader;
    const current = (key: string): Versioned => data.get(key) ?? { value: null, version: 0 };
    const leaderOnly = (): void => {
      if (!isLeader) throw new RpcError('bad-request', `${ctx.name} is a follower: send writes to ${resolved.leader}`, ctx.name);
    };

    /** Replicates an applied version as the mode demands. After the local apply, any error is indeterminate. */
    const replicate = async (key: string, entry: Versioned): Promise<void> => {
      const calls = resolved.followers.map((follower) => ctx.call(follower, 'replicate', { key, ...entry }, { timeoutMs: resolved.callTimeoutMs }));
      if (resolved.mode === 'async-follower-reads') {
        for (const call of calls) call.catch(() => undefined); // fire and forget: a lost update stays lost
        return;
      }
      const needed = resolved.mode === 'sync' ? resolved.followers.length : resolved.writeQuorum - 1;
      try {
        await firstSuccesses(calls, needed, `replicating ${key}@v${entry.version}`);
      } catch (error) {
        // Code `application`: the write is applied here and may survive, so the caller must not count it failed.
        throw new RpcError('application', `${errorMessage(error)}; the write may or may not take effect`, ctx.name);
      }
    };

    /** Applies `next` to the current value as the leader, atomically, then replicates. */
    const commit = async (key: string, next: (value: unknown) => { value: unknown } | undefined): Promise<StoreReply> => {
      leaderOnly();
      const before = current(key);
      const change = next(before.value);
      if (change === undefined) return { applied: false, value: before.value, version: before.version };
      const entry = { value: change.value, version: before.version + 1 };
      data.set(key, entry);
      await replicate(key, entry);
      return { version: entry.version };
    };

    return {
      handlers: {
        get: (body: { key: string }): Versioned => current(body.key),
        replicate: (body: { key: string; value: unknown; version: number }): { version: number } => {
          // Newer versions only: replication and write-backs may arrive late or out of order.
          if (body.version > current(body.key).version) data.set(body.key, { value: body.value, version: body.version });
          return { version: current(body.key).version };
        },
        read: (body: { key: string }): StoreReply => {
          leaderOnly();
          return current(body.key);
        },
        write: (body: { key: string; value: unknown }) => commit(body.key, () => ({ value: body.value })),
        cas: (body: { key: string; expected: unknown; value: unknown }) =>
          commit(body.key, (value) => (JSON.stringify(value ?? null) === JSON.stringify(body.expected ?? null) ? { value: body.value } : undefined)),
        append: (body: { key: string; value: unknown }) =>
          commit(body.key, (value) => {
            if (value !== null && !Array.isArray(value)) throw new RpcError('bad-request', `cannot append to ${body.key}: it holds ${JSON.stringify(value)}, not a list`, ctx.name);
            return { value: [...((value as unknown[] | null) ?? []), body.value] };
          }),
      },
    };
  };
}

/**
 * The store's client, for any node: sends writes to the leader and reads where the mode says
 * (leader, a random follower, or a quorum with write-back). Wrap its calls in a
 * `HistoryRecorder.track` to record a history.
 */
export class ReplicatedKvClient {
  private readonly options: ResolvedKvOptions;

  constructor(
    private readonly caller: Caller,
    /** Picks the follower of an async read: give it the node's own stream. */
    private readonly rng: Rng,
    options: ReplicatedKvOptions,
    /** Timeout of a call to the leader, ms (it covers the leader's replication). Default 500. */
    private readonly leaderTimeoutMs = 500,
  ) {
    this.options = resolveKvOptions(options);
  }

  /** Runs one operation. */
  run(request: OperationRequest): Promise<StoreReply> {
    const { leader } = this.options;
    const timeoutMs = this.leaderTimeoutMs;
    switch (request.kind) {
      case 'read':
        return this.read(request.key);
      case 'write':
        return this.caller.call<StoreReply>(leader, 'write', { key: request.key, value: request.value }, { timeoutMs });
      case 'cas':
        return this.caller.call<StoreReply>(leader, 'cas', { key: request.key, expected: request.expected, value: request.value }, { timeoutMs });
      case 'append':
        return this.caller.call<StoreReply>(leader, 'append', { key: request.key, value: request.value }, { timeoutMs });
    }
  }

  private async read(key: string): Promise<StoreReply> {
    const { mode, leader, followers, replicas, callTimeoutMs, readQuorum, writeQuorum } = this.options;
    if (mode === 'sync') return this.caller.call<StoreReply>(leader, 'read', { key }, { timeoutMs: this.leaderTimeoutMs });
    if (mode === 'async-follower-reads') {
      const follower = followers.length === 0 ? leader : followers[this.rng.int(0, followers.length)]!;
      return this.caller.call<Versioned>(follower, 'get', { key }, { timeoutMs: callTimeoutMs });
    }
    const answers = await firstSuccesses(
      replicas.map((replica) => this.caller.call<Versioned>(replica, 'get', { key }, { timeoutMs: callTimeoutMs })),
      readQuorum,
      `reading ${key}`,
    );
    const newest = answers.reduce((best, answer) => (answer.version > best.version ? answer : best));
    // Write-back: once W replicas hold what this read returns, no later read can return older.
    if (newest.version > 0) {
      await firstSuccesses(
        replicas.map((replica) => this.caller.call(replica, 'replicate', { key, ...newest }, { timeoutMs: callTimeoutMs })),
        writeQuorum,
        `writing back ${key}@v${newest.version}`,
      );
    }
    return newest;
  }
}
