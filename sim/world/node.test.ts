// Tests for sim/world/node.ts (through World): worker slots and queueing delay, overload shedding, crash
// and restart (volatile vs durable state), pause, slow, clock skew and drift, and failing handlers.
import { describe, expect, it } from 'vitest';
import { World } from './world.ts';
import { RpcError } from '../engine/errors.ts';
import type { CallOutcome } from './rpc.ts';
import type { NodeContext } from './context.ts';
import type { Request } from './node.ts';
import type { TraceEvent } from '../engine/trace.ts';

const constantMs = (value: number) => ({ kind: 'constant', value }) as const;

/** Ingress requests sent at `atMs`; each outcome is logged as `label:ok|code@time`. */
function sendAt(world: World, atMs: number, to: string, method: string, labels: string[], log: string[], timeoutMs = 1000): void {
  world.sim.schedule(atMs, () => {
    for (const label of labels) {
      world.request(to, method, label, { timeoutMs }, (outcome: CallOutcome) => {
        log.push(`${label}:${outcome.ok ? 'ok' : outcome.code}@${world.nowMs}`);
      });
    }
  });
}

function recordTrace(world: World): TraceEvent[] {
  const events: TraceEvent[] = [];
  world.sim.trace.addSink((event) => events.push(event));
  return events;
}

describe('worker slots and queueing delay', () => {
  it('1 worker, constant 10 ms service, 3 requests at t=0: latencies 10, 20, 30', async () => {
    const world = new World(1);
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 10, handle: () => 'v' } } }), { workers: 1 });
    const log: string[] = [];
    sendAt(world, 0, 'db', 'get', ['r1', 'r2', 'r3'], log);
    await world.sim.run();
    expect(log).toEqual(['r1:ok@10', 'r2:ok@20', 'r3:ok@30']);
  });

  it('the same with an async handler spending req.cpu(10)', async () => {
    const world = new World(1);
    world.addNode('db', () => ({ handlers: { get: async (_p: unknown, req: Request) => void (await req.cpu(10)) } }), { workers: 1 });
    const log: string[] = [];
    sendAt(world, 0, 'db', 'get', ['r1', 'r2', 'r3'], log);
    await world.sim.run();
    expect(log).toEqual(['r1:ok@10', 'r2:ok@20', 'r3:ok@30']);
  });

  it('2 workers serve 5 requests in waves: 10, 10, 20, 20, 30', async () => {
    const world = new World(1);
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 10, handle: () => 'v' } } }), { workers: 2 });
    const log: string[] = [];
    sendAt(world, 0, 'db', 'get', ['a', 'b', 'c', 'd', 'e'], log);
    await world.sim.run();
    expect(log).toEqual(['a:ok@10', 'b:ok@10', 'c:ok@20', 'd:ok@20', 'e:ok@30']);
  });

  it('sleep does not free the worker: a handler sleeping 10 ms holds its slot', async () => {
    const world = new World(1);
    world.addNode('db', () => ({ handlers: { get: async (_p: unknown, req: Request) => void (await req.sleep(10)) } }), { workers: 1 });
    const log: string[] = [];
    sendAt(world, 0, 'db', 'get', ['a', 'b'], log);
    await world.sim.run();
    expect(log).toEqual(['a:ok@10', 'b:ok@20']);
  });

  it('load counts requests in service plus waiting', async () => {
    const world = new World(1);
    const node = world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 10, handle: () => 'v' } } }), { workers: 1 });
    sendAt(world, 0, 'db', 'get', ['a', 'b', 'c'], []);
    const loads: number[] = [];
    for (const t of [1, 11, 21, 31]) world.sim.schedule(t, () => loads.push(node.load));
    await world.sim.run();
    expect(loads).toEqual([3, 2, 1, 0]);
    expect(node.stats).toMatchObject({ admitted: 3, completed: 3, shed: 0, failed: 0 });
  });

  it('a queued request whose deadline passed is dropped unserved; its caller times out at its timeout', async () => {
    const world = new World(1);
    const served: string[] = [];
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 10, handle: (label: string) => void served.push(label) } } }), { workers: 1 });
    const trace = recordTrace(world);
    const log: string[] = [];
    sendAt(world, 0, 'db', 'get', ['a', 'b', 'c'], log, 15);
    await world.sim.run();
    // b starts at 10 (deadline 15 not passed) and ends at 20, after its client gave up; c expires at 20.
    expect(log).toEqual(['a:ok@10', 'b:timeout@15', 'c:timeout@15']);
    expect(served).toEqual(['a', 'b']);
    expect(trace.filter((event) => event.kind === 'request.expired').map((event) => event.atMs)).toEqual([20]);
  });
});

