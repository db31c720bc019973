// Tests for RPC between nodes (sim/world/context.ts, sim/world/rpc.ts, sim/world/world.ts delivery): correlation,
// timeouts and deadlines, typed errors, exactly-once settlement under duplicates, trace context.
import { describe, expect, it } from 'vitest';
import { World } from './world.ts';
import { RpcError, ServiceError } from '../engine/errors.ts';
import type { Request } from './node.ts';
import type { NodeContext } from './context.ts';
import type { Span, TraceEvent } from '../engine/trace.ts';

const constantMs = (value: number) => ({ kind: 'constant', value }) as const;

/** A world with a caller node whose `run(ctx)` body starts at t=0, and 2 ms links. */
function withCaller(body: (ctx: NodeContext, log: string[], world: World) => Promise<void>, latencyMs = 2) {
  const world = new World(1, { network: { latencyMs: constantMs(latencyMs) } });
  const log: string[] = [];
  const trace: TraceEvent[] = [];
  world.sim.trace.addSink((event) => trace.push(event));
  const start = (): void => {
    world.addNode('caller', (ctx) => ({ onStart: () => ctx.spawn(() => body(ctx, log, world)) }), { defaultTimeoutMs: 300 });
  };
  return { world, log, trace, start };
}

/** Awaits a call and logs `label:value|code@time`. */
async function logged(log: string[], world: World, label: string, call: Promise<unknown>): Promise<void> {
  try {
    log.push(`${label}:${JSON.stringify(await call)}@${world.nowMs}`);
  } catch (error) {
    log.push(`${label}:${(error as RpcError).code}@${world.nowMs}`);
  }
}

describe('request and response', () => {
  it('resolves with the handler value after latency + service time + latency', async () => {
    const { world, log, start } = withCaller(async (ctx, log, world) => logged(log, world, 'get', ctx.call('db', 'get', 21)));
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 3, handle: (n: number) => n * 2 } } }));
    start();
    await world.sim.run();
    expect(log).toEqual(['get:42@7']);
  });

  it('correlates concurrent answers by call id, whatever order they come back in', async () => {
    const { world, log, start } = withCaller(async (ctx, log, world) => {
      await Promise.all([logged(log, world, 'slow', ctx.call('db', 'echo', 10)), logged(log, world, 'fast', ctx.call('db', 'echo', 1))]);
    });
    world.addNode('db', () => ({ handlers: { echo: async (ms: number, req: Request) => (await req.cpu(ms), `waited ${ms}`) } }));
    start();
    await world.sim.run();
    expect(log).toEqual(['fast:"waited 1"@5', 'slow:"waited 10"@14']);
  });

  it('passes the caller, method, payload and start time to the handler', async () => {
    const seen: unknown[] = [];
    const { world, start } = withCaller(async (ctx) => void (await ctx.call('db', 'get', { key: 'k' })));
    world.addNode('db', () => ({ handlers: { get: (payload: unknown, req: Request) => void seen.push([req.from, req.method, payload, req.startMs]) } }));
    start();
    await world.sim.run();
    expect(seen).toEqual([['caller', 'get', { key: 'k' }, 2]]);
  });

  it('carries typed errors back: the code and message of the callee, with the callee as source', async () => {
    const errors: RpcError[] = [];
    const { world, start } = withCaller(async (ctx) => {
      for (const method of ['unavailable', 'boom', 'declined']) await ctx.call('db', method).catch((error: RpcError) => errors.push(error));
    });
    world.addNode('db', () => ({
      handlers: {
        unavailable: () => {
          throw new RpcError('unavailable', 'no replica');
        },
        boom: () => {
          throw new Error('kaput');
        },
        declined: () => {
          throw new ServiceError('declined', 'card declined');
        },
      },
    }));
    start();
    await world.sim.run();
    expect(errors.map((error) => [error.code, error.message, error.source])).toEqual([
      ['unavailable', 'no replica', 'db'],
      ['application', 'kaput', 'db'],
      ['declined', 'card declined', 'db'],
    ]);
    expect(errors.every((error) => error instanceof RpcError)).toBe(true);
    // The plain Error is a bug, recorded with its place; the deliberate ones are not.
    expect(world.serviceErrors.bugs().map((group) => [group.code, group.node, group.method, group.message, group.count])).toEqual([['Error', 'db', 'boom', 'kaput', 1]]);
  });

  it('a call to a method the callee does not have rejects at once with a ReferenceError naming the nearest method', async () => {
    const errors: unknown[] = [];
    const { world, start } = withCaller(async (ctx) => {
      await ctx.call('db', 'gett').catch((error: unknown) => errors.push(error));
    });
    world.addNode('db', () => ({ handlers: { get: () => 1, put: () => 2 } }));
    start();
    await world.sim.run();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ReferenceError);
    expect((errors[0] as Error).message).toBe("caller calls db.gett, but db has no method 'gett' (did you mean 'get'?)");
    expect(world.serviceErrors.bugs().map((group) => [group.node, group.method, group.code])).toEqual([['caller', 'call', 'ReferenceError']]);
    expect(world.nowMs).toBe(0);
  });

  it('one-way send reaches onMessage with the sender after the latency, and expects no reply', async () => {
    const received: string[] = [];
    const { world, start } = withCaller(async (ctx) => ctx.send('db', { hello: 1 }, 'greeting'));
    world.addNode('db', () => ({ onMessage: (payload, from) => void received.push(`${JSON.stringify(payload)} from ${from}@${world.nowMs}`) }));
    start();
    await world.sim.run();
    expect(received).toEqual(['{"hello":1} from caller@2']);
  });
});

