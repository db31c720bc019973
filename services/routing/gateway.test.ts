import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import type { Request } from '../../sim/world/node.ts';
import type { CallOutcome } from '../../sim/world/rpc.ts';
import { FIRST_ATTEMPT, type Attempt, type Operation, type Policy } from '../resilience/policy.ts';
import { registryNode } from './discovery.ts';
import { registered } from './registration.ts';
import { RpcError } from '../../sim/engine/errors.ts';
import { gateway, matchRoute, GATEWAY_METHOD, type ForwardedRequest, type GatewayOptions, type GatewayRequest, type RouteSpec } from './gateway.ts';

interface Received {
  atMs: number;
  instance: string;
  method: string;
  payload: unknown;
}

/**
 * Registry; orders-1/2 and products-1 answering `http` (and `getOrder`) after `serviceMs` of
 * sleep; a gateway with the given options. Every call reaching a service is recorded.
 */
function buildWorld(options: Partial<GatewayOptions>, serviceMs = 0) {
  const world = new World(5);
  const received: Received[] = [];
  world.addNode('registry', registryNode());
  for (const [name, service] of [
    ['orders-1', 'orders'],
    ['orders-2', 'orders'],
    ['products-1', 'products'],
  ] as const) {
    const handle = (method: string) => async (payload: unknown, request: Request) => {
      received.push({ atMs: world.nowMs, instance: name, method, payload });
      if (serviceMs > 0) await request.sleep(serviceMs);
      if ((payload as ForwardedRequest | undefined)?.path === '/fail') throw new Error('boom');
      return { from: name };
    };
    world.addNode(name, registered({ registry: 'registry', service }, () => ({ handlers: { http: handle('http'), getOrder: handle('getOrder') } })));
  }
  world.addNode(
    'gateway',
    gateway({
      registry: 'registry',
      routes: [
        { prefix: '/api/orders', service: 'orders' },
        { prefix: '/api/products', service: 'products', public: true, cacheTtlMs: 1000 },
      ],
      ...options,
    }),
    { workers: 100 },
  );
  const log: string[] = [];
  world.sim.trace.addSink((event) => {
    if (event.kind.startsWith('gateway.')) log.push(`${event.atMs} ${event.kind} ${event.detail}`);
  });
  return { world, received, log };
}

/** Sends a gateway request at `atMs`; resolves with `ok:<json>` or `error:<code>`. */
function send(world: World, atMs: number, request: GatewayRequest | unknown): Promise<string> {
  return new Promise((resolve) => {
    world.sim.schedule(atMs - world.nowMs, () =>
      world.request('gateway', GATEWAY_METHOD, request, { timeoutMs: 1000 }, (outcome: CallOutcome) =>
        resolve(outcome.ok ? `ok:${JSON.stringify(outcome.value)}` : `error:${outcome.code}`),
      ),
    );
  });
}

const AUTH = { tokens: { 'token-alice': 'alice', 'token-bob': 'bob' } };

function get(path: string, token?: string, clientId?: string): GatewayRequest {
  return { path, method: 'GET', headers: { authorization: token === undefined ? undefined : `Bearer ${token}`, clientId } };
}

