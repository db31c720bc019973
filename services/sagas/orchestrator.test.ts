// Tests for services/sagas/orchestrator.ts: steps in order, compensations newest first, step
// timeouts, deferral, idempotent starts, and resume after an orchestrator crash (over 200 seeds).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { RpcError } from '../../sim/engine/errors.ts';
import { DatabaseRegistry, type Database } from '../data/database.ts';
import {
  SagaOrchestrator,
  SagaStepDeclined,
  SagaStepDeferred,
  databaseSagaLog,
  type SagaOrchestratorOptions,
  type SagaOutcome,
  type SagaRecord,
  type SagaStep,
} from './orchestrator.ts';

const FREE = { readMs: 0, writeMs: 0, commitMs: 0, syncMs: 0 };

type Behaviour = 'ok' | 'decline' | 'hang' | 'fail' | 'defer';

/**
 * One node `orch` with a saga of steps a, b, c, d. Each action sleeps 10 ms then behaves as told
 * (per step, per try); every action and compensation call is recorded as `<time> <kind> <step>`.
 */
function harness(behaviour: Record<string, Behaviour[]>, options: SagaOrchestratorOptions = {}) {
  const world = new World(1);
  const registry = new DatabaseRegistry();
  const calls: string[] = [];
  const live: { orchestrator?: SagaOrchestrator<{ n: number }>; db?: Database; ctx?: NodeContext } = {};
  const tries = new Map<string, number>();
  const step = (name: string): SagaStep<{ n: number }> => ({
    name,
    action: async () => {
      calls.push(`${world.nowMs} do ${name}`);
      await live.ctx!.sleep(10);
      const count = (tries.get(name) ?? 0) + 1;
      tries.set(name, count);
      const list = behaviour[name] ?? ['ok'];
      const what = list[Math.min(count, list.length) - 1];
      if (what === 'decline') throw new SagaStepDeclined(`${name} says no`);
      if (what === 'fail') throw new RpcError('application', `${name} broke`);
      if (what === 'hang') await new Promise(() => undefined);
      if (what === 'defer') throw new SagaStepDeferred(`${name} later`);
    },
    compensation: async () => {
      calls.push(`${world.nowMs} undo ${name}`);
      await live.ctx!.sleep(5);
    },
  });
  world.addNode('orch', (ctx) => {
    live.ctx = ctx;
    live.db = registry.openDatabase(ctx, 'orch', FREE);
    live.orchestrator = new SagaOrchestrator(ctx, { name: 'demo', steps: ['a', 'b', 'c', 'd'].map(step) }, databaseSagaLog(live.db), { stepTimeoutMs: 100, ...options });
    return { onStart: () => live.orchestrator!.startRecovery() };
  });
  const outcomes: SagaOutcome[] = [];
  const start = (atMs: number, id: string): void => {
    world.sim.at(atMs, () => live.ctx!.spawn(async () => void outcomes.push(await live.orchestrator!.start(id, { n: 1 }))));
  };
  return { world, calls, live, outcomes, start };
}

