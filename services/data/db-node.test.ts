// Tests for services/data/db-node.ts: procedures run atomically as one transaction over RPC, only for
// the owning service, with initialisation once, after-commit effects, and disk reads from outside.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import type { CallOutcome } from '../../sim/world/rpc.ts';
import { DatabaseRegistry } from './database.ts';
import { abortTransaction, dbServerNode, diskTable, DB_RUN_METHOD, nodeServiceLabels, openProcedureDatabase, remoteProcedures, serviceFromNodeName, type Procedures } from './db-node.ts';

interface Account {
  balance: number;
}

/** A bank: `transfer` moves money between two accounts (refusing overdrafts), `balance` reads one. */
function bankProcedures(log: string[]): Procedures {
  return {
    transfer: async (tx, args: { from: string; to: string; amount: number }, context) => {
      const from = (await tx.get<Account>('accounts', args.from))!;
      const to = (await tx.get<Account>('accounts', args.to))!;
      tx.put('accounts', args.from, { balance: from.balance - args.amount });
      tx.put('accounts', args.to, { balance: to.balance + args.amount });
      context.afterCommit(() => log.push(`committed ${args.amount}`));
      if (from.balance < args.amount) abortTransaction({ refused: 'overdraft' });
      if (args.amount === 13) throw new Error('unlucky amount');
      return { ok: true };
    },
    balance: async (tx, args: { id: string }) => (await tx.get<Account>('accounts', args.id))?.balance,
  };
}

/** `bank-db` owned by service `bank`, two bank instances, and an `audit` node of another service. */
function bankWorld() {
  const world = new World(7);
  const registry = new DatabaseRegistry();
  const log: string[] = [];
  let initialized = 0;
  world.addNode(
    'bank-db',
    dbServerNode({
      registry,
      database: 'bank',
      service: 'bank',
      procedures: bankProcedures(log),
      databaseOptions: { readMs: 0, writeMs: 0.5, commitMs: 1, syncMs: 2 },
      callOverheadMs: 0.5,
      callerService: nodeServiceLabels(world),
      initialize: (tx) => {
        initialized++;
        tx.put('accounts', 'alice', { balance: 100 } satisfies Account);
        tx.put('accounts', 'bob', { balance: 0 } satisfies Account);
      },
    }),
    { labels: { service: 'bank' } },
  );
  const forward = (name: string, service: string) =>
    world.addNode(
      name,
      (ctx) => {
        const runner = remoteProcedures(ctx, 'bank-db');
        return { handlers: { run: (body: { procedure: string; args: unknown }, request) => runner.run(body.procedure, body.args, { parent: request }) } };
      },
      { labels: { service } },
    );
  forward('bank-1', 'bank');
  forward('bank-2', 'bank');
  forward('audit-1', 'audit');
  const answers: string[] = [];
  const call = (atMs: number, node: string, procedure: string, args: unknown): void => {
    world.sim.at(atMs, () =>
      world.request(node, 'run', { procedure, args }, { timeoutMs: 1000 }, (outcome: CallOutcome) =>
        answers.push(`${world.nowMs} ${node} ${procedure}: ${outcome.ok ? JSON.stringify(outcome.value) : `${outcome.code} ${outcome.message}`}`),
      ),
    );
  };
  return { world, registry, log, answers, call, initialized: () => initialized };
}

const accounts = (world: World) => Object.fromEntries([...diskTable<Account>(world.node('bank-db'), 'bank', 'accounts')].map(([id, row]) => [id, row.balance]));