describe('gateway routing', () => {
  it('forwards by path prefix with the path made relative to the route', async () => {
    const { world, received } = buildWorld({});
    const answers = [send(world, 10, get('/api/orders/123')), send(world, 10, { path: '/api/orders', method: 'POST', body: { item: 7 } })];
    await world.sim.run({ untilMs: 100 });
    expect(await Promise.all(answers)).toEqual(['ok:{"from":"orders-1"}', 'ok:{"from":"orders-2"}']);
    expect(received.map((entry) => entry.payload)).toEqual([
      { method: 'GET', path: '/123', body: undefined, principal: undefined, clientId: 'anonymous' },
      { method: 'POST', path: '/', body: { item: 7 }, principal: undefined, clientId: 'anonymous' },
    ]);
  });

  it('answers not-found for paths no route owns, matching whole segments only', async () => {
    const { world, received, log } = buildWorld({});
    const answers = [send(world, 10, get('/api/ordersx')), send(world, 10, get('/other'))];
    await world.sim.run({ untilMs: 100 });
    expect(await Promise.all(answers)).toEqual(['error:not-found', 'error:not-found']);
    expect(received).toEqual([]);
    expect(log).toEqual(['10 gateway.request GET /api/ordersx -> not-found', '10 gateway.request GET /other -> not-found']);
  });

  it('routes each request by its own path when consecutive requests take different routes', async () => {
    const { world, received } = buildWorld({});
    const paths = ['/api/orders/1', '/api/orders/1', '/api/products/2', '/nowhere', '/api/orders/1', '/api/orders', '/api/products/2'];
    const answers = paths.map((path, index) => send(world, 10 + index, get(path, 'token-alice')));
    await world.sim.run({ untilMs: 100 });
    expect(await Promise.all(answers)).toEqual([
      'ok:{"from":"orders-1"}',
      'ok:{"from":"orders-2"}',
      'ok:{"from":"products-1"}',
      'error:not-found',
      'ok:{"from":"orders-1"}',
      'ok:{"from":"orders-2"}',
      'ok:{"from":"products-1"}',
    ]);
    expect(received.map((entry) => `${entry.instance} ${(entry.payload as ForwardedRequest).path}`)).toEqual([
      'orders-1 /1',
      'orders-2 /1',
      'products-1 /2',
      'orders-1 /1',
      'orders-2 /',
    ]);
  });

  it('picks the longest matching prefix', () => {
    const routes = [{ prefix: '/api/orders' }, { prefix: '/api' }, { prefix: '' }];
    expect(matchRoute(routes, '/api/orders/1')!.prefix).toBe('/api/orders');
    expect(matchRoute(routes, '/api/orders?page=2')!.prefix).toBe('/api/orders');
    expect(matchRoute(routes, '/api/users')!.prefix).toBe('/api');
    expect(matchRoute(routes, '/health')!.prefix).toBe('');
  });

  it('answers bad-request for a payload that is not a gateway request', async () => {
    const { world, log } = buildWorld({});
    const answers = [send(world, 10, { path: 'no-slash', method: 'GET' }), send(world, 10, 'GET /')];
    await world.sim.run({ untilMs: 100 });
    expect(await Promise.all(answers)).toEqual(['error:bad-request', 'error:bad-request']);
    expect(log).toEqual(['10 gateway.request malformed -> bad-request', '10 gateway.request malformed -> bad-request']);
  });

  it('rejects impossible routes with one-line configuration errors', () => {
    expect(() => gateway({ registry: 'r', routes: [] })).toThrow(/gateway has no routes/);
    expect(() => gateway({ registry: 'r', routes: [{ prefix: 'api', service: 'x' }] })).toThrow("gateway route prefix 'api' must start with '/'");
    expect(() =>
      gateway({ registry: 'r', routes: [{ prefix: '/a', service: 'x' }, { prefix: '/a/', service: 'y' }] }),
    ).toThrow(/appears twice/);
    expect(() => gateway({ registry: 'r', routes: [{ prefix: '/a', service: 'x', timeoutMs: 0 }] })).toThrow(/timeoutMs is 0/);
    expect(() => gateway({ registry: 'r', routes: [{ prefix: '/a', service: 'x' }], rateLimit: { capacity: 0, refillPerSec: 1 } })).toThrow(
      /capacity is 0/,
    );
    expect(() => gateway({ registry: 'r', routes: [{ prefix: '/a', service: 'x' }], cacheMaxEntries: 0 })).toThrow(
      'gateway cacheMaxEntries is 0: use a whole number >= 1',
    );
  });
});