describe('saga orchestrator', () => {
  it('runs every step in order and completes, leaving no record in flight', async () => {
    const h = harness({});
    h.start(0, 's1');
    await h.world.sim.run({ untilMs: 1000 });
    expect(h.calls).toEqual(['0 do a', '10 do b', '20 do c', '30 do d']);
    expect(h.outcomes).toEqual([{ id: 's1', state: 'completed', deferred: false }]);
    expect(h.live.db!.peekRows('sagas')).toEqual([]);
    // Version 1 at creation, then one write per step: the last step's write also completes the saga.
    expect(h.live.db!.peek<SagaRecord<unknown>>('sagas.ended', 's1')).toMatchObject({ state: 'completed', done: 4, version: 5 });
  });

  it('compensates the completed steps in reverse order when a step declines, skipping the declined one', async () => {
    const h = harness({ c: ['decline'] });
    h.start(0, 's1');
    await h.world.sim.run({ untilMs: 1000 });
    expect(h.calls).toEqual(['0 do a', '10 do b', '20 do c', '30 undo b', '35 undo a']);
    expect(h.outcomes).toEqual([{ id: 's1', state: 'compensated', failure: 'c: declined (c says no)', failedStep: 'c', declined: true, deferred: false }]);
  });

  it('also compensates a step that timed out, since it may have taken effect', async () => {
    const h = harness({ c: ['hang'] });
    h.start(0, 's1');
    await h.world.sim.run({ untilMs: 1000 });
    // c starts at 20 and its 100 ms limit ends it at 120: then c, b, a are undone in that order.
    expect(h.calls).toEqual(['0 do a', '10 do b', '20 do c', '120 undo c', '125 undo b', '130 undo a']);
    expect(h.outcomes[0]).toMatchObject({ state: 'compensated', failedStep: 'c', declined: false });
    expect(h.outcomes[0]!.failure).toMatch(/^c: timeout/);
  });

  it('compensates nothing when the first step declines', async () => {
    const h = harness({ a: ['decline'] });
    h.start(0, 's1');
    await h.world.sim.run({ untilMs: 1000 });
    expect(h.calls).toEqual(['0 do a']);
    expect(h.outcomes[0]).toMatchObject({ state: 'compensated', failedStep: 'a' });
  });

  it('retries a failing compensation with backoff until it succeeds', async () => {
    const world = new World(3);
    const registry = new DatabaseRegistry();
    const calls: string[] = [];
    let undoTries = 0;
    let orchestrator!: SagaOrchestrator<null>;
    world.addNode('orch', (ctx) => {
      const db = registry.openDatabase(ctx, 'orch', FREE);
      orchestrator = new SagaOrchestrator<null>(
        ctx,
        {
          name: 'retrying',
          steps: [
            {
              name: 'pay',
              action: async () => void calls.push(`${world.nowMs} do pay`),
              compensation: async () => {
                calls.push(`${world.nowMs} undo pay`);
                if (++undoTries < 3) throw new RpcError('timeout', 'bank slow');
              },
            },
            { name: 'ship', action: async () => { throw new SagaStepDeclined('no address'); } },
          ],
        },
        databaseSagaLog(db),
        { retryDelayMs: 100 },
      );
      return {};
    });
    let outcome: SagaOutcome | undefined;
    world.sim.at(0, () => world.node('orch').ctx.spawn(async () => void (outcome = await orchestrator.start('s', null))));
    await world.sim.run({ untilMs: 5000 });
    expect(calls.map((call) => call.split(' ').slice(1).join(' '))).toEqual(['do pay', 'undo pay', 'undo pay', 'undo pay']);
    expect(undoTries).toBe(3);
    expect(outcome?.state).toBe('compensated');
  });

  it('joins a start of a saga already running and answers a finished one from the log, running each action once', async () => {
    const h = harness({});
    h.start(0, 's1');
    h.start(5, 's1');
    h.start(500, 's1');
    await h.world.sim.run({ untilMs: 1000 });
    expect(h.calls).toEqual(['0 do a', '10 do b', '20 do c', '30 do d']);
    expect(h.outcomes.map((o) => `${o.id} ${o.state}`)).toEqual(['s1 completed', 's1 completed', 's1 completed']);
  });

  it('parks a deferred step, answers the caller at once, and finishes later', async () => {
    const h = harness({ b: ['defer', 'defer', 'ok'] }, { deferDelayMs: 200 });
    h.start(0, 's1');
    await h.world.sim.run({ untilMs: 5000 });
    expect(h.outcomes).toEqual([{ id: 's1', state: 'running', deferred: true }]);
    expect(h.calls.map((call) => call.split(' ').slice(1).join(' '))).toEqual(['do a', 'do b', 'do b', 'do b', 'do c', 'do d']);
    expect(h.live.db!.peek<SagaRecord<unknown>>('sagas.ended', 's1')?.state).toBe('completed');
  });

  it('compensates a saga that stays deferred past its timeout, including the deferred step', async () => {
    const h = harness({ b: ['defer'] }, { deferDelayMs: 200, sagaTimeoutMs: 1000 });
    h.start(0, 's1');
    h.start(1500, 's1');
    await h.world.sim.run({ untilMs: 10_000 });
    expect(h.outcomes[0]).toEqual({ id: 's1', state: 'running', deferred: true });
    // The second start joins the parked saga and hears how it ended.
    expect(h.outcomes[1]).toMatchObject({ state: 'compensated', failedStep: 'b', failure: 'saga timed out after 1000ms', deferred: false });
    expect(h.calls.slice(-2).map((call) => call.split(' ').slice(1).join(' '))).toEqual(['undo b', 'undo a']);
  });

  it('resumes an unfinished saga after a crash and completes it', async () => {
    const h = harness({});
    h.start(0, 's1');
    h.world.sim.at(15, () => h.world.crash('orch'));
    h.world.sim.at(100, () => h.world.restart('orch'));
    const kinds: string[] = [];
    h.world.sim.trace.addSink((event) => {
      if (event.kind.startsWith('saga.')) kinds.push(`${event.atMs} ${event.kind} ${event.detail}`);
    });
    await h.world.sim.run({ untilMs: 1000 });
    // b was in flight at the crash: it runs again after the restart (actions are idempotent).
    expect(h.calls).toEqual(['0 do a', '10 do b', '100 do b', '110 do c', '120 do d']);
    expect(kinds).toEqual([
      '0 saga.start s1 demo',
      '10 saga.step s1 a done',
      '100 saga.resume s1 running done=1',
      '110 saga.step s1 b done',
      '120 saga.step s1 c done',
      '130 saga.step s1 d done',
      '130 saga.done s1 completed',
    ]);
    expect(h.live.db!.peekRows('sagas')).toEqual([]);
  });

  it('a recovery scan asks the log to skip the sagas it drives already, and resumes the others', async () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    const asked: string[][] = [];
    const resumed: number[] = [];
    world.addNode('orch', (ctx) => {
      const db = registry.openDatabase(ctx, 'orch', FREE);
      const log = databaseSagaLog<unknown>(db);
      const spied = { ...log, unfinished: (owner: string, skip?: ReadonlySet<string>) => (asked.push([...(skip ?? [])]), log.unfinished(owner, skip)) };
      const hang: SagaStep<unknown> = { name: 'a', action: () => new Promise(() => undefined) };
      const orchestrator = new SagaOrchestrator(ctx, { name: 'demo', steps: [hang] }, spied, { stepTimeoutMs: 100_000 });
      // An orphan: in the log, owned by this node, driven by nobody.
      const orphan = db.put('sagas', 'orphan', { id: 'orphan', saga: 'demo', owner: 'orch', data: {}, state: 'running', done: 0, compensateFrom: -1, version: 1, startedAtMs: 0 });
      return {
        onStart: () =>
          ctx.spawn(async () => {
            await orphan;
            void orchestrator.start('s1', {});
            await ctx.sleep(5);
            resumed.push(await orchestrator.resume());
            resumed.push(await orchestrator.resume());
          }),
      };
    });
    await world.sim.run({ untilMs: 100 });
    expect(asked).toEqual([['s1'], ['s1', 'orphan']]);
    expect(resumed).toEqual([1, 0]);
  });

  it('rejects a saga without steps or with a duplicate step name', () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    world.addNode('orch', (ctx) => {
      const log = databaseSagaLog(registry.openDatabase(ctx, 'orch', FREE));
      expect(() => new SagaOrchestrator(ctx, { name: 'empty', steps: [] }, log)).toThrow(/has no steps/);
      const step = { name: 'x', action: async () => undefined };
      expect(() => new SagaOrchestrator(ctx, { name: 'dup', steps: [step, step] }, log)).toThrow(/used twice/);
      return {};
    });
  });
});