describe('database node', () => {
  it('runs a procedure as one transaction for its owner, paying the call and commit costs', async () => {
    const h = bankWorld();
    h.call(10, 'bank-1', 'transfer', { from: 'alice', to: 'bob', amount: 30 });
    h.call(20, 'bank-2', 'balance', { id: 'bob' });
    await h.world.sim.run({ untilMs: 100 });
    // 10 + 1 (link) + 0.5 (call) + commit 1 + 2 rows × 0.5 + fsync 2 = 15.5, answer back at 16.5; a read commits nothing.
    expect(h.answers).toEqual(['16.5 bank-1 transfer: {"ok":true}', '22.5 bank-2 balance: 30']);
    expect(accounts(h.world)).toEqual({ alice: 70, bob: 30 });
    expect(h.log).toEqual(['committed 30']);
  });

  it('rolls everything back and answers the value given to abortTransaction, without after-commit effects', async () => {
    const h = bankWorld();
    h.call(10, 'bank-1', 'transfer', { from: 'bob', to: 'alice', amount: 50 });
    h.call(20, 'bank-1', 'transfer', { from: 'alice', to: 'bob', amount: 13 });
    await h.world.sim.run({ untilMs: 100 });
    expect(h.answers.map((answer) => answer.split(': ').slice(1).join(': '))).toEqual(['{"refused":"overdraft"}', 'application unlucky amount']);
    expect(accounts(h.world)).toEqual({ alice: 100, bob: 0 });
    expect(h.log).toEqual([]);
  });

  it('refuses a node of another service and a client, with a db.refused trace event', async () => {
    const h = bankWorld();
    const refused: string[] = [];
    h.world.sim.trace.addSink((event) => {
      if (event.kind === 'db.refused') refused.push(`${event.peer}: ${event.detail}`);
    });
    h.call(10, 'audit-1', 'transfer', { from: 'alice', to: 'bob', amount: 30 });
    h.world.sim.at(20, () =>
      h.world.request('bank-db', DB_RUN_METHOD, { procedure: 'balance', args: { id: 'alice' } }, {}, (outcome) => h.answers.push(`client: ${outcome.ok ? 'ok' : outcome.code}`)),
    );
    await h.world.sim.run({ untilMs: 100 });
    expect(h.answers).toEqual([
      "12.5 audit-1 transfer: unauthorized database bank belongs to bank; audit-1 (service audit) must use bank's API",
      'client: unauthorized',
    ]);
    expect(refused).toEqual(['audit-1: bank: audit-1 (service audit) is not bank', 'client: bank: client (service ?) is not bank']);
    expect(accounts(h.world)).toEqual({ alice: 100, bob: 0 });
  });

  it('answers not-found for an unknown procedure and bad-request for a malformed call', async () => {
    const h = bankWorld();
    h.call(10, 'bank-1', 'drop-tables', {});
    await h.world.sim.run({ untilMs: 100 });
    expect(h.answers).toEqual(['12.5 bank-1 drop-tables: not-found database bank has no procedure drop-tables']);
  });

  it('initialises once, keeps committed data over a crash, and reads the disk from outside while down', async () => {
    const h = bankWorld();
    h.call(10, 'bank-1', 'transfer', { from: 'alice', to: 'bob', amount: 40 });
    h.world.sim.at(50, () => h.world.crash('bank-db'));
    let whileDown: unknown;
    h.world.sim.at(60, () => (whileDown = accounts(h.world)));
    h.world.sim.at(70, () => h.world.restart('bank-db'));
    h.call(80, 'bank-2', 'balance', { id: 'alice' });
    await h.world.sim.run({ untilMs: 200 });
    expect(whileDown).toEqual({ alice: 60, bob: 40 });
    expect(h.initialized()).toBe(1);
    expect(h.answers.at(-1)).toMatch(/bank-2 balance: 60$/);
  });

  it('maps node names to services by the <service>-<n> convention by default', () => {
    expect(serviceFromNodeName('payments-2')).toBe('payments');
    expect(serviceFromNodeName('payments')).toBe('payments');
    expect(serviceFromNodeName('orders-db')).toBe('orders-db');
  });

  it('runs the same procedures in-process on an embedded database, as the node own service', async () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    const log: string[] = [];
    let answer: unknown;
    world.addNode('bank', (ctx) => {
      const database = openProcedureDatabase(ctx, {
        registry,
        database: 'bank',
        procedures: bankProcedures(log),
        databaseOptions: { readMs: 0, writeMs: 0, commitMs: 1, syncMs: 0 },
        initialize: (tx) => {
          tx.put('accounts', 'alice', { balance: 10 });
          tx.put('accounts', 'bob', { balance: 0 });
        },
      });
      return { handlers: { pay: async () => (answer = await database.runner.run('transfer', { from: 'alice', to: 'bob', amount: 10 })) } };
    });
    world.sim.at(5, () => void world.call('bank', 'pay'));
    await world.sim.run({ untilMs: 50 });
    expect(answer).toEqual({ ok: true });
    expect(Object.fromEntries([...diskTable<Account>(world.node('bank'), 'bank', 'accounts')].map(([id, row]) => [id, row.balance]))).toEqual({ alice: 0, bob: 10 });
    expect(log).toEqual(['committed 10']);
  });

  it('runs after-commit effects and trace events in the order registered, after the commit, and none on a rollback', async () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    const seen: string[] = [];
    world.sim.trace.addSink((event) => {
      if (event.kind === 'db.commit' || event.kind.startsWith('test.')) seen.push(`${event.kind} ${event.detail ?? '-'}`);
    });
    world.addNode('svc', (ctx) => {
      const database = openProcedureDatabase(ctx, {
        registry,
        database: 'svc',
        procedures: {
          step: (tx, args: { fail: boolean }, context) => {
            tx.put('t', 'k', 1);
            context.emit('test.first' as never, 'a');
            context.afterCommit(() => seen.push('effect'));
            context.emit('test.second' as never);
            if (args.fail) throw new Error('undo');
            return 'ok';
          },
        },
      });
      return {
        handlers: {
          go: async () => {
            await database.runner.run('step', { fail: true }).catch(() => undefined);
            await database.runner.run('step', { fail: false });
          },
        },
      };
    });
    world.sim.at(1, () => void world.call('svc', 'go'));
    await world.sim.run({ untilMs: 10 });
    expect(seen).toEqual(['db.commit svc lsn=1 rows=1', 'test.first a', 'effect', 'test.second -']);
  });

  it('refuses a publish made after the procedure settled, whether it returned or threw', async () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    const late: unknown[] = [];
    const answers: unknown[] = [];
    world.addNode('svc', (ctx) => {
      const publishLater = (context: { publish(topic: string, key: string, event: unknown): Promise<void> }): void =>
        ctx.spawn(async () => {
          await ctx.sleep(1);
          await context.publish('news', 'k', { hello: 1 }).catch((caught: unknown) => void late.push(caught));
        });
      const database = openProcedureDatabase(ctx, {
        registry,
        database: 'svc',
        outboxBroker: 'broker',
        procedures: {
          returns: async (_tx, _args, context) => {
            publishLater(context);
            return 'done';
          },
          throws: async (_tx, _args, context) => {
            publishLater(context);
            throw new Error('failed');
          },
        },
      });
      return {
        handlers: {
          go: async () => {
            for (const name of ['returns', 'throws']) answers.push(await database.runner.run(name).catch((caught: unknown) => String(caught)));
          },
        },
      };
    });
    world.sim.at(1, () => void world.call('svc', 'go'));
    await world.sim.run({ untilMs: 10 });
    expect(answers).toEqual(['done', 'Error: failed']);
    expect(late.map(String)).toEqual([
      'ConfigError: procedure returns published news after it returned: await publish inside the procedure',
      'ConfigError: procedure throws published news after it returned: await publish inside the procedure',
    ]);
  });

  it('rejects a procedure that publishes without an outbox', async () => {
    const world = new World(1);
    const registry = new DatabaseRegistry();
    let error: unknown;
    world.addNode('svc', (ctx) => {
      const database = openProcedureDatabase(ctx, {
        registry,
        database: 'svc',
        procedures: { announce: (_tx, _args, context) => context.publish('news', 'k', { hello: 1 }) },
      });
      return { handlers: { go: () => database.runner.run('announce').catch((caught: unknown) => (error = caught)) } };
    });
    world.sim.at(1, () => void world.call('svc', 'go'));
    await world.sim.run({ untilMs: 10 });
    expect(String(error)).toMatch(/publishes news, but database svc has no outbox/);
  });
});