describe('overload', () => {
  it('sheds with overloaded exactly when the queue is full, at once', async () => {
    const world = new World(1);
    const node = world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 10, handle: () => 'v' } } }), { workers: 1, queueCapacity: 2 });
    const trace = recordTrace(world);
    const log: string[] = [];
    sendAt(world, 0, 'db', 'get', ['r1', 'r2', 'r3', 'r4', 'r5'], log);
    // After 10 one place has freed in the queue: a new request is admitted, the one after it is not.
    sendAt(world, 10.5, 'db', 'get', ['r6', 'r7'], log);
    await world.sim.run();
    expect(log).toEqual(['r4:overloaded@0', 'r5:overloaded@0', 'r1:ok@10', 'r7:overloaded@10.5', 'r2:ok@20', 'r3:ok@30', 'r6:ok@40']);
    expect(node.stats).toMatchObject({ admitted: 4, shed: 3, completed: 4 });
    expect(trace.filter((event) => event.kind === 'request.shed')).toHaveLength(3);
  });

  it('queueCapacity 0 sheds everything beyond the workers', async () => {
    const world = new World(1);
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 10, handle: () => 'v' } } }), { workers: 2, queueCapacity: 0 });
    const log: string[] = [];
    sendAt(world, 0, 'db', 'get', ['a', 'b', 'c'], log);
    await world.sim.run();
    expect(log).toEqual(['c:overloaded@0', 'a:ok@10', 'b:ok@10']);
  });

  it('an overloaded answer carries the node as source and a message naming the capacity', async () => {
    const world = new World(1);
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 10, handle: () => 'v' } } }), { workers: 1, queueCapacity: 0 });
    const errors: unknown[] = [];
    world.sim.schedule(0, () => {
      void world.call('db', 'get');
      world.call('db', 'get').catch((error: unknown) => errors.push(error));
    });
    await world.sim.run();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RpcError);
    expect(errors[0]).toMatchObject({ code: 'overloaded', source: 'db', message: 'db queue full (0)' });
  });
});