// ---- crash and resume over many seeds -------------------------------------------------------------

interface Payment {
  status: 'CHARGED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';
  amount: number;
  charges: number;
}
interface Reservation {
  status: 'RESERVED' | 'REJECTED' | 'RELEASED';
  qty: number;
}
interface Order {
  amount: number;
  qty: number;
}

const BALANCE = 100;
const STOCK = 10;

/** A bank with one account: charge is idempotent by saga id, refund tombstones a charge that never came. */
function bankNode(registry: DatabaseRegistry) {
  return (ctx: NodeContext) => {
    const db = registry.openDatabase(ctx, 'bank', { readMs: 0.2, writeMs: 0.1, commitMs: 0.3, syncMs: 0.5 });
    return {
      handlers: {
        charge: (body: { id: string; amount: number }) =>
          db.transaction(async (tx) => {
            const existing = await tx.get<Payment>('payments', body.id);
            if (existing !== undefined) return existing.status === 'CHARGED' ? 'CHARGED' : 'DECLINED';
            const balance = (await tx.get<number>('accounts', 'a')) ?? BALANCE;
            if (balance < body.amount) {
              tx.put('payments', body.id, { status: 'DECLINED', amount: body.amount, charges: 0 } satisfies Payment);
              return 'DECLINED';
            }
            tx.put('accounts', 'a', balance - body.amount);
            tx.put('payments', body.id, { status: 'CHARGED', amount: body.amount, charges: 1 } satisfies Payment);
            return 'CHARGED';
          }),
        refund: (body: { id: string }) =>
          db.transaction(async (tx) => {
            const existing = await tx.get<Payment>('payments', body.id);
            if (existing === undefined) tx.put('payments', body.id, { status: 'VOIDED', amount: 0, charges: 0 } satisfies Payment);
            else if (existing.status === 'CHARGED') {
              tx.put('accounts', 'a', ((await tx.get<number>('accounts', 'a')) ?? BALANCE) + existing.amount);
              tx.put('payments', body.id, { ...existing, status: 'REFUNDED' });
            }
          }),
      },
    };
  };
}