describe('gateway authentication', () => {
  it('refuses a missing or unknown token with unauthorized, and the service never sees the request', async () => {
    const { world, received, log } = buildWorld({ auth: AUTH });
    const answers = [
      send(world, 10, get('/api/orders/1')),
      send(world, 10, get('/api/orders/1', 'forged')),
      send(world, 10, { path: '/api/orders/1', method: 'GET', headers: { authorization: '' } }),
    ];
    await world.sim.run({ untilMs: 100 });
    expect(await Promise.all(answers)).toEqual(['error:unauthorized', 'error:unauthorized', 'error:unauthorized']);
    expect(received).toHaveLength(0);
    expect(log).toEqual(Array(3).fill('10 gateway.request GET /api/orders/1 -> unauthorized'));
  });

  it('forwards a valid token’s principal, never the token, and skips auth on public routes', async () => {
    const { world, received } = buildWorld({ auth: AUTH });
    const answers = [send(world, 10, get('/api/orders/1', 'token-alice')), send(world, 10, get('/api/products/9'))];
    await world.sim.run({ untilMs: 100 });
    expect(await Promise.all(answers)).toEqual(['ok:{"from":"orders-1"}', 'ok:{"from":"products-1"}']);
    expect(received.map((entry) => entry.payload)).toEqual([
      { method: 'GET', path: '/1', body: undefined, principal: 'alice', clientId: 'alice' },
      { method: 'GET', path: '/9', body: undefined, principal: undefined, clientId: 'anonymous' },
    ]);
  });

  it('accepts a validator function', async () => {
    const { world } = buildWorld({ auth: { validate: (token) => (token.startsWith('jwt.') ? token.slice(4) : undefined) } });
    const answers = [send(world, 10, get('/api/orders/1', 'jwt.carol')), send(world, 10, get('/api/orders/1', 'carol'))];
    await world.sim.run({ untilMs: 100 });
    expect(await Promise.all(answers)).toEqual(['ok:{"from":"orders-1"}', 'error:unauthorized']);
  });
});

describe('gateway rate limiting', () => {
  it('refills a client’s bucket at exactly refillPerSec on the virtual clock', async () => {
    // Capacity 2, one token per 100 ms.
    const { world, received } = buildWorld({ rateLimit: { capacity: 2, refillPerSec: 10 } });
    const at = (atMs: number, clientId = 'c1') => send(world, atMs, get('/api/orders/1', undefined, clientId));
    const answers = [at(10), at(10), at(10), at(10, 'c2'), at(109), at(110), at(110), at(310), at(310), at(310)];
    await world.sim.run({ untilMs: 500 });
    const codes = (await Promise.all(answers)).map((answer) => (answer.startsWith('ok') ? 'ok' : answer));
    expect(codes).toEqual([
      'ok', // 2 → 1
      'ok', // 1 → 0
      'error:rate-limited',
      'ok', // c2 has its own bucket
      'error:rate-limited', // 0.99 tokens
      'ok', // exactly 1 token at 110
      'error:rate-limited',
      'ok', // 2 tokens at 310 (capacity), not 2.0 + …
      'ok',
      'error:rate-limited',
    ]);
    // Rate-limited requests never reach the service.
    expect(received).toHaveLength(6);
  });

  it('keys buckets by the authenticated principal, whatever client id the caller claims', async () => {
    const { world } = buildWorld({ auth: AUTH, rateLimit: { capacity: 1, refillPerSec: 1 } });
    const answers = [
      send(world, 10, get('/api/orders/1', 'token-alice', 'laptop')),
      send(world, 10, get('/api/orders/1', 'token-alice', 'phone')),
      send(world, 10, get('/api/orders/1', 'token-bob')),
      send(world, 1010, get('/api/orders/1', 'token-alice')),
    ];
    await world.sim.run({ untilMs: 1100 });
    expect((await Promise.all(answers)).map((answer) => answer.slice(0, 5))).toEqual(['ok:{"', 'error', 'ok:{"', 'ok:{"']);
    expect(await answers[1]).toBe('error:rate-limited');
  });
});

