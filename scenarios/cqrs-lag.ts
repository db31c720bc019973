// CQRS read-model staleness: commands append events to an event store (write side, `orders`), a
// projection on `orders-view` polls the store's feed into a read model, queries read the model.
// The view pauses, its feed link turns lossy, then the view crashes and restarts from its disk.
//
// What to look at: `lagP50Ms` / `lagP99Ms` (append → applied in the read model), `staleReads` and
// `staleRatio` (queries that missed a write already acknowledged), availability. `poll-fast` keeps
// lag and stale reads low; `poll-slow` polls every 500 ms and serves many stale reads;
// `read-your-writes` polls as slowly, but a query that must see a write the api acknowledged waits
// briefly for the view, then reads the write side instead (`writeSideReads`: the price), and so
// serves no stale read, even while the view is paused or down. In every variant the projection
// applies each event exactly once, across the crash (`reapplied` counts events whose first
// application the crash took back), and the read model catches up after the faults.
import { scenario, always, eventually, sometimes, crash, pause, degradeLink } from '../sim/index.ts';
import type { NodeContext, Request, World, SystemHandle } from '../sim/index.ts';
import { DatabaseRegistry, type Database } from '../services/data/database.ts';
import { EventStore, type Reducer } from '../services/data/eventstore.ts';
import { CHECKPOINT_TABLE, ProjectionMetrics, StaleReadTracker, serveEventFeed, startProjection } from '../services/data/projection.ts';

const DURATION_MS = 18_000;
const REQUESTS_PER_SEC = 200;
/** Share of requests that are commands (the rest are queries). */
const COMMAND_SHARE = 0.3;
/** Orders the traffic touches: few enough that a query often asks for one just written. */
const ORDERS = 40;
const PROJECTION = 'orders-by-id';
/** Read-your-writes: how long the view waits for its projection before the api asks the write side. */
const FRESHNESS_WAIT_MS = 30;
const CALL_TIMEOUT_MS = 300;

/** The one event type: an item added to an order. */
interface ItemAdded {
  amount: number;
}

/** A read-model row. `applied` counts events applied to it: exactly once each means applied = version. */
interface OrderRow {
  total: number;
  version: number;
  applied: number;
}

/** What a query answers: the order as the reader sees it (version 0: not found). */
interface OrderView {
  orderId: string;
  total: number;
  version: number;
}

/** The view's answer when it has not reached the version the caller needs. */
interface Behind {
  behind: true;
  version: number;
}

const ORDER_TOTAL: Reducer<{ total: number }, ItemAdded> = {
  name: 'order-total',
  initial: () => ({ total: 0 }),
  apply: (state, event) => ({ total: state.total + event.amount }),
};

/** Facts recorded from outside the services, for checks and metrics. */
class CqrsMeter {
  readonly projection = new ProjectionMetrics();
  readonly tracker: StaleReadTracker;
  /** Highest global position the write side acknowledged (its store syncs every commit). */
  lastAppendedPosition = 0;
  /** Stream versions on the write side, as its appends returned them. */
  readonly writeVersions = new Map<string, number>();
  writeSideReads = 0;

  constructor(world: World) {
    this.tracker = new StaleReadTracker(() => world.nowMs);
  }
}

/** The system a variant builds, as checks and metrics see it. */
interface CqrsSystem extends SystemHandle {
  meter: CqrsMeter;
  /** The read model's database, while the view node is up. */
  readModel(): Database | undefined;
}

/** What differs between variants. */
interface ReadPolicy {
  pollIntervalMs: number;
  /** Queries carry the version the api acknowledged, and fall back to the write side. */
  readYourWrites: boolean;
}

/** The write side: an event store with its feed, synced on every commit. */
function ordersNode(registry: DatabaseRegistry, meter: CqrsMeter) {
  return (ctx: NodeContext) => {
    const store = new EventStore<ItemAdded>(registry.openDatabase(ctx, 'orders'));
    return {
      handlers: {
        ...serveEventFeed(store),
        add: async (body: { orderId: string; amount: number }) => {
          const result = await store.append(body.orderId, [{ amount: body.amount }], { expectedVersion: 'any' });
          const position = result.events[0]!.position;
          if (position > meter.lastAppendedPosition) meter.lastAppendedPosition = position;
          meter.writeVersions.set(body.orderId, result.version);
          return { version: result.version };
        },
        get: async (body: { orderId: string }): Promise<OrderView> => {
          const loaded = await store.load(body.orderId, ORDER_TOTAL);
          return { orderId: body.orderId, total: loaded.state.total, version: loaded.version };
        },
      },
    };
  };
}