/** A stock of one product: reserve is idempotent by saga id, release tombstones a reservation that never came. */
function stockNode(registry: DatabaseRegistry) {
  return (ctx: NodeContext) => {
    const db = registry.openDatabase(ctx, 'stock', { readMs: 0.2, writeMs: 0.1, commitMs: 0.3, syncMs: 0.5 });
    return {
      handlers: {
        reserve: (body: { id: string; qty: number }) =>
          db.transaction(async (tx) => {
            const existing = await tx.get<Reservation>('reservations', body.id);
            if (existing !== undefined) return existing.status === 'RESERVED' ? 'RESERVED' : 'REJECTED';
            const available = (await tx.get<number>('stock', 'p')) ?? STOCK;
            if (available < body.qty) {
              tx.put('reservations', body.id, { status: 'REJECTED', qty: body.qty } satisfies Reservation);
              return 'REJECTED';
            }
            tx.put('stock', 'p', available - body.qty);
            tx.put('reservations', body.id, { status: 'RESERVED', qty: body.qty } satisfies Reservation);
            return 'RESERVED';
          }),
        release: (body: { id: string }) =>
          db.transaction(async (tx) => {
            const existing = await tx.get<Reservation>('reservations', body.id);
            if (existing === undefined) tx.put('reservations', body.id, { status: 'RELEASED', qty: 0 } satisfies Reservation);
            else if (existing.status === 'RESERVED') {
              tx.put('stock', 'p', ((await tx.get<number>('stock', 'p')) ?? STOCK) + existing.qty);
              tx.put('reservations', body.id, { ...existing, status: 'RELEASED' });
            }
          }),
      },
    };
  };
}