describe('crash and restart', () => {
  it('a crash loses in-flight and queued work: node callers and clients time out at exactly their timeout', async () => {
    const world = new World(1, { network: { latencyMs: constantMs(1) } });
    world.addNode('db', () => ({ handlers: { get: { serviceTimeMs: 50, handle: () => 'v' } } }), { workers: 1 });
    const log: string[] = [];
    world.addNode('app', (ctx) => ({
      onStart() {
        ctx.spawn(async () => {
          try {
            await ctx.call('db', 'get', undefined, { timeoutMs: 120 });
            log.push(`app:ok@${world.nowMs}`);
          } catch (error) {
            log.push(`app:${(error as RpcError).code}@${world.nowMs}`);
          }
        });
      },
    }));
    sendAt(world, 0, 'db', 'get', ['client1', 'client2'], log, 200);
    world.sim.schedule(20, () => world.crash('db'));
    await world.sim.run();
    expect(log).toEqual(['app:timeout@120', 'client1:timeout@200', 'client2:timeout@200']);
    expect(world.node('db').stats.crashes).toBe(1);
  });

  it('requests to a down node are refused: ingress at once, node calls after the round trip', async () => {
    const world = new World(1, { network: { latencyMs: constantMs(3) } });
    world.addNode('db', () => ({ handlers: { get: () => 'v' } }));
    const log: string[] = [];
    world.addNode('app', (ctx) => ({
      handlers: {
        go: async () => {
          try {
            await ctx.call('db', 'get');
          } catch (error) {
            log.push(`app:${(error as RpcError).code} from ${(error as RpcError).source}@${world.nowMs}`);
          }
        },
      },
    }));
    world.crash('db');
    sendAt(world, 10, 'db', 'get', ['client'], log);
    sendAt(world, 10, 'app', 'go', ['go'], []);
    await world.sim.run();
    expect(log).toEqual(['client:refused@10', 'app:refused from db@16']);
  });

  it('restart re-runs the factory: volatile state is gone, durable state is kept', async () => {
    const world = new World(1);
    let factoryRuns = 0;
    const node = world.addNode('counter', (ctx) => {
      factoryRuns++;
      let volatile = 0;
      return {
        handlers: {
          bump: () => {
            volatile++;
            ctx.durable.set('total', ((ctx.durable.get('total') as number | undefined) ?? 0) + 1);
            return { volatile, total: ctx.durable.get('total') };
          },
        },
      };
    });
    const answers: unknown[] = [];
    const bump = (): void => void world.call('counter', 'bump').then((value) => answers.push(value));
    world.sim.schedule(0, bump);
    world.sim.schedule(1, bump);
    world.sim.schedule(2, () => world.crash('counter'));
    world.sim.schedule(3, () => world.restart('counter'));
    world.sim.schedule(4, bump);
    await world.sim.run();
    expect(factoryRuns).toBe(2);
    expect(answers).toEqual([
      { volatile: 1, total: 1 },
      { volatile: 2, total: 2 },
      { volatile: 1, total: 3 },
    ]);
    expect(node.stats).toMatchObject({ crashes: 1, restarts: 1 });
    expect(node.generation).toBe(3);
  });

  it('a restarted node serves the handlers of its new build, not those looked up before the crash', async () => {
    const world = new World(1);
    let build = 0;
    const node = world.addNode('svc', () => {
      build++;
      const version = build;
      return { handlers: { same: () => `v${version} same`, other: () => `v${version} other` } };
    });
    const outcomes: string[] = [];
    const ask = (method: string) => (): void =>
      world.request('svc', method, undefined, { timeoutMs: 100 }, (outcome) => void outcomes.push(outcome.ok ? String(outcome.value) : outcome.code));
    world.sim.schedule(0, ask('same'));
    world.sim.schedule(2, () => world.crash('svc'));
    world.sim.schedule(3, () => world.restart('svc'));
    world.sim.schedule(4, ask('same'));
    world.sim.schedule(5, ask('other'));
    world.sim.schedule(6, ask('same'));
    await world.sim.run();
    expect(outcomes).toEqual(['v1 same', 'v2 same', 'v2 other', 'v2 same']);
    expect(node.hasMethod('same')).toBe(true);
  });

  it('a crash with wipeDurable loses durable state too', async () => {
    const world = new World(1);
    const node = world.addNode('db', (ctx) => {
      if (!ctx.durable.has('created')) ctx.durable.set('created', world.nowMs);
      return {};
    });
    world.sim.schedule(5, () => world.restart('db'));
    world.sim.schedule(10, () => world.crash('db', { wipeDurable: true }));
    world.sim.schedule(15, () => world.restart('db'));
    await world.sim.run();
    expect(node.durable.get('created')).toBe(15);
  });

  it('restart of a running node crashes it first; crash of a down node does nothing', async () => {
    const world = new World(1);
    const node = world.addNode('db', () => ({}));
    const trace = recordTrace(world);
    world.sim.schedule(1, () => world.restart('db'));
    world.sim.schedule(2, () => world.crash('db'));
    world.sim.schedule(3, () => world.crash('db'));
    await world.sim.run();
    expect(node.status).toBe('down');
    expect(node.stats).toMatchObject({ crashes: 2, restarts: 1 });
    // The second crash finds the node down: nothing happens, nothing is traced.
    expect(trace.map((event) => `${event.kind}@${event.atMs}`)).toEqual(['node.restart@1', 'node.crash@2']);
  });

  it('background processes and timers die with the node; onStart starts them again after restart', async () => {
    const world = new World(1);
    const ticks: string[] = [];
    let incarnation = 0;
    world.addNode('beat', (ctx) => {
      const me = ++incarnation;
      return {
        onStart() {
          ctx.spawn(async () => {
            for (;;) {
              await ctx.sleep(10);
              ticks.push(`${me}@${world.nowMs}`);
            }
          });
          ctx.setTimer(25, () => ticks.push(`timer${me}@${world.nowMs}`));
        },
      };
    });
    world.sim.schedule(22, () => world.crash('beat'));
    world.sim.schedule(40, () => world.restart('beat'));
    await world.sim.run({ untilMs: 66 });
    expect(ticks).toEqual(['1@10', '1@20', '2@50', '2@60', 'timer2@65']);
  });

  it('onStop runs on a graceful removal, not on a crash', async () => {
    const world = new World(1);
    const log: string[] = [];
    const factory = (ctx: NodeContext) => ({ onStart: () => void log.push(`start ${ctx.name}`), onStop: () => void log.push(`stop ${ctx.name}`) });
    world.addNode('a', factory);
    world.addNode('b', factory);
    world.sim.schedule(1, () => world.crash('a'));
    world.sim.schedule(2, () => world.removeNode('b'));
    await world.sim.run();
    expect(log).toEqual(['start a', 'start b', 'stop b']);
    expect(world.node('b')).toMatchObject({ status: 'down', removed: true });
    expect(world.node('b').stats.crashes).toBe(0);
  });

  it('uptime counts only the time a node was up', async () => {
    const world = new World(1);
    const node = world.addNode('db', () => ({}));
    world.sim.schedule(100, () => world.crash('db'));
    world.sim.schedule(150, () => world.restart('db'));
    world.sim.schedule(200, () => {});
    await world.sim.run();
    expect(node.uptimeMs()).toBe(150);
  });
});