/** The read side: the projection and the queries it serves, on a database synced every 100 ms. */
function viewNode(registry: DatabaseRegistry, meter: CqrsMeter, policy: ReadPolicy) {
  return (ctx: NodeContext) => {
    const db = registry.openDatabase(ctx, 'orders-view', { sync: { everyMs: 100 } });
    startProjection<ItemAdded>(ctx, db, {
      name: PROJECTION,
      source: 'orders',
      pollIntervalMs: policy.pollIntervalMs,
      timeoutMs: 200,
      metrics: meter.projection,
      apply: async (tx, stored) => {
        const row = await tx.get<OrderRow>('orders', stored.streamId);
        tx.put('orders', stored.streamId, {
          total: (row?.total ?? 0) + stored.event.amount,
          version: stored.version,
          applied: (row?.applied ?? 0) + 1,
        } satisfies OrderRow);
      },
    });
    const answer = (orderId: string, row: OrderRow | undefined): OrderView => ({ orderId, total: row?.total ?? 0, version: row?.version ?? 0 });
    // Waits (up to FRESHNESS_WAIT_MS) for a commit of the projection that brings the row to `minVersion`.
    const awaitVersion = (orderId: string, minVersion: number): Promise<OrderView | Behind> =>
      new Promise((resolve) => {
        let settled = false;
        const settle = (value: OrderView | Behind): void => {
          if (settled) return;
          settled = true;
          unwatch();
          ctx.clearTimer(timer);
          resolve(value);
        };
        const unwatch = db.watch((change) => {
          if (change !== 'commit') return;
          void db.get<OrderRow>('orders', orderId).then((row) => {
            if ((row?.version ?? 0) >= minVersion) settle(answer(orderId, row));
          });
        });
        const timer = ctx.setTimer(FRESHNESS_WAIT_MS, () => settle({ behind: true, version: 0 }));
      });
    return {
      handlers: {
        get: async (body: { orderId: string; minVersion?: number }): Promise<OrderView | Behind> => {
          const row = await db.get<OrderRow>('orders', body.orderId);
          if (body.minVersion === undefined || (row?.version ?? 0) >= body.minVersion) return answer(body.orderId, row);
          return awaitVersion(body.orderId, body.minVersion);
        },
      },
    };
  };
}

/** The entry point: routes commands to the write side and queries to the read side. */
function apiNode(meter: CqrsMeter, policy: ReadPolicy) {
  return (ctx: NodeContext) => {
    /** Versions this api acknowledged to writers: the freshness a read-your-writes query needs. */
    const acknowledged = new Map<string, number>();
    const readWriteSide = async (orderId: string, request: Request): Promise<OrderView> => {
      meter.writeSideReads++;
      return request.call<OrderView>('orders', 'get', { orderId }, { timeoutMs: CALL_TIMEOUT_MS });
    };
    const query = async (orderId: string, request: Request): Promise<OrderView> => {
      if (!policy.readYourWrites) return request.call<OrderView>('orders-view', 'get', { orderId }, { timeoutMs: CALL_TIMEOUT_MS });
      const minVersion = acknowledged.get(orderId);
      let view: OrderView | Behind;
      try {
        // The view's timeout leaves room for the write side within the client's second.
        view = await request.call<OrderView | Behind>('orders-view', 'get', { orderId, ...(minVersion !== undefined ? { minVersion } : {}) }, { timeoutMs: 150 });
      } catch {
        return readWriteSide(orderId, request); // the view is paused, down or cut off
      }
      return 'behind' in view ? readWriteSide(orderId, request) : view;
    };
    return {
      handlers: {
        add: async (body: { orderId: string; amount: number }, request: Request) => {
          const { version } = await request.call<{ version: number }>('orders', 'add', body, { timeoutMs: CALL_TIMEOUT_MS });
          if (version > (acknowledged.get(body.orderId) ?? 0)) acknowledged.set(body.orderId, version);
          meter.tracker.acknowledge(body.orderId, version);
          return { version };
        },
        get: async (body: { orderId: string }, request: Request) => {
          const token = meter.tracker.beginRead(body.orderId);
          const view = await query(body.orderId, request);
          meter.tracker.endRead(token, view.version);
          return view;
        },
      },
    };
  };
}