/** The orchestrator node: `place` starts an order saga (charge, then reserve); recovery resumes after a crash. */
function orchestratorNode(registry: DatabaseRegistry) {
  return (ctx: NodeContext) => {
    const db = registry.openDatabase(ctx, 'orch', { readMs: 0.1, writeMs: 0.1, commitMs: 0.2, syncMs: 0.3 });
    const steps: SagaStep<Order>[] = [
      {
        name: 'charge',
        action: async (order, step) => {
          const status = await ctx.call('bank', 'charge', { id: step.sagaId, amount: order.amount }, { deadlineMs: step.deadlineMs });
          if (status !== 'CHARGED') throw new SagaStepDeclined('insufficient funds');
        },
        compensation: (_order, step) => ctx.call('bank', 'refund', { id: step.sagaId }, { deadlineMs: step.deadlineMs }),
      },
      {
        name: 'reserve',
        action: async (order, step) => {
          const status = await ctx.call('stock', 'reserve', { id: step.sagaId, qty: order.qty }, { deadlineMs: step.deadlineMs });
          if (status !== 'RESERVED') throw new SagaStepDeclined('out of stock');
        },
        compensation: (_order, step) => ctx.call('stock', 'release', { id: step.sagaId }, { deadlineMs: step.deadlineMs }),
      },
    ];
    const orchestrator = new SagaOrchestrator(ctx, { name: 'order', steps }, databaseSagaLog<Order>(db), {
      stepTimeoutMs: 30,
      retryDelayMs: 10,
      recoveryIntervalMs: 100,
    });
    return {
      handlers: { place: (body: { id: string } & Order) => orchestrator.start(body.id, { amount: body.amount, qty: body.qty }) },
      onStart: () => orchestrator.startRecovery(),
    };
  };
}

const diskRows = <T,>(world: World, node: string, db: string, table: string): Map<string, T> =>
  ((world.node(node).durable.get(`db:${db}`) as { tables: Map<string, Map<string, T>> }).tables.get(table) ?? new Map()) as Map<string, T>;

