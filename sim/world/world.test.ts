// Tests for sim/world/world.ts: node registry and naming, fault methods and their trace events, partitions
// by name (isolate included), and the client ingress (world.request / world.call).
import { describe, expect, it } from 'vitest';
import { World, CLIENT } from './world.ts';
import { ConfigError, RpcError } from '../engine/errors.ts';
import type { CallOutcome } from './rpc.ts';
import type { TraceEvent } from '../engine/trace.ts';
import type { Request } from './node.ts';

const constantMs = (value: number) => ({ kind: 'constant', value }) as const;

function traced(world: World): TraceEvent[] {
  const events: TraceEvent[] = [];
  world.sim.trace.addSink((event) => events.push(event));
  return events;
}

describe('node registry', () => {
  it('adds and starts nodes in order, traced as node.start', () => {
    const world = new World(1);
    const trace = traced(world);
    world.addNode('a', () => ({}));
    world.addNode('b-1.x:y_z', () => ({}));
    expect(world.allNodes().map((node) => [node.name, node.status])).toEqual([
      ['a', 'up'],
      ['b-1.x:y_z', 'up'],
    ]);
    expect(world.hasNode('a')).toBe(true);
    expect(world.hasNode('c')).toBe(false);
    expect(trace.map((event) => `${event.kind} ${event.node}`)).toEqual(['node.start a', 'node.start b-1.x:y_z']);
  });

  it.each([
    ['has a space', 'a b', /node name 'a b' is invalid/],
    ['is empty', '', /node name '' is invalid/],
    ['is client', CLIENT, /node name 'client' is already taken/],
  ])('refuses a name that %s with a ConfigError', (_why, name, message) => {
    const world = new World(1);
    expect(() => world.addNode(name, () => ({}))).toThrow(ConfigError);
    expect(() => world.addNode(name, () => ({}))).toThrow(message);
  });

  it('refuses a duplicate name', () => {
    const world = new World(1);
    world.addNode('a', () => ({}));
    expect(() => world.addNode('a', () => ({}))).toThrow(/node name 'a' is already taken: give each node a unique name/);
  });

  it('an unknown node is a ConfigError listing the known nodes', () => {
    const world = new World(1);
    expect(() => world.node('x')).toThrow("unknown node 'x': known nodes are (none)");
    world.addNode('a', () => ({}));
    world.addNode('b', () => ({}));
    expect(() => world.crash('x')).toThrow("unknown node 'x': known nodes are a, b");
    expect(() => world.partition(['a'], ['x'])).toThrow(ConfigError);
  });
});

describe('fault methods trace every state change', () => {
  it('emits one trace event per fault, with its details', async () => {
    const world = new World(1);
    world.addNode('a', () => ({}));
    world.addNode('b', () => ({}));
    const trace = traced(world);
    world.sim.schedule(1, () => world.crash('a', { wipeDurable: true }));
    world.sim.schedule(2, () => world.restart('a'));
    world.sim.schedule(3, () => world.pause('b'));
    world.sim.schedule(4, () => world.resume('b'));
    world.sim.schedule(5, () => world.slow('b', 4));
    world.sim.schedule(6, () => world.skewClock('b', 250, 10));
    world.sim.schedule(7, () => world.partition(['a'], ['b', CLIENT], { oneWay: true }));
    world.sim.schedule(8, () => world.heal(1));
    world.sim.schedule(9, () => world.hold('a', '*'));
    world.sim.schedule(10, () => world.release());
    world.sim.schedule(11, () => world.heal());
    world.sim.schedule(12, () => world.removeNode('b'));
    await world.sim.run();
    expect(trace.map((event) => [event.atMs, event.kind, event.node, event.peer, event.id, event.detail])).toEqual([
      [1, 'node.crash', 'a', undefined, undefined, 'wipe'],
      [2, 'node.restart', 'a', undefined, undefined, undefined],
      [3, 'node.pause', 'b', undefined, undefined, undefined],
      [4, 'node.resume', 'b', undefined, undefined, undefined],
      [5, 'node.slow', 'b', undefined, undefined, '4'],
      [6, 'node.skew', 'b', undefined, undefined, '250ms 10ppm'],
      [7, 'net.partition', 'a', 'b,client', 1, 'one-way'],
      [8, 'net.heal', '1', undefined, undefined, undefined],
      [9, 'net.hold', 'a', '*', undefined, undefined],
      [10, 'net.release', '*', '*', undefined, undefined],
      [11, 'net.heal', '*', undefined, undefined, undefined],
      [12, 'node.removed', 'b', undefined, undefined, undefined],
      [12, 'node.stopped', 'b', undefined, undefined, undefined],
    ]);
  });

  it('isolate cuts a node off from every other node and the clients, both ways', () => {
    const world = new World(1);
    for (const name of ['a', 'b', 'c']) world.addNode(name, () => ({}));
    const id = world.isolate('b');
    for (const other of ['a', 'c', CLIENT]) {
      expect(world.network.blocked('b', other)).toBe(true);
      expect(world.network.blocked(other, 'b')).toBe(true);
    }
    expect(world.network.blocked('a', 'c')).toBe(false);
    world.heal(id);
    expect(world.network.blocked('b', 'a')).toBe(false);
  });

  it('setLink goes to the network', async () => {
    const world = new World(1);
    const arrivals: number[] = [];
    world.addNode('a', () => ({}));
    world.addNode('b', () => ({ onMessage: () => void arrivals.push(world.nowMs) }));
    world.setLink('a', 'b', { latencyMs: constantMs(12) });
    world.sim.schedule(0, () => world.node('a').ctx.send('b', 'x'));
    await world.sim.run();
    expect(arrivals).toEqual([12]);
  });
});