describe('pause', () => {
  it('defers timers, CPU completions, deliveries and ingress until resume, in their original order', async () => {
    const world = new World(1, { network: { latencyMs: constantMs(1) } });
    const log: string[] = [];
    world.addNode('svc', (ctx) => ({
      onStart() {
        ctx.setTimer(10, () => log.push(`timer@${world.nowMs}`));
        ctx.spawn(async () => {
          await ctx.cpu(8);
          log.push(`cpu done@${world.nowMs}`);
        });
      },
      onMessage: (payload) => void log.push(`message ${String(payload)}@${world.nowMs}`),
      handlers: { get: { serviceTimeMs: 2, handle: () => 'v' } },
    }));
    world.addNode('peer', () => ({}));
    world.sim.schedule(5, () => world.pause('svc'));
    world.sim.schedule(11, () => world.node('peer').ctx.send('svc', 'hello'));
    sendAt(world, 15, 'svc', 'get', ['client'], log, 1000);
    world.sim.schedule(30, () => world.resume('svc'));
    await world.sim.run();
    expect(log).toEqual(['cpu done@30', 'timer@30', 'message hello@30', 'client:ok@32']);
  });

  it('a message arriving at the resume instant does not overtake those deferred by the pause (FIFO)', async () => {
    const world = new World(1, { network: { latencyMs: constantMs(4) } });
    const got: string[] = [];
    world.addNode('a', () => ({}));
    world.addNode('b', () => ({ onMessage: (payload) => void got.push(`${String(payload)}@${world.nowMs}`) }));
    world.sim.schedule(0, () => world.pause('b'));
    world.sim.schedule(10, () => world.resume('b'));
    world.sim.schedule(1, () => world.node('a').ctx.send('b', 'm1')); // arrives at 5: deferred
    world.sim.schedule(6, () => world.node('a').ctx.send('b', 'm2')); // arrives at 10, queued before the resume replays
    await world.sim.run();
    expect(got).toEqual(['m1@10', 'm2@10']);
  });

  it('a pause again at the resume instant keeps the deferred events ahead of newer ones', async () => {
    const world = new World(1, { network: { latencyMs: constantMs(4) } });
    const got: string[] = [];
    world.addNode('a', () => ({}));
    world.addNode('b', () => ({ onMessage: (payload) => void got.push(`${String(payload)}@${world.nowMs}`) }));
    world.sim.schedule(0, () => world.pause('b'));
    world.sim.schedule(10, () => world.resume('b'));
    world.sim.schedule(10, () => world.pause('b'));
    world.sim.schedule(20, () => world.resume('b'));
    world.sim.schedule(1, () => world.node('a').ctx.send('b', 'm1'));
    world.sim.schedule(2, () => world.node('a').ctx.send('b', 'm2'));
    world.sim.schedule(6, () => world.node('a').ctx.send('b', 'm3')); // arrives at 10, during the second pause
    world.sim.schedule(12, () => world.node('a').ctx.send('b', 'm4'));
    await world.sim.run();
    expect(got).toEqual(['m1@20', 'm2@20', 'm3@20', 'm4@20']);
  });

  it("the client's own timeout still fires during a pause", async () => {
    const world = new World(1);
    world.addNode('svc', () => ({ handlers: { get: () => 'v' } }));
    const log: string[] = [];
    world.sim.schedule(0, () => world.pause('svc'));
    sendAt(world, 1, 'svc', 'get', ['client'], log, 20);
    world.sim.schedule(100, () => world.resume('svc'));
    await world.sim.run();
    expect(log).toEqual(['client:timeout@21']);
  });

  it('clearTimer stops a timer that fired during the pause, before the node resumed', async () => {
    const world = new World(1, { network: { latencyMs: constantMs(1) } });
    const log: string[] = [];
    world.addNode('svc', (ctx) => {
      const handle = ctx.setTimer(10, () => log.push(`timer@${world.nowMs}`));
      return { onMessage: () => ctx.clearTimer(handle) };
    });
    world.addNode('peer', () => ({}));
    world.sim.schedule(0, () => world.node('peer').ctx.send('svc', 'cancel it'));
    world.sim.schedule(0.5, () => world.pause('svc'));
    world.sim.schedule(20, () => world.resume('svc'));
    await world.sim.run();
    expect(log).toEqual([]);
  });

  it('a crash during a pause drops the deferred work; restart starts unpaused', async () => {
    const world = new World(1);
    const log: string[] = [];
    const node = world.addNode('svc', (ctx) => ({ onStart: () => void ctx.setTimer(10, () => log.push(`timer@${world.nowMs}`)) }));
    world.sim.schedule(5, () => world.pause('svc'));
    world.sim.schedule(15, () => world.crash('svc'));
    world.sim.schedule(20, () => world.restart('svc'));
    world.sim.schedule(21, () => world.resume('svc'));
    await world.sim.run();
    expect(log).toEqual(['timer@30']);
    expect(node.paused).toBe(false);
  });
});