describe('timeouts and deadlines', () => {
  it('a call that gets no answer times out at exactly timeoutMs, traced as rpc.timeout', async () => {
    const { world, log, trace, start } = withCaller(async (ctx, log, world) => logged(log, world, 'get', ctx.call('db', 'get', undefined, { timeoutMs: 40 })));
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 100, handle: () => 'late' } } }));
    start();
    await world.sim.run();
    expect(log).toEqual(['get:timeout@40']);
    const timeouts = trace.filter((event) => event.kind === 'rpc.timeout');
    expect(timeouts.map((event) => [event.atMs, event.node, event.peer, event.detail])).toEqual([[40, 'caller', 'db', 'get']]);
    expect(typeof timeouts[0]!.id).toBe('number');
  });

  it("the node's defaultTimeoutMs applies when the call sets none", async () => {
    const { world, log, start } = withCaller(async (ctx, log, world) => logged(log, world, 'get', ctx.call('db', 'get')));
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 1000, handle: () => 'late' } } }));
    start();
    await world.sim.run();
    expect(log).toEqual(['get:timeout@300']);
  });

  it('a late answer after the timeout is ignored: the call settles once', async () => {
    let settlements = 0;
    const { world, log, start } = withCaller(async (ctx, log, world) => {
      await logged(log, world, 'get', ctx.call('db', 'get', undefined, { timeoutMs: 40 }).finally(() => settlements++));
    });
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 100, handle: () => 'late' } } }));
    start();
    const stop = await world.sim.run();
    expect(stop.atMs).toBe(104); // the late answer did arrive
    expect(log).toEqual(['get:timeout@40']);
    expect(settlements).toBe(1);
  });

  it('deadlineMs tightens the timeout; a deadline already passed rejects at once without sending', async () => {
    const { world, log, trace, start } = withCaller(async (ctx, log, world) => {
      await logged(log, world, 'deadline', ctx.call('db', 'get', undefined, { timeoutMs: 100, deadlineMs: 30 }));
      await logged(log, world, 'passed', ctx.call('db', 'get', undefined, { deadlineMs: 30 }));
    });
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 1000, handle: () => 'late' } } }));
    start();
    await world.sim.run({ untilMs: 500 });
    expect(log).toEqual(['deadline:timeout@30', 'passed:timeout@30']);
    expect(trace.filter((event) => event.kind === 'msg.delivered' && event.peer === 'db')).toHaveLength(1);
  });

  it('req.call propagates the caller deadline downstream and the trace context', async () => {
    const backendSaw: unknown[] = [];
    const spans: Span[] = [];
    const world = new World(1, { network: { latencyMs: constantMs(1) } });
    world.sim.trace.addFilteredSink(['span'], (event) => spans.push(event.span!));
    world.addNode('backend', () => ({
      handlers: {
        get: async (_p: unknown, req: Request) => {
          backendSaw.push({ deadlineMs: req.deadlineMs, remainingMs: req.remainingMs, traceId: req.traceId, parentSpanId: req.parentSpanId });
          await req.cpu(1000);
        },
      },
    }));
    let gatewaySpanId = '';
    const outcome: string[] = [];
    world.addNode('gateway', () => ({
      handlers: {
        route: async (_p: unknown, req: Request) => {
          gatewaySpanId = req.spanId;
          try {
            return await req.call('backend', 'get', undefined, { timeoutMs: 1000 });
          } catch (error) {
            outcome.push(`gateway saw ${(error as RpcError).code}@${world.nowMs}`);
            throw error;
          }
        },
      },
    }));
    world.sim.schedule(0, () => void world.call('gateway', 'route', undefined, { timeoutMs: 50, traceId: 'trace-1' }).catch((error: RpcError) => outcome.push(`client saw ${error.code}@${world.nowMs}`)));
    await world.sim.run();
    expect(backendSaw).toEqual([{ deadlineMs: 50, remainingMs: 49, traceId: 'trace-1', parentSpanId: gatewaySpanId }]);
    // The gateway's call timed out at the client's deadline, not after its own 1000 ms.
    expect(outcome).toEqual(['client saw timeout@50', 'gateway saw timeout@50']);
    const gatewaySpan = spans.find((span) => span.service === 'gateway')!;
    expect(gatewaySpan).toMatchObject({ traceId: 'trace-1', name: 'route', startMs: 0, endMs: 50, status: 'error', error: 'timeout' });
  });

  it('calls in flight are counted until they settle', async () => {
    const counts: number[] = [];
    const { world, start } = withCaller(async (ctx) => {
      const calls = [ctx.call('db', 'get'), ctx.call('db', 'get')];
      counts.push(ctx.callsInFlight);
      await Promise.all(calls);
      counts.push(ctx.callsInFlight);
    });
    world.addNode('db', () => ({ handlers: { get: () => 1 } }));
    start();
    await world.sim.run();
    expect(counts).toEqual([2, 0]);
  });
});