describe('gateway cache', () => {
  it('serves a GET from cache before the TTL ends and asks the service again at the TTL', async () => {
    const { world, received, log } = buildWorld({});
    // The first answer comes back at 12 and is cached until 1012 (exclusive).
    const answers = [send(world, 10, get('/api/products/1')), send(world, 500, get('/api/products/1')), send(world, 1011, get('/api/products/1')), send(world, 1012, get('/api/products/1'))];
    await world.sim.run({ untilMs: 1100 });
    expect(await Promise.all(answers)).toEqual(Array(4).fill('ok:{"from":"products-1"}'));
    expect(received.map((entry) => entry.atMs)).toEqual([11, 1013]);
    expect(log).toEqual([
      '12 gateway.cache-store /api/products/1',
      '12 gateway.request GET /api/products/1 -> ok',
      '500 gateway.request GET /api/products/1 -> cached',
      '1011 gateway.request GET /api/products/1 -> cached',
      '1014 gateway.cache-store /api/products/1',
      '1014 gateway.request GET /api/products/1 -> ok',
    ]);
  });

  it('caches per principal on authenticated routes: bob never gets alice’s answer', async () => {
    const { world, received, log } = buildWorld({
      auth: AUTH,
      routes: [{ prefix: '/api/orders', service: 'orders', cacheTtlMs: 1000 }],
    });
    const answers = [
      send(world, 10, get('/api/orders/mine', 'token-alice')),
      send(world, 20, get('/api/orders/mine', 'token-bob')),
      send(world, 30, get('/api/orders/mine', 'token-alice')),
    ];
    await world.sim.run({ untilMs: 100 });
    expect(await Promise.all(answers)).toEqual(['ok:{"from":"orders-1"}', 'ok:{"from":"orders-2"}', 'ok:{"from":"orders-1"}']);
    expect(received.map((entry) => (entry.payload as ForwardedRequest).principal)).toEqual(['alice', 'bob']);
    expect(log.filter((line) => line.includes('cache-store'))).toEqual([
      '12 gateway.cache-store alice /api/orders/mine',
      '22 gateway.cache-store bob /api/orders/mine',
    ]);
  });

  it('never caches POSTs, failures, or routes without a TTL', async () => {
    const { world, received } = buildWorld({});
    const post: GatewayRequest = { path: '/api/products/1', method: 'POST' };
    const answers = [
      send(world, 10, post),
      send(world, 20, post),
      send(world, 10, get('/api/products/fail')),
      send(world, 20, get('/api/products/fail')),
      send(world, 10, get('/api/orders/1')),
      send(world, 20, get('/api/orders/1')),
    ];
    await world.sim.run({ untilMs: 100 });
    expect((await Promise.all(answers)).map((answer) => answer.slice(0, 8))).toEqual(['ok:{"fro', 'ok:{"fro', 'error:ap', 'error:ap', 'ok:{"fro', 'ok:{"fro']);
    expect(received).toHaveLength(6);
  });

  it('keeps at most cacheMaxEntries responses, evicting the least recently used', async () => {
    const { world, log } = buildWorld({ cacheMaxEntries: 2 });
    const paths = ['/api/products/1', '/api/products/2', '/api/products/1', '/api/products/3', '/api/products/1', '/api/products/2'];
    const answers = paths.map((path, index) => send(world, 10 + 10 * index, get(path)));
    await world.sim.run({ untilMs: 200 });
    await Promise.all(answers);
    expect(log.filter((line) => !line.includes('cache-store'))).toEqual([
      '12 gateway.request GET /api/products/1 -> ok',
      '22 gateway.request GET /api/products/2 -> ok',
      '30 gateway.request GET /api/products/1 -> cached',
      '42 gateway.cache-evict /api/products/2',
      '42 gateway.request GET /api/products/3 -> ok',
      '50 gateway.request GET /api/products/1 -> cached',
      '62 gateway.cache-evict /api/products/3',
      '62 gateway.request GET /api/products/2 -> ok',
    ]);
  });
});

