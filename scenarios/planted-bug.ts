// A transfer service with a planted bug, for sweeps, shrinking and replay: a bank moves money on a
// ledger in two steps (debit, then credit), while random crashes hit both nodes.
//
// The bug: `naive` keeps a transfer's progress in memory only, so a bank crash between the debit and
// the credit loses the money. `saga-log` writes each step to its durable log first and finishes
// interrupted transfers when it restarts. Try: `sim sweep scenarios/planted-bug.ts --seeds 1..200`,
// then `sim shrink scenarios/planted-bug.ts --seed <a failing seed>`.
import { scenario, always, sometimes, RpcError, isTransientRpcError, registerTimelineKinds } from '../sim/index.ts';
import type { NodeContext, Request, World, SystemHandle } from '../sim/index.ts';

// The bank's own saga resumption goes on the run's timeline.
registerTimelineKinds('saga.resume');

// The ledger's own trace events.
declare module '../sim/engine/trace-kinds.ts' {
  interface TraceKinds {
    'ledger.debit': true;
    'ledger.credit': true;
  }
}

/** Accounts and their opening balance. */
const ACCOUNTS = 8;
const OPENING_BALANCE = 1_000;

interface TransferBody {
  id: string;
  from: number;
  to: number;
  amount: number;
}

/** An applied debit still waiting for its credit. */
interface OpenDebit {
  amount: number;
  from: string;
  atMs: number;
}

/** The transfers the running bank is working on, in memory; replaced on every restart. */
interface BankMemory {
  inProgress: Set<string>;
}

interface BankSystem extends SystemHandle {
  memory: BankMemory;
}

const accountName = (index: number): string => `acct-${index % ACCOUNTS}`;

/** The ledger: balances on its disk; every operation idempotent by transfer id, so retries are safe. */
function ledger(ctx: NodeContext) {
  if (!ctx.durable.has('balances')) {
    ctx.durable.set('balances', new Map(Array.from({ length: ACCOUNTS }, (_, index) => [accountName(index), OPENING_BALANCE])));
    ctx.durable.set('open', new Map<string, OpenDebit>());
    ctx.durable.set('applied', new Set<string>());
  }
  const balances = ctx.durable.get('balances') as Map<string, number>;
  const open = ctx.durable.get('open') as Map<string, OpenDebit>;
  const applied = ctx.durable.get('applied') as Set<string>;
  return {
    handlers: {
      debit: async (body: TransferBody, request: Request) => {
        await request.cpu(0.5);
        if (applied.has(`debit:${body.id}`)) return 'ok';
        const from = accountName(body.from);
        const balance = balances.get(from)!;
        if (balance < body.amount) throw new RpcError('bad-request', `insufficient funds in ${from}`);
        balances.set(from, balance - body.amount);
        open.set(body.id, { amount: body.amount, from, atMs: ctx.now() });
        applied.add(`debit:${body.id}`);
        ctx.emit('ledger.debit', `${body.id} ${from} -${body.amount}`);
        return 'ok';
      },
      credit: async (body: TransferBody, request: Request) => {
        await request.cpu(0.5);
        if (applied.has(`credit:${body.id}`)) return 'ok';
        const to = accountName(body.to);
        balances.set(to, balances.get(to)! + body.amount);
        open.delete(body.id);
        applied.add(`credit:${body.id}`);
        ctx.emit('ledger.credit', `${body.id} ${to} +${body.amount}`);
        return 'ok';
      },
    },
  };
}

/** Calls the ledger until it answers: transient errors are retried with capped backoff. */
async function ledgerCall(ctx: NodeContext, method: 'debit' | 'credit', body: TransferBody): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.call('ledger', method, body, { timeoutMs: 100 });
      return;
    } catch (error) {
      if (!isTransientRpcError(error) || attempt >= 60) throw error;
      await ctx.sleep(Math.min(200, 10 * 2 ** attempt) * ctx.rng.uniform(0.5, 1));
    }
  }
}

/** One bank step that takes time between debit and credit (a fraud check), from the swarm options. */
function bank(durableLog: boolean, checkDelayMs: number, memory: BankMemory) {
  return (ctx: NodeContext) => {
    const inProgress = new Set<string>();
    memory.inProgress = inProgress;
    // The saga log: transfers in progress with the step reached; only `saga-log` keeps one.
    if (durableLog && !ctx.durable.has('saga')) ctx.durable.set('saga', new Map<string, { body: TransferBody; step: 'debit' | 'credit' }>());
    const saga = ctx.durable.get('saga') as Map<string, { body: TransferBody; step: 'debit' | 'credit' }> | undefined;

    const transfer = async (body: TransferBody, fromStep: 'debit' | 'credit'): Promise<string> => {
      inProgress.add(body.id);
      try {
        return await steps(body, fromStep);
      } finally {
        inProgress.delete(body.id);
      }
    };
    const steps = async (body: TransferBody, fromStep: 'debit' | 'credit'): Promise<string> => {
      if (fromStep === 'debit') {
        saga?.set(body.id, { body, step: 'debit' });
        try {
          await ledgerCall(ctx, 'debit', body);
        } catch (error) {
          saga?.delete(body.id);
          throw error;
        }
        saga?.set(body.id, { body, step: 'credit' });
        await ctx.sleep(checkDelayMs);
      }
      await ledgerCall(ctx, 'credit', body);
      saga?.delete(body.id);
      return 'done';
    };

    return {
      handlers: {
        transfer: (body: TransferBody) => transfer(body, 'debit'),
      },
      onStart: () => {
        if (!saga) return;
        // Finish what a crash interrupted: redo the step reached (both are idempotent on the ledger).
        for (const { body, step } of [...saga.values()]) {
          ctx.emit('saga.resume', `${body.id} from ${step}`);
          ctx.durable.set('recovered', ((ctx.durable.get('recovered') as number | undefined) ?? 0) + 1);
          ctx.spawn(async () => {
            await transfer(body, step).catch(() => undefined);
          });
        }
      },
    };
  };
}