function build(policy: ReadPolicy) {
  return (world: World): CqrsSystem => {
    const meter = new CqrsMeter(world);
    const registry = new DatabaseRegistry();
    world.addNode('orders', ordersNode(registry, meter), { workers: 8, queueCapacity: 256 });
    world.addNode('orders-view', viewNode(registry, meter, policy), { workers: 8, queueCapacity: 256 });
    world.addNode('api', apiNode(meter, policy), { workers: 10_000, queueCapacity: 0 });
    const readModel = (): Database | undefined => registry.inspect('orders-view', 'orders-view');
    return {
      entry: 'api',
      meter,
      readModel,
      metrics: () => {
        const projection = meter.projection.figures();
        const stale = meter.tracker.figures();
        const checkpoint = readModel()?.peek<{ nextPosition: number }>(CHECKPOINT_TABLE, PROJECTION);
        return {
          lagP50Ms: projection.lagMs.p50,
          lagP99Ms: projection.lagMs.p99,
          lagMaxMs: projection.lagMs.max,
          reads: stale.reads,
          staleReads: stale.staleReads,
          staleRatio: stale.staleRatio,
          staleForP99Ms: stale.staleForMs.p99,
          writeSideReads: meter.writeSideReads,
          eventsAppended: meter.lastAppendedPosition,
          reapplied: projection.applied - ((checkpoint?.nextPosition ?? 1) - 1),
          pollFailures: projection.pollFailures,
        };
      },
    };
  };
}

export default scenario<CqrsSystem>({
  name: 'cqrs-lag',
  description: 'Commands append to an event store, a projection on another node builds the read model, queries read it; the view pauses, its feed turns lossy, it crashes.',
  durationMs: DURATION_MS,
  quiesceMs: 3_000,
  network: { latencyMs: { kind: 'lognormal', median: 1, sigma: 0.3 } },
  workload: {
    kind: 'open',
    ratePerSec: REQUESTS_PER_SEC,
    timeoutMs: 1_000,
    request: (rng) => {
      const orderId = `o${rng.int(0, ORDERS)}`;
      return rng.chance(COMMAND_SHARE)
        ? { endpoint: 'POST /orders/:id/items', method: 'add', payload: { orderId, amount: rng.int(1, 100) } }
        : { endpoint: 'GET /orders/:id', method: 'get', payload: { orderId } };
    },
  },
  variants: [
    { name: 'poll-fast', description: 'the projection polls every 20 ms', build: build({ pollIntervalMs: 20, readYourWrites: false }) },
    { name: 'poll-slow', description: 'the projection polls every 500 ms', build: build({ pollIntervalMs: 500, readYourWrites: false }) },
    {
      name: 'read-your-writes',
      description: `polls every 500 ms; a query waits up to ${FRESHNESS_WAIT_MS} ms for the acknowledged version, else reads the write side`,
      build: build({ pollIntervalMs: 500, readYourWrites: true }),
    },
  ],
  faults: [
    { atMs: 4_000, durationMs: 1_500, fault: pause('orders-view') },
    { atMs: 8_000, durationMs: 3_000, fault: degradeLink('orders', 'orders-view', { lossProbability: 0.5 }) },
    { atMs: 13_000, durationMs: 2_000, fault: crash('orders-view') },
  ],
  checks: [
    always('the projection applies each event exactly once', ({ system }) => {
      const db = system.readModel();
      if (db === undefined) return true; // the view is down: nothing to inspect until it restarts
      let appliedTotal = 0;
      for (const { key, value } of db.peekRows<OrderRow>('orders')) {
        if (value.applied !== value.version) return `order ${key} reflects version ${value.version} after ${value.applied} applications`;
        appliedTotal += value.applied;
      }
      const nextPosition = db.peek<{ nextPosition: number }>(CHECKPOINT_TABLE, PROJECTION)?.nextPosition ?? 1;
      return appliedTotal === nextPosition - 1 || `${appliedTotal} applications in the read model, but the checkpoint says ${nextPosition - 1} events`;
    }),
    eventually('the read model catches up with the write side', ({ system }) => {
      const db = system.readModel();
      if (db === undefined) return 'the view is down';
      const nextPosition = db.peek<{ nextPosition: number }>(CHECKPOINT_TABLE, PROJECTION)?.nextPosition ?? 1;
      if (nextPosition - 1 !== system.meter.lastAppendedPosition) return `read model at position ${nextPosition - 1} of ${system.meter.lastAppendedPosition}`;
      for (const [orderId, version] of system.meter.writeVersions) {
        const row = db.peek<OrderRow>('orders', orderId);
        if (row?.version !== version) return `order ${orderId} at version ${row?.version ?? 0} in the read model, ${version} on the write side`;
      }
      return true;
    }),
    sometimes('a query read a stale order', ({ system }) => system.meter.tracker.staleReads > 0),
  ],
});