describe('client ingress', () => {
  it('admits straight into the node (no network latency) and answers once', async () => {
    const world = new World(1, { network: { latencyMs: constantMs(50) } });
    world.addNode('svc', () => ({ handlers: { get: { serviceTimeMs: 4, handle: (n: number) => n + 1 } } }));
    const outcomes: [CallOutcome, number][] = [];
    world.sim.schedule(1, () => world.request('svc', 'get', 1, {}, (outcome) => outcomes.push([outcome, world.nowMs])));
    await world.sim.run();
    expect(outcomes).toEqual([[{ ok: true, value: 2 }, 5]]);
  });

  it('answers unavailable for an unknown node, refused for a down one, unavailable when the client is cut off — at once', async () => {
    const world = new World(1);
    world.addNode('down', () => ({}));
    world.addNode('cut', () => ({}));
    world.crash('down');
    world.partition([CLIENT], ['cut'], { oneWay: true });
    const outcomes: string[] = [];
    world.sim.schedule(3, () => {
      for (const to of ['ghost', 'down', 'cut']) {
        world.request(to, 'get', undefined, {}, (outcome) => outcomes.push(outcome.ok ? 'ok' : `${to}:${outcome.code}:${outcome.message}@${world.nowMs}`));
      }
    });
    await world.sim.run();
    expect(outcomes).toEqual(['ghost:unavailable:no node ghost@3', 'down:refused:down is down@3', 'cut:unavailable:cut is unreachable@3']);
  });

  it('times out at exactly timeoutMs and ignores the late answer', async () => {
    const world = new World(1);
    world.addNode('svc', () => ({ handlers: { get: { serviceTimeMs: 100, handle: () => 'late' } } }));
    const outcomes: string[] = [];
    world.sim.schedule(0, () => world.request('svc', 'get', undefined, { timeoutMs: 30 }, (outcome) => outcomes.push(`${outcome.ok ? 'ok' : outcome.code}@${world.nowMs}`)));
    const stop = await world.sim.run();
    expect(outcomes).toEqual(['timeout@30']);
    expect(stop.atMs).toBe(100);
  });

  it('an answer does not cross a partition that cut the node off from clients while it worked', async () => {
    const world = new World(1);
    world.addNode('svc', () => ({ handlers: { get: async (_p: unknown, req: Request) => (await req.cpu(10), 'done') } }));
    const trace = traced(world);
    const outcomes: string[] = [];
    world.sim.schedule(0, () => void world.call('svc', 'get', undefined, { timeoutMs: 100 }).then((v) => outcomes.push(`${String(v)}@${world.nowMs}`), (error: RpcError) => outcomes.push(`${error.code}@${world.nowMs}`)));
    world.sim.schedule(5, () => world.isolate('svc'));
    await world.sim.run();
    expect(outcomes).toEqual(['timeout@100']);
    expect(trace.filter((event) => event.kind === 'msg.dropped').map((event) => [event.atMs, event.node, event.peer, event.detail])).toEqual([[10, 'svc', CLIENT, 'partition']]);
  });

  it('the promise form resolves with the value or rejects with an RpcError', async () => {
    const world = new World(1);
    world.addNode('svc', () => ({
      handlers: {
        ok: () => 'fine',
        bad: () => {
          throw new Error('nope');
        },
      },
    }));
    const results: unknown[] = [];
    world.sim.schedule(0, () => {
      void world.call('svc', 'ok').then((value) => results.push(value));
      void world.call('svc', 'bad').catch((error: unknown) => results.push(error));
    });
    await world.sim.run();
    expect(results[0]).toBe('fine');
    expect(results[1]).toBeInstanceOf(RpcError);
    expect(results[1]).toMatchObject({ code: 'application', message: 'nope', source: 'svc' });
  });

  it('uses the given trace id, or makes a fresh one per request', async () => {
    const world = new World(1);
    const traceIds: string[] = [];
    world.addNode('svc', () => ({ handlers: { get: (_p: unknown, req: Request) => void traceIds.push(req.traceId) } }));
    world.sim.schedule(0, () => {
      world.request('svc', 'get', undefined, { traceId: 'mine' }, () => {});
      world.request('svc', 'get', undefined, {}, () => {});
      world.request('svc', 'get', undefined, {}, () => {});
    });
    await world.sim.run();
    expect(traceIds).toEqual(['mine', 't1', 't2']);
  });
});