describe('unreachable callees', () => {
  it('a call across a partition times out', async () => {
    const { world, log, start } = withCaller(async (ctx, log, world) => logged(log, world, 'get', ctx.call('db', 'get', undefined, { timeoutMs: 25 })));
    world.addNode('db', () => ({ handlers: { get: () => 1 } }));
    start();
    world.partition(['caller'], ['db'], { oneWay: false });
    await world.sim.run();
    expect(log).toEqual(['get:timeout@25']);
  });

  it('a one-way partition on the reply path also ends in a timeout, though the handler ran', async () => {
    let served = 0;
    const { world, log, start } = withCaller(async (ctx, log, world) => logged(log, world, 'get', ctx.call('db', 'get', undefined, { timeoutMs: 25 })));
    world.addNode('db', () => ({ handlers: { get: () => ++served } }));
    start();
    world.partition(['db'], ['caller'], { oneWay: true });
    await world.sim.run();
    expect(log).toEqual(['get:timeout@25']);
    expect(served).toBe(1);
  });

  it('a call to a node that does not exist is a bug: it rejects at once naming the nearest node', async () => {
    const errors: unknown[] = [];
    const { world, start } = withCaller(async (ctx) => {
      await ctx.call('dbb', 'get', undefined, { timeoutMs: 25 }).catch((error: unknown) => errors.push(error));
    });
    world.addNode('db', () => ({ handlers: { get: () => 1 } }));
    start();
    await world.sim.run();
    expect((errors[0] as Error).message).toBe("caller calls unknown node 'dbb' (did you mean 'db'?)");
    expect(world.serviceErrors.bugs()).toHaveLength(1);
  });

  it('a callee that crashes mid-call leaves the caller to time out; after restart new calls succeed', async () => {
    const { world, log, start } = withCaller(async (ctx, log, world) => {
      await logged(log, world, 'first', ctx.call('db', 'get', undefined, { timeoutMs: 50 }));
      await logged(log, world, 'second', ctx.call('db', 'get', undefined, { timeoutMs: 50 }));
    });
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 10, handle: () => 'v' } } }));
    start();
    world.sim.schedule(5, () => world.crash('db'));
    world.sim.schedule(20, () => world.restart('db'));
    await world.sim.run();
    expect(log).toEqual(['first:timeout@50', 'second:"v"@64']);
  });
});

describe('pauses', () => {
  it('an answer and the timeout both deferred by a pause of the caller: the answer wins, the late timer is ignored', async () => {
    const { world, log, trace, start } = withCaller(async (ctx, log, world) => logged(log, world, 'get', ctx.call('db', 'get', undefined, { timeoutMs: 30 })));
    world.addNode('db', () => ({ handlers: { get: () => 'v' } }));
    start();
    world.sim.schedule(1, () => world.pause('caller'));
    world.sim.schedule(50, () => world.resume('caller'));
    await world.sim.run();
    expect(log).toEqual(['get:"v"@50']);
    expect(trace.filter((event) => event.kind === 'rpc.timeout')).toEqual([]);
  });
});

describe('duplicates', () => {
  it('a duplicated request runs the handler twice but the caller settles once, with the first answer', async () => {
    let served = 0;
    let settlements = 0;
    const { world, log, start } = withCaller(async (ctx, log, world) => {
      await logged(log, world, 'get', ctx.call('db', 'get').finally(() => settlements++));
    });
    world.addNode('db', () => ({ handlers: { get: () => ++served } }));
    world.setLink('caller', 'db', { duplicateProbability: 1 });
    start();
    await world.sim.run();
    expect(served).toBe(2);
    expect(log).toEqual(['get:1@4']);
    expect(settlements).toBe(1);
  });

  it('a duplicated answer settles the call once', async () => {
    let settlements = 0;
    const { world, log, trace, start } = withCaller(async (ctx, log, world) => {
      await logged(log, world, 'get', ctx.call('db', 'get').finally(() => settlements++));
    });
    world.addNode('db', () => ({ handlers: { get: () => 'v' } }));
    world.setLink('db', 'caller', { duplicateProbability: 1 });
    start();
    await world.sim.run();
    expect(log).toEqual(['get:"v"@4']);
    expect(settlements).toBe(1);
    expect(trace.filter((event) => event.kind === 'msg.delivered' && event.peer === 'caller')).toHaveLength(2);
  });
});
