// Tests for services/data/replicated-kv.ts: quorum sizes, first-successes, and each mode's
// replication and reads on a small world (leader kv-1, followers kv-2 and kv-3 behind 20 ms links).
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { RpcError } from '../../sim/engine/errors.ts';
import { firstSuccesses, kvReplica, ReplicatedKvClient, resolveKvOptions, type ReplicatedKvOptions, type ReplicationMode, type Versioned } from './replicated-kv.ts';
import { HistoryRecorder } from './history.ts';

const FOLLOWERS = ['kv-2', 'kv-3'];

/** The world, and a `tester` node that runs `script` with a store client once the run starts. */
function kvWorld(mode: ReplicationMode, script: (client: ReplicatedKvClient, ctx: NodeContext, world: World) => Promise<void>) {
  const world = new World(5);
  const options: ReplicatedKvOptions = { mode, leader: 'kv-1', followers: FOLLOWERS, callTimeoutMs: 100 };
  for (const name of ['kv-1', ...FOLLOWERS]) world.addNode(name, kvReplica(options));
  for (const follower of FOLLOWERS) world.network.setLink('kv-1', follower, { latencyMs: { kind: 'constant', value: 20 } });
  world.addNode('tester', (ctx) => ({ onStart: () => ctx.spawn(() => script(new ReplicatedKvClient(ctx, ctx.rng, options), ctx, world)) }));
  return world;
}

/** What a replica holds for `key`, read from outside. */
function held(world: World, replica: string, key: string): Versioned | undefined {
  return (world.node(replica).durable.get('kv:data') as Map<string, Versioned> | undefined)?.get(key);
}

describe('resolveKvOptions', () => {
  it('defaults to a majority write quorum and R = N − W + 1', () => {
    expect(resolveKvOptions({ mode: 'quorum', leader: 'a', followers: ['b', 'c'] })).toMatchObject({ replicas: ['a', 'b', 'c'], writeQuorum: 2, readQuorum: 2, callTimeoutMs: 200 });
    expect(resolveKvOptions({ mode: 'quorum', leader: 'a', followers: ['b', 'c', 'd', 'e'] })).toMatchObject({ writeQuorum: 3, readQuorum: 3 });
  });

  it('refuses quorums that do not overlap in quorum mode, out-of-range sizes and repeated names', () => {
    expect(() => resolveKvOptions({ mode: 'quorum', leader: 'a', followers: ['b', 'c'], writeQuorum: 2, readQuorum: 1 })).toThrow('replicated kv: R + W must exceed N for quorum mode (R=1, W=2, N=3)');
    expect(() => resolveKvOptions({ mode: 'sync', leader: 'a', followers: ['b'], writeQuorum: 3 })).toThrow('replicated kv: quorums W=3, R=0 must lie in 1..2');
    expect(() => resolveKvOptions({ mode: 'sync', leader: 'a', followers: ['a'] })).toThrow('replicated kv: replica names must be distinct, got a, a');
  });
});

describe('firstSuccesses', () => {
  it('resolves with the first successes in the order they arrive', async () => {
    const late = new Promise<number>(() => undefined); // never answers: the quorum does not wait for it
    expect(await firstSuccesses([late, Promise.resolve(2), Promise.reject(new Error('x')), Promise.resolve(3)], 2, 'test')).toEqual([2, 3]);
  });

  it('rejects as unavailable once too many failed to reach the quorum', async () => {
    const failing = [Promise.reject(new Error('down')), Promise.reject(new Error('gone')), new Promise<number>(() => undefined)];
    await expect(firstSuccesses(failing, 2, 'reading k')).rejects.toMatchObject({ code: 'unavailable', message: 'reading k: 2 of 3 needed, 2 failed (down)' });
  });
});