describe('slow', () => {
  it('multiplies service time exactly, for work started after the change', async () => {
    const world = new World(1);
    world.addNode('db', () => ({ handlers: { spec: { serviceTimeMs: 10, handle: () => 'v' }, cpu: async (_p: unknown, req: Request) => void (await req.cpu(10)) } }), { workers: 4 });
    const log: string[] = [];
    sendAt(world, 0, 'db', 'spec', ['before'], log);
    world.sim.schedule(5, () => world.slow('db', 3));
    sendAt(world, 5, 'db', 'spec', ['spec x3'], log);
    sendAt(world, 5, 'db', 'cpu', ['cpu x3'], log);
    world.sim.schedule(100, () => world.slow('db', 2.5));
    sendAt(world, 100, 'db', 'cpu', ['cpu x2.5'], log);
    world.sim.schedule(200, () => world.slow('db', 1));
    sendAt(world, 200, 'db', 'spec', ['restored'], log);
    await world.sim.run();
    expect(log).toEqual(['before:ok@10', 'spec x3:ok@35', 'cpu x3:ok@35', 'cpu x2.5:ok@125', 'restored:ok@210']);
  });

  it('a factor that is not finite and > 0 is a ConfigError', () => {
    const world = new World(1);
    world.addNode('db', () => ({}));
    expect(() => world.slow('db', 0)).toThrow(/slow factor for db is 0/);
    expect(() => world.slow('db', Infinity)).toThrow(/use a finite number > 0/);
  });
});