describe('gateway transformations, timeouts and policies', () => {
  it('applies request and response hooks at gateway and route level', async () => {
    const { world, received } = buildWorld({
      // Old clients still call /v1/…; the gateway rewrites them.
      transformRequest: (request) => (request.path.startsWith('/v1/') ? { ...request, path: `/api/${request.path.slice(4)}` } : request),
      transformResponse: (value) => ({ ...(value as object), via: 'gateway' }),
      routes: [
        {
          prefix: '/api/orders',
          service: 'orders',
          transformRequest: (_request, forwarded) => ({ method: 'getOrder', payload: { id: forwarded.path.slice(1) } }),
          transformResponse: (value) => ({ order: value }),
        },
      ],
    });
    const answer = send(world, 10, get('/v1/orders/77'));
    await world.sim.run({ untilMs: 100 });
    expect(await answer).toBe('ok:{"order":{"from":"orders-1"},"via":"gateway"}');
    expect(received).toEqual([{ atMs: 11, instance: 'orders-1', method: 'getOrder', payload: { id: '77' } }]);
  });

  it('times a route out after its own timeoutMs', async () => {
    const { world, log } = buildWorld({ routes: [{ prefix: '/api/orders', service: 'orders', timeoutMs: 20 }] }, 50);
    const answer = send(world, 10, get('/api/orders/1'));
    await world.sim.run({ untilMs: 200 });
    expect(await answer).toBe('error:timeout');
    expect(log).toEqual(['30 gateway.request GET /api/orders/1 -> timeout']);
  });

  it('runs a route’s calls under the policy built for it', async () => {
    const attempts: number[] = [];
    const retryOnce: Policy = {
      name: 'test-retry',
      async execute<T>(operation: Operation<T>, outer: Attempt = FIRST_ATTEMPT): Promise<T> {
        try {
          attempts.push(1);
          return await operation({ attempt: 1, deadlineMs: outer.deadlineMs });
        } catch {
          attempts.push(2);
          return operation({ attempt: 2, deadlineMs: outer.deadlineMs });
        }
      },
    };
    const { world, received } = buildWorld({ routes: [{ prefix: '/api/orders', service: 'orders', timeoutMs: 20, policy: () => retryOnce }] });
    world.sim.schedule(5, () => world.pause('orders-1'));
    const answer = send(world, 10, get('/api/orders/1'));
    await world.sim.run({ untilMs: 200 });
    // Attempt 1 goes to the paused orders-1 and times out at 30; attempt 2 goes to orders-2.
    expect(await answer).toBe('ok:{"from":"orders-2"}');
    expect(attempts).toEqual([1, 2]);
    expect(received.map((entry) => `${entry.atMs} ${entry.instance}`)).toEqual(['31 orders-2']);
  });

  it('spends processingMs of gateway CPU per request, scaled when the gateway is slowed', async () => {
    const { world, log } = buildWorld({ processingMs: 4 });
    world.slow('gateway', 2);
    const answer = send(world, 10, get('/api/orders/1'));
    await world.sim.run({ untilMs: 200 });
    expect(await answer).toBe('ok:{"from":"orders-1"}');
    expect(log).toEqual(['20 gateway.request GET /api/orders/1 -> ok']);
  });
});

describe('gateway determinism', () => {
  async function traceHash(seed: number): Promise<string> {
    const world = new World(seed, { network: { latencyMs: { kind: 'exponential', mean: 2 } } });
    world.addNode('registry', registryNode({ ttlMs: 1000, healthCheckIntervalMs: 300 }));
    for (const name of ['orders-1', 'orders-2', 'orders-3']) {
      world.addNode(name, registered({ registry: 'registry', service: 'orders', heartbeatMs: 250 }, () => ({ handlers: { http: { serviceTimeMs: { kind: 'exponential', mean: 3 }, handle: () => name } } })));
    }
    world.addNode('gateway', gateway({ registry: 'registry', refreshMs: 200, routes: [{ prefix: '/api/orders', service: 'orders', balancer: 'power-of-two' }] }));
    for (let index = 0; index < 300; index++) {
      world.sim.schedule(10 + index * 5, () => world.request('gateway', GATEWAY_METHOD, get(`/api/orders/${index % 7}`), {}, () => {}));
    }
    world.sim.schedule(700, () => world.crash('orders-2'));
    await world.sim.run({ untilMs: 2000 });
    return world.sim.trace.hash;
  }

  it('gives the same trace hash for the same seed, and another for another seed', async () => {
    const first = await traceHash(21);
    expect(await traceHash(21)).toBe(first);
    expect(await traceHash(22)).not.toBe(first);
  });
});

