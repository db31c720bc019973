import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import type { Request } from '../../sim/world/node.ts';
import { FIRST_ATTEMPT, type Attempt, type Operation, type Policy } from '../resilience/policy.ts';
import { registryNode } from './discovery.ts';
import { registered } from './registration.ts';
import { DiscoveryClient } from './discovery-client.ts';
import { serviceCaller, serviceClient, settleAfter, type ServiceCallOptions, type ServiceClient } from './client.ts';
import type { BalancerKind } from './balancer.ts';

/** Test-only policy: up to `attempts` tries, keeping the outer deadline; records each attempt. */
function retryPolicy(attempts: number, seen: Attempt[] = []): Policy {
  return {
    name: 'test-retry',
    async execute<T>(operation: Operation<T>, outer: Attempt = FIRST_ATTEMPT): Promise<T> {
      let lastError: unknown;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const current = { attempt, deadlineMs: outer.deadlineMs };
        seen.push(current);
        try {
          return await operation(current);
        } catch (error) {
          lastError = error;
        }
      }
      throw lastError;
    },
  };
}

/** Test-only policy: gives each attempt a deadline `budgetMs` from now (true virtual time). */
function deadlinePolicy(world: World, budgetMs: number): Policy {
  return {
    name: 'test-deadline',
    execute<T>(operation: Operation<T>, outer: Attempt = FIRST_ATTEMPT): Promise<T> {
      return operation({ attempt: outer.attempt, deadlineMs: world.nowMs + budgetMs });
    },
  };
}

interface Seen {
  instance: string;
  traceId: string;
  parentSpanId: string | undefined;
  deadlineMs: number;
}

/**
 * Registry, orders-1 and orders-2 (each answering its name after `serviceMs`, orders-1 failing
 * when `failing` holds), and a frontend that calls orders through a client built by `makeClient`.
 */
function buildWorld(
  makeOptions: (world: World) => { balancer?: BalancerKind; policy?: Policy; timeoutMs?: number } = () => ({}),
  serviceMs = 5,
) {
  const world = new World(3);
  const seen: Seen[] = [];
  const frontendSpans: { traceId: string; spanId: string; deadlineMs: number }[] = [];
  const state = { failing: false, client: undefined as ServiceClient | undefined };
  world.addNode('registry', registryNode());
  for (const name of ['orders-1', 'orders-2']) {
    world.addNode(
      name,
      registered({ registry: 'registry', service: 'orders' }, () => ({
        handlers: {
          get: async (_payload: unknown, request: Request) => {
            seen.push({ instance: name, traceId: request.traceId, parentSpanId: request.parentSpanId, deadlineMs: request.deadlineMs });
            await request.sleep(serviceMs);
            if (state.failing && name === 'orders-1') throw new RpcError('application', 'orders-1 is broken');
            return name;
          },
        },
      })),
    );
  }
  world.addNode(
    'frontend',
    (ctx) => {
      const discovery = new DiscoveryClient(ctx, { registry: 'registry', refreshMs: 1000 });
      const client = serviceClient(ctx, { service: 'orders', discovery, ...makeOptions(world) });
      state.client = client;
      return {
        handlers: {
          get: (payload: ServiceCallOptions | undefined, request: Request) => {
            frontendSpans.push({ traceId: request.traceId, spanId: request.spanId, deadlineMs: request.deadlineMs });
            return client.call('get', undefined, { ...payload, parent: request });
          },
        },
      };
    },
    { workers: 50 },
  );
  return { world, seen, frontendSpans, state };
}

function requestAt(world: World, atMs: number, payload?: unknown, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    world.sim.schedule(atMs, () =>
      world.request('frontend', 'get', payload, { timeoutMs }, (outcome) => resolve(outcome.ok ? String(outcome.value) : `error:${outcome.code}`)),
    );
  });
}