describe('replication modes', () => {
  it('sync: a write is on every follower when acknowledged; reads go to the leader', async () => {
    const seen: unknown[] = [];
    const world = kvWorld('sync', async (client, ctx, w) => {
      seen.push(await client.run({ kind: 'write', key: 'k', value: 'a' }));
      seen.push(held(w, 'kv-2', 'k'), held(w, 'kv-3', 'k'), ctx.name);
      seen.push(await client.run({ kind: 'read', key: 'k' }));
    });
    await world.sim.run();
    expect(seen).toEqual([{ version: 1 }, { value: 'a', version: 1 }, { value: 'a', version: 1 }, 'tester', { value: 'a', version: 1 }]);
  });

  it('sync: when a follower cannot be reached the write fails as indeterminate (code application), yet the leader keeps it', async () => {
    let error: unknown;
    const world = kvWorld('sync', async (client) => {
      await client.run({ kind: 'write', key: 'k', value: 'a' }).catch((caught: unknown) => (error = caught));
    });
    world.network.partition(['kv-1'], ['kv-3']);
    await world.sim.run();
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe('application');
    expect((error as RpcError).message).toContain('the write may or may not take effect');
    expect(held(world, 'kv-1', 'k')).toEqual({ value: 'a', version: 1 });
  });

  it('async-follower-reads: a write is acknowledged before the followers have it, so a follower read right after is stale', async () => {
    const seen: unknown[] = [];
    const world = kvWorld('async-follower-reads', async (client, ctx) => {
      await client.run({ kind: 'write', key: 'k', value: 'a' });
      seen.push(await client.run({ kind: 'read', key: 'k' }));
      await ctx.sleep(100);
      seen.push(await client.run({ kind: 'read', key: 'k' }));
    });
    await world.sim.run();
    expect(seen).toEqual([{ value: null, version: 0 }, { value: 'a', version: 1 }]);
  });

  it('quorum: a write needs W = 2 replicas; a read writes the newest value back to a replica that missed it', async () => {
    const seen: unknown[] = [];
    const world = kvWorld('quorum', async (client, _ctx, w) => {
      w.network.partition(['kv-1'], ['kv-3']);
      seen.push(await client.run({ kind: 'write', key: 'k', value: 'a' }));
      seen.push(held(w, 'kv-3', 'k'));
      seen.push(await client.run({ kind: 'read', key: 'k' }));
      seen.push(held(w, 'kv-3', 'k'));
    });
    await world.sim.run();
    expect(seen).toEqual([{ version: 1 }, undefined, { value: 'a', version: 1 }, { value: 'a', version: 1 }]);
  });

  it('compare-and-set applies only on a match; append builds a list; followers refuse writes', async () => {
    const seen: unknown[] = [];
    const world = kvWorld('sync', async (client, ctx) => {
      await client.run({ kind: 'write', key: 'k', value: 1 });
      seen.push(await client.run({ kind: 'cas', key: 'k', expected: 2, value: 3 }));
      seen.push(await client.run({ kind: 'cas', key: 'k', expected: 1, value: 3 }));
      await client.run({ kind: 'append', key: 'log', value: 'x' });
      await client.run({ kind: 'append', key: 'log', value: 'y' });
      seen.push(await client.run({ kind: 'read', key: 'log' }));
      seen.push(await client.run({ kind: 'append', key: 'k', value: 'z' }).catch((error: RpcError) => `${error.code}: ${error.message}`));
      seen.push(await ctx.call('kv-2', 'write', { key: 'k', value: 9 }).catch((error: RpcError) => `${error.code}: ${error.message}`));
    });
    await world.sim.run();
    expect(seen).toEqual([
      { applied: false, value: 1, version: 1 },
      { version: 2 },
      { value: ['x', 'y'], version: 2 },
      'bad-request: cannot append to k: it holds 3, not a list',
      'bad-request: kv-2 is a follower: send writes to kv-1',
    ]);
  });

  it('recorded through a history recorder: a cas that did not match is a fail, a write cut off in sync mode is unknown', async () => {
    let recorder: HistoryRecorder | undefined;
    const world = kvWorld('sync', async (client, _ctx, w) => {
      const history = (recorder = new HistoryRecorder(w));
      const run = (request: Parameters<ReplicatedKvClient['run']>[0]) => history.track('s1', request, () => client.run(request)).catch(() => undefined);
      await run({ kind: 'write', key: 'k', value: 1 });
      await run({ kind: 'cas', key: 'k', expected: 5, value: 6 });
      w.network.partition(['kv-1'], ['kv-2']);
      await run({ kind: 'write', key: 'k', value: 2 });
    });
    await world.sim.run();
    expect(recorder!.operations.map((operation) => [operation.kind, operation.outcome])).toEqual([
      ['write', 'ok'],
      ['cas', 'fail'],
      ['write', 'unknown'],
    ]);
  });
});