describe('saga orchestrator under crashes (property)', () => {
  it('ends every saga and keeps money and stock consistent, whenever the orchestrator (and the bank) crash', async () => {
    const orderArbitrary = fc.record({ atMs: fc.integer({ min: 0, max: 40 }), amount: fc.integer({ min: 5, max: 60 }), qty: fc.integer({ min: 1, max: 6 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(orderArbitrary, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 1, max: 200 }),
        fc.option(fc.record({ atMs: fc.integer({ min: 0, max: 80 }), forMs: fc.integer({ min: 1, max: 100 }) }), { nil: undefined }),
        async (seed, orders, crashAtMs, downForMs, bankCrash) => {
          const world = new World(seed, { network: { latencyMs: { kind: 'uniform', min: 0.5, max: 8 } } });
          const registry = new DatabaseRegistry();
          world.addNode('bank', bankNode(registry));
          world.addNode('stock', stockNode(registry));
          world.addNode('orch', orchestratorNode(registry));
          orders.forEach((order, index) => {
            world.sim.at(order.atMs, () => void world.call('orch', 'place', { id: `o${index}`, ...order }, { timeoutMs: 5000 }).catch(() => undefined));
          });
          world.sim.at(crashAtMs, () => world.crash('orch'));
          world.sim.at(crashAtMs + downForMs, () => world.restart('orch'));
          if (bankCrash) {
            world.sim.at(bankCrash.atMs, () => world.crash('bank'));
            world.sim.at(bankCrash.atMs + bankCrash.forMs, () => world.restart('bank'));
          }
          await world.sim.run({ untilMs: 20_000, maxEvents: 200_000 });

          // Every saga that exists has ended: none left in flight.
          expect([...diskRows(world, 'orch', 'orch', 'sagas').keys()]).toEqual([]);
          const ended = diskRows<SagaRecord<Order>>(world, 'orch', 'orch', 'sagas.ended');
          const payments = diskRows<Payment>(world, 'bank', 'bank', 'payments');
          const reservations = diskRows<Reservation>(world, 'stock', 'stock', 'reservations');
          let charged = 0;
          for (const payment of payments.values()) {
            expect(payment.charges).toBeLessThanOrEqual(1);
            if (payment.status === 'CHARGED') charged += payment.amount;
          }
          let reserved = 0;
          for (const reservation of reservations.values()) if (reservation.status === 'RESERVED') reserved += reservation.qty;
          expect((diskRows<number>(world, 'bank', 'bank', 'accounts').get('a') ?? BALANCE) + charged).toBe(BALANCE);
          expect((diskRows<number>(world, 'stock', 'stock', 'stock').get('p') ?? STOCK) + reserved).toBe(STOCK);
          // A completed saga holds its charge and reservation; a compensated one holds neither.
          for (const [id, record] of ended) {
            const held = payments.get(id)?.status === 'CHARGED' && reservations.get(id)?.status === 'RESERVED';
            const none = payments.get(id)?.status !== 'CHARGED' && reservations.get(id)?.status !== 'RESERVED';
            expect(record.state === 'completed' ? held : none, `${id} ${record.state}`).toBe(true);
          }
          // Effects exist only for sagas the log knows.
          for (const id of payments.keys()) expect(ended.has(id), `payment of unknown saga ${id}`).toBe(true);
        },
      ),
      { numRuns: 200, seed: 20251125 },
    );
  });
});

describe('bounded retries', () => {
  /** A saga `demo` of steps a (and b, whose action fails) over a log that can refuse every save. */
  function bounded(options: { saveFails: boolean; compensationFails: boolean }) {
    const world = new World(1);
    const events: string[] = [];
    world.sim.trace.addFilteredSink(['saga.gave-up', 'saga.compensate-retry'], (event) => events.push(`${event.kind} ${event.detail}`));
    let saves = 0;
    const log = {
      create: async (record: SagaRecord<unknown>) => record,
      save: async () => {
        saves++;
        if (options.saveFails) throw new RpcError('unavailable', 'log unreachable');
      },
      unfinished: async () => [],
    };
    const steps: SagaStep<unknown>[] = [
      {
        name: 'a',
        action: async () => undefined,
        compensation: async () => {
          if (options.compensationFails) throw new RpcError('unavailable', 'a is down');
        },
      },
      { name: 'b', action: async () => Promise.reject(new RpcError('application', 'b broke')) },
    ];
    const outcomes: SagaOutcome[] = [];
    world.addNode('orch', (ctx) => {
      const orchestrator = new SagaOrchestrator(ctx, { name: 'demo', steps }, log, { maxTries: 3, retryDelayMs: 10 });
      return { onStart: () => ctx.spawn(async () => void outcomes.push(await orchestrator.start('s1', {}))) };
    });
    return { world, events, outcomes, saves: () => saves };
  }

  it('a log that stays unreachable: the save is tried maxTries times, then the saga is given up, named', async () => {
    const b = bounded({ saveFails: true, compensationFails: false });
    await b.world.sim.run({ untilMs: 10_000 });
    expect(b.saves()).toBe(3);
    expect(b.events).toEqual(['saga.gave-up s1 demo: log save of v2 failed 3 times, last: log unreachable']);
    // The saga stays unfinished: its caller learns it is still running.
    expect(b.outcomes).toEqual([{ id: 's1', state: 'running', deferred: true }]);
  });

  it('a compensation that keeps failing is tried maxTries times, then the saga is given up, named', async () => {
    const b = bounded({ saveFails: false, compensationFails: true });
    await b.world.sim.run({ untilMs: 10_000 });
    expect(b.events).toEqual([
      'saga.compensate-retry s1 a: unavailable (a is down)',
      'saga.compensate-retry s1 a: unavailable (a is down)',
      'saga.compensate-retry s1 a: unavailable (a is down)',
      'saga.gave-up s1 demo: compensation of a failed 3 times, last: unavailable (a is down)',
    ]);
    expect(b.outcomes).toEqual([{ id: 's1', state: 'running', deferred: true }]);
  });

  it('rejects a maxTries below 1', () => {
    const world = new World(1);
    world.addNode('orch', (ctx) => {
      expect(() => new SagaOrchestrator(ctx, { name: 'demo', steps: [{ name: 'a', action: async () => undefined }] }, databaseSagaLog(new DatabaseRegistry().openDatabase(ctx, 'orch', FREE)), { maxTries: 0 })).toThrow(
        'saga demo: maxTries is 0; use a whole number >= 1',
      );
      return {};
    });
  });
});