function build(durableLog: boolean) {
  return (world: World, env: { options: Readonly<Record<string, number>> }): BankSystem => {
    world.addNode('ledger', ledger, { workers: 4, queueCapacity: 500 });
    const memory: BankMemory = { inProgress: new Set() };
    world.addNode('bank', bank(durableLog, env.options.checkDelayMs ?? 5, memory), { workers: 16, queueCapacity: 500 });
    const ledgerDisk = (): Map<string, unknown> => world.node('ledger').durable;
    return {
      entry: 'bank',
      memory,
      metrics: () => ({
        moneyOnLedger: sum(ledgerDisk().get('balances') as Map<string, number>),
        openDebits: (ledgerDisk().get('open') as Map<string, OpenDebit>).size,
      }),
    };
  };
}

function sum(balances: Map<string, number>): number {
  let total = 0;
  for (const balance of balances.values()) total += balance;
  return total;
}

export default scenario<BankSystem>({
  name: 'planted-bug',
  description: 'A bank moves money on a ledger in two steps while crashes hit both; the naive variant loses money when the bank crashes between the steps.',
  durationMs: 10_000,
  quiesceMs: 4_000,
  checkIntervalMs: 100,
  network: { latencyMs: { kind: 'lognormal', median: 1, sigma: 0.4 } },
  workload: {
    kind: 'open',
    ratePerSec: 50,
    timeoutMs: 2_000,
    request: (rng, index) => {
      const from = rng.int(0, ACCOUNTS);
      const to = (from + rng.int(1, ACCOUNTS)) % ACCOUNTS;
      return { endpoint: 'POST /transfers', method: 'transfer', payload: { id: `t${index}`, from, to, amount: rng.int(1, 100) } satisfies TransferBody };
    },
  },
  options: {
    checkDelayMs: { min: 1, max: 20, default: 5 },
  },
  faultRegime: {
    startMs: 500,
    entries: [
      { kind: 'crash', targets: ['bank'], probabilityPerSec: 0.05, minStableMs: 2_000, durationMs: { kind: 'uniform', min: 100, max: 800 } },
      { kind: 'crash', targets: ['ledger'], probabilityPerSec: 0.08, minStableMs: 2_000, durationMs: { kind: 'uniform', min: 100, max: 800 } },
      { kind: 'slow', targets: ['ledger'], probabilityPerSec: 0.1, minStableMs: 1_000, durationMs: { kind: 'uniform', min: 200, max: 1_000 }, magnitude: 5 },
    ],
  },
  variants: [
    { name: 'naive', description: 'progress in memory only: a crash between debit and credit loses the money (the planted bug)', build: build(false) },
    { name: 'saga-log', description: 'each step in a durable saga log; interrupted transfers are finished on restart', build: build(true) },
  ],
  checks: [
    // Money on the ledger plus the debits the bank still owns (in the memory of its running
    // process, or in its durable saga log) is the opening total; a debit nobody owns is money lost.
    always('money is conserved', ({ system, world }) => {
      const disk = world.node('ledger').durable;
      const bankNode = world.node('bank');
      const saga = bankNode.durable.get('saga') as Map<string, unknown> | undefined;
      const owned = (id: string): boolean => (bankNode.status === 'up' && system.memory.inProgress.has(id)) || (saga?.has(id) ?? false);
      let inTransit = 0;
      let lost: (OpenDebit & { id: string }) | undefined;
      for (const [id, debit] of disk.get('open') as Map<string, OpenDebit>) {
        if (owned(id)) inTransit += debit.amount;
        else lost ??= { id, ...debit };
      }
      const missing = ACCOUNTS * OPENING_BALANCE - sum(disk.get('balances') as Map<string, number>) - inTransit;
      if (missing === 0) return true;
      const example = lost ? `: transfer ${lost.id} took ${lost.amount} from ${lost.from} at ${Math.round(lost.atMs)} ms and the bank forgot it` : '';
      return `${missing} missing from the ledger${example}`;
    }),
    sometimes('a bank crash caught a transfer between its steps', ({ system, world }) => {
      const bankNode = world.node('bank');
      for (const id of (world.node('ledger').durable.get('open') as Map<string, OpenDebit>).keys()) {
        if (bankNode.status !== 'up' || !system.memory.inProgress.has(id)) return true;
      }
      return false;
    }),
    sometimes('an interrupted transfer was finished after a restart', ({ world }) => ((world.node('bank').durable.get('recovered') as number | undefined) ?? 0) > 0),
  ],
});