describe('clock skew and drift', () => {
  it('skew offsets ctx.now() by exactly skewMs; other nodes keep true time', async () => {
    const world = new World(1);
    const skewed = world.addNode('skewed', () => ({}));
    const honest = world.addNode('honest', () => ({}));
    const readings: number[][] = [];
    world.sim.schedule(10, () => world.skewClock('skewed', 500));
    world.sim.schedule(20, () => readings.push([skewed.ctx.now(), honest.ctx.now(), world.nowMs]));
    world.sim.schedule(30, () => world.skewClock('skewed', -15));
    world.sim.schedule(40, () => readings.push([skewed.ctx.now(), honest.ctx.now(), world.nowMs]));
    await world.sim.run();
    expect(readings).toEqual([
      [520, 20, 20],
      [25, 40, 40],
    ]);
  });

  it('drift in ppm accumulates from the moment it is set', async () => {
    const world = new World(1);
    const node = world.addNode('n', () => ({}));
    const readings: number[] = [];
    world.sim.schedule(100, () => world.skewClock('n', 500, 1000));
    world.sim.schedule(1100, () => readings.push(node.ctx.now()));
    world.sim.schedule(2100, () => readings.push(node.ctx.now()));
    await world.sim.run();
    // 1000 ppm over 1000 ms is 1 ms; over 2000 ms, 2 ms.
    expect(readings).toEqual([1601, 2602]);
  });

  it('ctx.sleep and ctx.setTimer wait on the node clock: a fast clock wakes early in true time', async () => {
    const world = new World(1);
    const log: string[] = [];
    world.addNode('n', (ctx) => ({
      handlers: {
        go: async () => {
          const before = ctx.now();
          await ctx.sleep(1250);
          log.push(`slept local ${ctx.now() - before} true@${world.nowMs}`);
          ctx.setTimer(2500, () => log.push(`timer true@${world.nowMs}`));
        },
      },
    }));
    // 250000 ppm: the node clock runs 1.25x fast (numbers chosen to be exact in binary).
    world.skewClock('n', 0, 250_000);
    sendAt(world, 0, 'n', 'go', ['go'], [], 10_000);
    await world.sim.run();
    expect(log).toEqual(['slept local 1250 true@1000', 'timer true@3000']);
  });

  it('out-of-range drift or a non-finite skew is a ConfigError', () => {
    const world = new World(1);
    world.addNode('n', () => ({}));
    expect(() => world.skewClock('n', NaN)).toThrow(/clock skew for n/);
    expect(() => world.skewClock('n', 0, 1e6)).toThrow(/\|drift\| < 1e6 ppm/);
  });
});