describe('service client', () => {
  it('fetches the view on first use, then balances round robin over it', async () => {
    const { world } = buildWorld();
    const answers = [10, 20, 30, 40].map((atMs) => requestAt(world, atMs));
    await world.sim.run({ untilMs: 500 });
    expect(await Promise.all(answers)).toEqual(['orders-1', 'orders-2', 'orders-1', 'orders-2']);
  });

  it('continues the caller’s trace: same trace id, the frontend span as parent', async () => {
    const { world, seen, frontendSpans } = buildWorld();
    const answer = requestAt(world, 10);
    await world.sim.run({ untilMs: 500 });
    expect(await answer).toBe('orders-1');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.traceId).toBe(frontendSpans[0]!.traceId);
    expect(seen[0]!.parentSpanId).toBe(frontendSpans[0]!.spanId);
  });

  it('propagates the parent’s deadline to the RPC', async () => {
    const { world, seen, frontendSpans } = buildWorld();
    const answer = requestAt(world, 10, undefined, 300);
    await world.sim.run({ untilMs: 500 });
    expect(await answer).toBe('orders-1');
    expect(frontendSpans[0]!.deadlineMs).toBe(310);
    expect(seen[0]!.deadlineMs).toBe(310);
  });

  it('uses the tighter deadline a policy gives the attempt, and times out by it', async () => {
    const { world, seen } = buildWorld((w) => ({ policy: deadlinePolicy(w, 3) }), 5);
    const answer = requestAt(world, 10, undefined, 300);
    await world.sim.run({ untilMs: 500 });
    // The policy sets the deadline at 10 + 3 = 13; the lookup answers at 12, the call arrives at 13.
    expect(seen[0]!.deadlineMs).toBe(13);
    expect(await answer).toBe('error:timeout');
  });

  it('runs each policy attempt on a freshly picked instance', async () => {
    const attempts: Attempt[] = [];
    const { world, state } = buildWorld(() => ({ policy: retryPolicy(3, attempts) }));
    state.failing = true;
    const answer = requestAt(world, 10, undefined, 300);
    await world.sim.run({ untilMs: 500 });
    // Attempt 1 goes to orders-1 and fails; round robin sends attempt 2 to orders-2.
    expect(await answer).toBe('orders-2');
    expect(attempts).toEqual([
      { attempt: 1, deadlineMs: 310 },
      { attempt: 2, deadlineMs: 310 },
    ]);
  });

  it('counts calls in flight per instance while they run, and releases them on success and failure', async () => {
    const { world, state } = buildWorld(() => ({ timeoutMs: 50 }), 100);
    const inFlight: string[] = [];
    const snapshot = () => state.client!.instances().map((instance) => `${instance.name}=${instance.inFlight}`).join(' ');
    const answers = [10, 11, 12].map((atMs) => requestAt(world, atMs));
    world.sim.schedule(30, () => inFlight.push(snapshot()));
    world.sim.schedule(200, () => inFlight.push(snapshot()));
    await world.sim.run({ untilMs: 500 });
    expect(inFlight).toEqual(['orders-1=2 orders-2=1', 'orders-1=0 orders-2=0']);
    expect(await Promise.all(answers)).toEqual(['error:timeout', 'error:timeout', 'error:timeout']);
  });

  it('sends the same key to the same instance with the consistent-hash balancer', async () => {
    const { world, seen } = buildWorld(() => ({ balancer: 'consistent-hash' }));
    const answers = [10, 20, 30, 40, 50, 60].map((atMs, index) => requestAt(world, atMs, { key: index % 2 === 0 ? 'alice' : 'bob' }));
    await world.sim.run({ untilMs: 500 });
    const results = await Promise.all(answers);
    expect(new Set(results.filter((_, index) => index % 2 === 0)).size).toBe(1);
    expect(new Set(results.filter((_, index) => index % 2 === 1)).size).toBe(1);
    expect(seen).toHaveLength(6);
  });

  it('rejects (never throws) when the balancer cannot pick: a hash call without a key', async () => {
    const world = new World(1);
    world.addNode('registry', registryNode());
    world.addNode('orders-1', registered({ registry: 'registry', service: 'orders' }, () => ({ handlers: { get: () => 'x' } })));
    let outcome: unknown;
    world.addNode('frontend', (ctx) => {
      const discovery = new DiscoveryClient(ctx, { registry: 'registry' });
      const client = serviceClient(ctx, { service: 'orders', discovery, balancer: 'consistent-hash' });
      return {
        onStart() {
          ctx.setTimer(50, () => {
            const pending = client.call('get');
            pending.then(undefined, (error: unknown) => (outcome = error));
          });
        },
      };
    });
    await world.sim.run({ untilMs: 200 });
    expect(outcome).toBeInstanceOf(ConfigError);
  });
});

describe('service caller', () => {
  it('calls any service by name, each with its own balancer and policy', async () => {
    const world = new World(1);
    world.addNode('registry', registryNode());
    for (const [name, service] of [
      ['orders-1', 'orders'],
      ['orders-2', 'orders'],
      ['payments-1', 'payments'],
    ] as const) {
      world.addNode(name, registered({ registry: 'registry', service }, () => ({ handlers: { ping: () => name } })));
    }
    const policiesMade: string[] = [];
    const answers: string[] = [];
    world.addNode('frontend', (ctx) => {
      const discovery = new DiscoveryClient(ctx, { registry: 'registry' });
      const services = serviceCaller(ctx, {
        discovery,
        policyFor: (service) => {
          policiesMade.push(service);
          return retryPolicy(1);
        },
      });
      return {
        handlers: {
          go: async (_payload: unknown, request: Request) => {
            for (const service of ['orders', 'payments', 'orders', 'payments', 'orders']) {
              answers.push(await services.call<string>(service, 'ping', undefined, { parent: request }));
            }
            return 'done';
          },
        },
      };
    });
    world.sim.schedule(10, () => world.request('frontend', 'go', undefined, {}, () => {}));
    await world.sim.run({ untilMs: 500 });
    expect(answers).toEqual(['orders-1', 'payments-1', 'orders-2', 'payments-1', 'orders-1']);
    expect(policiesMade).toEqual(['orders', 'payments']);
  });
});

describe('settleAfter', () => {
  /** Runs `form` on a promise that settles after `delay` microtasks, beside a chain logging each microtask. */
  async function order(form: (answer: Promise<string>, onSettle: () => void) => Promise<string>, delay: number, fails: boolean): Promise<string[]> {
    const log: string[] = [];
    let tick = 0;
    const source = (async () => {
      for (let step = 0; step < delay; step++) await undefined;
      if (fails) throw new Error('no');
      return 'yes';
    })();
    const ticking = (async () => {
      for (; tick < 12; tick++) {
        log.push(`tick ${tick}`);
        await undefined;
      }
    })();
    await form(source, () => log.push('settled')).then(
      (value) => log.push(`answer ${value}`),
      (error: unknown) => log.push(`failure ${(error as Error).message}`),
    );
    await ticking;
    return log;
  }

  const thenForm = <T>(answer: Promise<T>, onSettle: () => void): Promise<T> =>
    answer.then(
      (value) => {
        onSettle();
        return value;
      },
      (error: unknown) => {
        onSettle();
        throw error;
      },
    );

  for (const delay of [0, 1, 3]) {
    for (const fails of [false, true]) {
      it(`runs onSettle and settles on the same microtasks as the .then form (${fails ? 'fails' : 'answers'} after ${delay})`, async () => {
        const expected = await order(thenForm, delay, fails);
        expect(expected).toContain(fails ? 'failure no' : 'answer yes');
        expect(await order(settleAfter, delay, fails)).toEqual(expected);
      });
    }
  }
});
