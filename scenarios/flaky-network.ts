// A key-value API on a lossy, jittery network while its store crashes, its API node pauses, a
// partition cuts them apart and a clock skews. Shows the engine's network and node faults.
//
// What to look at: `direct` answers fast but fails every request that meets a fault; `retrying`
// turns lost messages and short outages into latency (its p99 grows) and keeps availability up.
// Both keep the invariant: a write the API acknowledged is on the store's disk.
import { scenario, always, eventually, crash, pause, partition, skew, degradeLink } from '../sim/index.ts';
import type { NodeContext, Request, World, SystemHandle } from '../sim/index.ts';
import { RpcError, isTransientRpcError } from '../sim/index.ts';

interface KvSystem extends SystemHandle {
  /** Keys the API acknowledged as written, with the value: read from outside by the checks. */
  acknowledged: Map<string, number>;
}

/** The store: durable writes (its disk survives crashes), 1–3 ms of CPU per operation. */
function kvStore(ctx: NodeContext) {
  return {
    handlers: {
      put: async (body: { key: string; value: number }, request: Request) => {
        await request.cpu(ctx.rng.uniform(1, 3));
        ctx.durable.set(body.key, body.value);
        return 'stored';
      },
      get: async (body: { key: string }, request: Request) => {
        await request.cpu(1);
        return ctx.durable.get(body.key) ?? null;
      },
      health: () => 'ok',
    },
  };
}

/** The API: forwards to the store, once or with retries and exponential backoff. */
function kvApi(attempts: number, acknowledged: Map<string, number>) {
  return (ctx: NodeContext) => {
    const forward = async (method: string, body: unknown, request: Request): Promise<unknown> => {
      let lastError: unknown;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          return await request.call('kv', method, body, { timeoutMs: 150 });
        } catch (error) {
          lastError = error;
          if (!isTransientRpcError(error) || attempt === attempts) break;
          await ctx.sleep(25 * 2 ** (attempt - 1) * ctx.rng.uniform(0.5, 1.5));
        }
      }
      throw lastError instanceof RpcError ? lastError : new RpcError('unavailable', String(lastError));
    };
    return {
      handlers: {
        put: async (body: { key: string; value: number }, request: Request) => {
          const answer = await forward('put', body, request);
          acknowledged.set(body.key, body.value);
          return answer;
        },
        get: (body: { key: string }, request: Request) => forward('get', body, request),
      },
    };
  };
}

function build(attempts: number) {
  return (world: World): KvSystem => {
    const acknowledged = new Map<string, number>();
    world.addNode('kv', kvStore, { workers: 8, queueCapacity: 200 });
    world.addNode('api', kvApi(attempts, acknowledged), { workers: 32, queueCapacity: 500 });
    return {
      entry: 'api',
      acknowledged,
      metrics: () => ({ acknowledgedWrites: acknowledged.size, storedKeys: world.node('kv').durable.size }),
    };
  };
}

export default scenario<KvSystem>({
  name: 'flaky-network',
  description: 'A key-value API over a lossy network while its store crashes, the API pauses, a partition cuts them apart and a clock skews.',
  durationMs: 60_000,
  quiesceMs: 5_000,
  network: {
    latencyMs: { kind: 'lognormal', median: 2, sigma: 0.5 },
    jitterMs: { kind: 'uniform', min: 0, max: 1 },
    lossProbability: 0.01,
    duplicateProbability: 0.005,
    reorderProbability: 0.01,
  },
  workload: {
    kind: 'open',
    ratePerSec: 200,
    timeoutMs: 1_000,
    request: (rng, index) => {
      const key = `k${rng.int(0, 500)}`;
      return rng.chance(0.3)
        ? { endpoint: 'PUT /kv', method: 'put', payload: { key, value: index } }
        : { endpoint: 'GET /kv', method: 'get', payload: { key } };
    },
  },
  variants: [
    { name: 'direct', description: 'one attempt per request', build: build(1) },
    { name: 'retrying', description: 'up to 4 attempts with jittered exponential backoff', build: build(4) },
  ],
  faults: [
    { atMs: 10_000, durationMs: 5_000, fault: crash('kv') },
    { atMs: 22_000, durationMs: 2_000, fault: pause('api') },
    { atMs: 30_000, durationMs: 4_000, fault: partition(['api'], ['kv']) },
    { atMs: 40_000, durationMs: 10_000, fault: degradeLink('api', 'kv', { lossProbability: 0.2 }) },
    { atMs: 45_000, fault: skew('api', 2_000, 100) },
  ],
  checks: [
    always('acknowledged writes are durable', ({ system, world }) => {
      const disk = world.node('kv').durable;
      for (const [key] of system.acknowledged) {
        if (!disk.has(key)) return `write to ${key} was acknowledged but is not on the store's disk`;
      }
      return true;
    }),
    eventually('the store is up after faults heal', ({ world }) => world.node('kv').status === 'up'),
  ],
});