describe('gateway microtask timing', () => {
  // Two requests' promise chains at one virtual instant run in microtask order: one reaction more or
  // less in the gateway would reorder a run's events and change its trace hash.

  /** `logged <tick> settled <tick>`: microtasks after `start` until the gateway logged and until `answer` settled. */
  async function timing(start: () => Promise<unknown>, logged: () => boolean): Promise<string> {
    let tick = 0;
    let loggedAt = -1;
    let settledAt = -1;
    start().then(
      () => (settledAt = tick),
      () => (settledAt = tick),
    );
    for (; tick < 40 && settledAt < 0; tick++) {
      if (loggedAt < 0 && logged()) loggedAt = tick;
      await undefined;
    }
    return `logged ${loggedAt} settled ${settledAt}`;
  }

  /** A gateway whose route's policy answers with a promise the test settles; its handler, called directly. */
  async function stubbedGateway(options: Partial<RouteSpec>) {
    const world = new World(3);
    world.addNode('registry', registryNode());
    world.addNode('orders-1', registered({ registry: 'registry', service: 'orders' }, () => ({ handlers: { http: () => 'unused' } })));
    let settle = { resolve: (_value: unknown): void => {}, reject: (_error: unknown): void => {} };
    const stub: Policy = { name: 'stub', execute: <T>() => new Promise<T>((resolve, reject) => (settle = { resolve: resolve as (value: unknown) => void, reject })) };
    const factory = gateway({ registry: 'registry', routes: [{ prefix: '/api/orders', service: 'orders', policy: () => stub, ...options }] });
    let handle: ((payload: unknown, request: Request) => unknown) | undefined;
    world.addNode('gateway', (ctx) => {
      const service = factory(ctx);
      handle = service.handlers![GATEWAY_METHOD] as (payload: unknown, request: Request) => unknown;
      return service;
    });
    const log: string[] = [];
    world.sim.trace.addSink((event) => {
      if (event.kind === 'gateway.request') log.push(event.detail!);
    });
    // Registration and the gateway's first lookup land before any request.
    await world.sim.run({ untilMs: 50 });
    const call = () => handle!(get('/api/orders/1'), {} as Request) as Promise<unknown>;
    return { call, settle: () => settle, log };
  }

  /** The reference: an async function awaiting the route's answer (logging on failure), and a reaction that logs its answer. */
  function reference(answer: Promise<unknown>, log: string[]): Promise<unknown> {
    const forwarded = async (): Promise<unknown> => {
      try {
        return await answer;
      } catch (error) {
        log.push('failed');
        throw error;
      }
    };
    return forwarded().then((response) => {
      log.push('ok');
      return response;
    });
  }

  /** The timing of a gateway call answered `{ id: 1 }`, its log, and the async form's timing. */
  async function answeredTiming(options: Partial<RouteSpec>): Promise<{ measured: string; expected: string; log: string[] }> {
    const gatewayRun = await stubbedGateway(options);
    const measured = await timing(
      () => {
        const answer = gatewayRun.call();
        gatewayRun.settle().resolve({ id: 1 });
        return answer;
      },
      () => gatewayRun.log.length > 0,
    );
    const referenceLog: string[] = [];
    const expected = await timing(() => reference(Promise.resolve({ id: 1 }), referenceLog), () => referenceLog.length > 0);
    return { measured, expected, log: gatewayRun.log };
  }

  it('logs and settles an answer on the microtasks of its async form', async () => {
    const { measured, expected, log } = await answeredTiming({});
    expect(measured).toBe(expected);
    expect(log).toEqual(['GET /api/orders/1 -> ok']);
  });

  it('logs and passes on a failure on the microtasks of its async form', async () => {
    const gatewayRun = await stubbedGateway({});
    const measured = await timing(
      () => {
        const answer = gatewayRun.call();
        gatewayRun.settle().reject(new RpcError('unavailable', 'down'));
        return answer;
      },
      () => gatewayRun.log.length > 0,
    );
    const referenceLog: string[] = [];
    const expected = await timing(() => reference(Promise.reject(new RpcError('unavailable', 'down')), referenceLog), () => referenceLog.length > 0);
    expect(measured).toBe(expected);
    expect(gatewayRun.log).toEqual(['GET /api/orders/1 -> unavailable']);
  });

  it('with a response transformation, logs and settles as without one', async () => {
    const { measured, expected, log } = await answeredTiming({ transformResponse: (value) => ({ wrapped: value }) });
    expect(measured).toBe(expected);
    expect(log).toEqual(['GET /api/orders/1 -> ok']);
  });

  it('rejects one microtask after a request transformation throws', async () => {
    const gatewayRun = await stubbedGateway({
      transformRequest: () => {
        throw new RpcError('bad-request', 'no');
      },
    });
    const measured = await timing(() => gatewayRun.call(), () => false);
    expect(measured).toBe(await timing(() => Promise.reject(new RpcError('bad-request', 'no')).then(), () => false));
  });
});