describe('failing service code', () => {
  it('a handler that throws fails that request with application; the run and later requests go on', async () => {
    const world = new World(1);
    let calls = 0;
    const node = world.addNode('svc', () => ({
      handlers: {
        get: () => {
          calls++;
          if (calls === 2) throw new Error('bad input');
          return calls;
        },
      },
    }));
    const errors: RpcError[] = [];
    const values: unknown[] = [];
    for (const t of [0, 1, 2]) world.sim.schedule(t, () => void world.call('svc', 'get').then((value) => values.push(value), (error: RpcError) => errors.push(error)));
    await world.sim.run();
    expect(values).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'application', message: 'bad input', source: 'svc' });
    expect(node.stats).toMatchObject({ completed: 2, failed: 1 });
    expect(world.processErrors).toBe(0);
  });

  it('an async handler that rejects fails with application; a thrown RpcError keeps its code', async () => {
    const world = new World(1);
    world.addNode('svc', () => ({
      handlers: {
        reject: async (_p: unknown, req: Request) => {
          await req.cpu(3);
          throw new TypeError('boom');
        },
        missing: () => {
          throw new RpcError('not-found', 'no such order');
        },
      },
    }));
    const log: string[] = [];
    sendAt(world, 0, 'svc', 'reject', ['reject'], log);
    sendAt(world, 0, 'svc', 'missing', ['missing'], log);
    sendAt(world, 0, 'svc', 'nope', ['unknown method'], log);
    await world.sim.run();
    expect(log).toEqual(['missing:not-found@0', 'unknown method:not-found@0', 'reject:application@3']);
  });

  it('errors in hooks, timers and message handlers are counted as process errors and traced; the run goes on', async () => {
    const world = new World(1);
    const trace = recordTrace(world);
    world.addNode('svc', (ctx) => ({
      onStart: () => void ctx.setTimer(5, () => {
        throw new Error('timer failed');
      }),
      onMessage: async () => {
        throw new Error('message failed');
      },
    }));
    world.addNode('peer', () => ({}));
    world.sim.schedule(1, () => world.node('peer').ctx.send('svc', 'x'));
    world.sim.schedule(10, () => {});
    const stop = await world.sim.run();
    expect(stop.atMs).toBe(10);
    expect(world.processErrors).toBe(2);
    expect(world.firstProcessError).toBe('svc: message failed');
    expect(trace.filter((event) => event.kind === 'process.error').map((event) => `${event.detail}@${event.atMs}`)).toEqual(['message failed@2', 'timer failed@5']);
  });

  it('a factory that throws is a process error; the node runs with an empty service', async () => {
    const world = new World(1);
    world.addNode('svc', () => {
      throw new Error('factory failed');
    });
    const log: string[] = [];
    sendAt(world, 0, 'svc', 'get', ['r'], log);
    await world.sim.run();
    expect(world.processErrors).toBe(1);
    expect(world.node('svc').status).toBe('up');
    expect(log).toEqual(['r:not-found@0']);
  });
});

describe('node options', () => {
  it('invalid workers, queueCapacity or defaultTimeoutMs are ConfigErrors naming the node', () => {
    const world = new World(1);
    expect(() => world.addNode('a', () => ({}), { workers: 0 })).toThrow('node a: workers is 0; use a whole number >= 1');
    expect(() => world.addNode('b', () => ({}), { queueCapacity: -1 })).toThrow(/node b: queueCapacity is -1/);
    expect(() => world.addNode('c', () => ({}), { defaultTimeoutMs: 0 })).toThrow(/node c: defaultTimeoutMs is 0/);
    expect(() => new World(1, { nodeDefaults: { workers: 1.5 } })).toThrow(/node defaults: workers is 1.5/);
  });

  it('world node defaults apply to nodes that set none', async () => {
    const world = new World(1, { nodeDefaults: { workers: 1, defaultTimeoutMs: 77, labels: { zone: 'a' } } });
    const node = world.addNode('db', () => ({}), { labels: { service: 'db' } });
    expect(node.options).toEqual({ workers: 1, concurrency: 'threads', cores: undefined, queueCapacity: 64, defaultTimeoutMs: 77, labels: { zone: 'a', service: 'db' } });
    expect(node.ctx.labels).toEqual({ zone: 'a', service: 'db' });
  });
});
