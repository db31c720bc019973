// A database server node: owns one service's Database and runs named, registered procedures (each
// one local transaction) for that service's instances only; plus the same procedures run in-process.
import type { TraceKind } from '../../sim/engine/trace-kinds.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import type { NodeFactory, Request, SimNode } from '../../sim/world/node.ts';
import { ConfigError, RpcError, SimulatedError, registerErrorCode } from '../../sim/engine/errors.ts';
import { serviceOf, type Database, type DatabaseOptions, type DatabaseRegistry, type Transaction } from './database.ts';
import { Outbox, startOutboxRelay } from './outbox.ts';
import { busClient } from '../messaging/bus-client.ts';

// A database refuses callers other than its owning service.
declare module '../../sim/engine/errors.ts' {
  interface RpcErrorCodes { 'unauthorized': true; }
}
registerErrorCode('unauthorized');

/** The RPC method a database node serves: `{ procedure, args }` in, the procedure's result out. */
export const DB_RUN_METHOD = 'db.run';

/** Payload of a `db.run` call. */
export interface ProcedureCallRequest {
  procedure: string;
  args?: unknown;
}

/** What a procedure may use besides its transaction. */
export interface ProcedureContext {
  /** The service that called (the database's owner). */
  readonly caller: string;
  /** The database node's clock, in ms (timestamps written with rows). */
  nowMs(): number;
  /** Runs `effect` once the transaction has committed; never if it rolls back. For observers and trace events. */
  afterCommit(effect: () => void): void;
  /** Adds an event to the database's outbox inside this transaction (published only if it commits). */
  publish(topic: string, key: string, event: unknown): Promise<void>;
  /** Records a trace event on the database's node after the commit. */
  emit(kind: TraceKind, detail?: string): void;
}

/**
 * A stored procedure: runs inside one transaction (all its writes commit together or not at all).
 * Return business outcomes as values; a thrown error rolls back and reaches the caller.
 */
export type Procedure<A = any, R = unknown> = (tx: Transaction, args: A, context: ProcedureContext) => Promise<R> | R;

/** Procedures by name. */
export type Procedures = Readonly<Record<string, Procedure>>;

/** Thrown by `abortTransaction`: the runner rolls back and answers `result` as a normal value. */
export class ProcedureAbort extends SimulatedError {
  constructor(readonly result: unknown) {
    super('transaction aborted by its procedure');
  }
}
ProcedureAbort.prototype.name = 'ProcedureAbort';

/** Rolls back the current procedure's transaction and makes `result` its answer (an ACID "undo all"). */
export function abortTransaction(result: unknown): never {
  throw new ProcedureAbort(result);
}

/** Options of one procedure call. */
export interface ProcedureCallOptions {
  /** Absolute true virtual time after which the answer is useless (remote calls only). */
  deadlineMs?: number;
  /** Timeout of the call (remote calls only). */
  timeoutMs?: number;
  /** The request being served: its trace continues on the database call. */
  parent?: Request;
}

/** Runs procedures somewhere: in-process (`openProcedureDatabase(...).runner`) or on a database node (`remoteProcedures`). */
export interface ProcedureRunner {
  /** Runs procedure `name` in one transaction and resolves with its result; rejects with an RpcError. */
  run<R = unknown>(name: string, args?: unknown, options?: ProcedureCallOptions): Promise<R>;
}

/** How a database with procedures is opened (on a database node or embedded in a service). */
export interface ProcedureDatabaseOptions {
  registry: DatabaseRegistry;
  /** Database name, unique per world. */
  database: string;
  procedures: Procedures;
  databaseOptions?: DatabaseOptions;
  /** Fills an empty database once, on its very first open (reference data, opening balances). */
  initialize?: (tx: Transaction) => void | Promise<void>;
  /** Broker node: procedures may `publish`, and an outbox relay on this node forwards the events. */
  outboxBroker?: string;
}

/** A database opened with its procedures, on the node of `ctx`. */
export interface ProcedureDatabase {
  readonly db: Database;
  /** Runs procedures in-process on this node, as its own service. */
  readonly runner: ProcedureRunner;
  /** Resolves once `initialize` has run (at once if there is none or it ran before). */
  readonly ready: Promise<void>;
  /** Runs one procedure for `caller` (the service that asked). */
  execute(name: string, args: unknown, caller: string): Promise<unknown>;
}

const META_TABLE = 'db.meta';

/**
 * Opens `options.database` on the node of `ctx` (call it in the node factory, so a restart reopens
 * it from disk), runs `initialize` on first use, and starts the outbox relay when asked.
 */
export function openProcedureDatabase(ctx: NodeContext, options: ProcedureDatabaseOptions): ProcedureDatabase {
  const db = options.registry.openDatabase(ctx, options.database, options.databaseOptions);
  let outbox: Outbox | undefined;
  if (options.outboxBroker !== undefined) {
    const bus = busClient(ctx, { broker: options.outboxBroker });
    outbox = new Outbox(db);
    startOutboxRelay(ctx, outbox, { publish: (topic, key, event, publishOptions) => bus.publish(topic, key, event, publishOptions) });
  }
  const initialize = options.initialize;
  let isReady = initialize === undefined;
  const ready =
    initialize === undefined
      ? Promise.resolve()
      : db
          .transaction(async (tx) => {
            if ((await tx.get(META_TABLE, 'initialized')) !== undefined) return;
            await initialize(tx);
            tx.put(META_TABLE, 'initialized', true);
          })
          .then(() => {
            isReady = true;
          });

  const execute = async (name: string, args: unknown, caller: string): Promise<unknown> => {
    const procedure = options.procedures[name];
    if (procedure === undefined) throw new RpcError('not-found', `database ${options.database} has no procedure ${name}`, ctx.name);
    if (!isReady) await ready;
    const call = new ProcedureCall(ctx, caller, name, options.database, outbox);
    let result: unknown;
    try {
      result = await db.transaction((tx) => call.run(procedure, tx, args));
    } catch (error) {
      if (error instanceof ProcedureAbort) return error.result;
      throw error;
    }
    call.committed();
    return result;
  };

  const self = serviceOf(ctx);
  const runner: ProcedureRunner = {
    run: <R>(name: string, args?: unknown) => execute(name, args, self) as Promise<R>,
  };
  return { db, runner, ready, execute };
}

/** Marks a trace event among a call's after-commit effects. */
const EMIT: unique symbol = Symbol('emit');

/** One procedure call's context: a class, so a call allocates one object and no closures (a hot path). */
class ProcedureCall implements ProcedureContext {
  /**
   * After-commit work in registration order: an effect, or a trace event as three entries (EMIT,
   * its kind, its detail), so an `emit` costs no closure.
   */
  private effects: unknown[] | undefined;
  private tx: Transaction | undefined;

  constructor(
    private readonly ctx: NodeContext,
    readonly caller: string,
    private readonly procedure: string,
    private readonly database: string,
    private readonly outbox: Outbox | undefined,
  ) {}

  nowMs(): number {
    return this.ctx.now();
  }

  afterCommit(effect: () => void): void {
    (this.effects ??= []).push(effect);
  }

  async publish(topic: string, key: string, event: unknown): Promise<void> {
    if (this.outbox === undefined) throw new ConfigError(`procedure ${this.procedure} publishes ${topic}, but database ${this.database} has no outbox: pass outboxBroker`);
    if (this.tx === undefined) throw new ConfigError(`procedure ${this.procedure} published ${topic} after it returned: await publish inside the procedure`);
    await this.outbox.add(this.tx, topic, key, event);
  }

  emit(kind: TraceKind, detail?: string): void {
    (this.effects ??= []).push(EMIT, kind, detail);
  }

  /** Runs the procedure in `tx`; `publish` works until it settles. */
  run(procedure: Procedure, tx: Transaction, args: unknown): unknown {
    this.tx = tx;
    const answer = procedure(tx, args, this);
    if (!(answer instanceof Promise)) {
      this.tx = undefined;
      return answer;
    }
    // What `answer.finally(() => (this.tx = undefined))` does, in the same microtask turns (the
    // settled promise returned is adopted two turns later, as finally's is), with fewer objects.
    return answer.then(
      (result: unknown) => {
        this.tx = undefined;
        return Promise.resolve(result);
      },
      (error: unknown) => {
        this.tx = undefined;
        return Promise.reject(error);
      },
    );
  }

  /** Runs the after-commit effects, in the order they were registered. */
  committed(): void {
    const effects = this.effects;
    if (effects === undefined) return;
    for (let index = 0; index < effects.length; index++) {
      const effect = effects[index];
      if (effect === EMIT) {
        this.ctx.emit(effects[index + 1] as TraceKind, effects[index + 2] as string | undefined);
        index += 2;
      } else (effect as () => void)();
    }
  }
}

/** Runs procedures on database node `dbNode` over RPC, with the caller's deadline and trace. */
export function remoteProcedures(ctx: NodeContext, dbNode: string, options: { timeoutMs?: number } = {}): ProcedureRunner {
  return {
    run: <R>(name: string, args?: unknown, callOptions: ProcedureCallOptions = {}): Promise<R> => {
      const body: ProcedureCallRequest = { procedure: name, args };
      const timeoutMs = callOptions.timeoutMs ?? options.timeoutMs;
      const parent = callOptions.parent;
      if (parent !== undefined) return parent.call<R>(dbNode, DB_RUN_METHOD, body, { timeoutMs, deadlineMs: callOptions.deadlineMs });
      return ctx.call<R>(dbNode, DB_RUN_METHOD, body, { timeoutMs, deadlineMs: callOptions.deadlineMs });
    },
  };
}

/** Settings of a database server node. */
export interface DbServerOptions extends ProcedureDatabaseOptions {
  /** The only service allowed to call (the database's owner). */
  service: string;
  /**
   * The service a calling node belongs to. Default: the node-name convention `<service>-<n>` (a
   * trailing `-<digits>` is dropped), so `payments-2` is `payments`. `nodeServiceLabels(world)`
   * reads the callers' `service` labels instead.
   */
  callerService?: (node: string) => string | undefined;
  /** CPU spent per call before the transaction (parsing, planning), in ms. Default 0.05. */
  callOverheadMs?: number;
}

/** The service of a node named by the `<service>-<n>` convention (`orders-3` → `orders`). */
export function serviceFromNodeName(node: string): string {
  return node.replace(/-\d+$/, '');
}

/** A caller-service lookup from the world's node labels (`labels.service`, else the node name). */
export function nodeServiceLabels(world: { hasNode(name: string): boolean; node(name: string): SimNode }): (node: string) => string | undefined {
  return (node) => (world.hasNode(node) ? (world.node(node).options.labels.service ?? node) : undefined);
}

/**
 * A database server node: `world.addNode('payments-db', dbServerNode({ registry, database:
 * 'payments', service: 'payments', procedures }), { labels: { service: 'payments' } })`. Serves
 * `db.run`: each call runs one registered procedure as one transaction. A call from a node of any
 * other service (or from a client) is refused with `unauthorized` and a `db.refused` trace event:
 * database per service, enforced at the server.
 */
export function dbServerNode(options: DbServerOptions): NodeFactory {
  const callerService = options.callerService ?? serviceFromNodeName;
  const overheadMs = options.callOverheadMs ?? 0.05;
  if (!(overheadMs >= 0 && Number.isFinite(overheadMs))) {
    throw new ConfigError(`db server ${options.database}: callOverheadMs is ${overheadMs}; use a finite number of ms >= 0`);
  }
  if (!options.service) throw new ConfigError(`db server ${options.database} has no owner: pass { service: '<owning service>' }`);
  return (ctx) => {
    const database = openProcedureDatabase(ctx, options);
    const handle = (payload: unknown, request: Request): Promise<unknown> => {
      const caller = callerService(request.from);
      if (caller !== options.service) {
        ctx.emit('db.refused', `${options.database}: ${request.from} (service ${caller ?? '?'}) is not ${options.service}`, request.from);
        return Promise.reject(
          new RpcError(
            'unauthorized',
            `database ${options.database} belongs to ${options.service}; ${request.from} (service ${caller ?? 'unknown'}) must use ${options.service}'s API`,
            ctx.name,
          ),
        );
      }
      const body = payload as ProcedureCallRequest | null;
      if (body === null || typeof body !== 'object' || typeof body.procedure !== 'string') {
        return Promise.reject(new RpcError('bad-request', 'db.run needs { procedure, args }', ctx.name));
      }
      return database.execute(body.procedure, body.args, caller);
    };
    return {
      handlers: { [DB_RUN_METHOD]: overheadMs > 0 ? { serviceTimeMs: overheadMs, handle } : handle },
    };
  };
}

/** A database's disk image as `database.ts` keeps it in `ctx.durable` under `db:<name>`. */
interface DiskImage {
  tables: Map<string, Map<string, unknown>>;
  syncedLsn: number;
  acknowledgedLsn: number;
}

const NO_ROWS: ReadonlyMap<string, never> = new Map<string, never>();

/**
 * The committed rows of a table, read straight from a node's disk without cost or copies: for
 * checkers that observe from outside, also while the node is down. The rows must not be mutated.
 * Exact only under sync `'always'` (otherwise acknowledged commits may still be off disk): it
 * throws when a running node has acknowledged commits that are not on disk.
 */
export function diskTable<T>(node: SimNode, database: string, table: string): ReadonlyMap<string, T> {
  const image = node.durable.get(`db:${database}`) as DiskImage | undefined;
  if (image === undefined) return NO_ROWS;
  if (image.acknowledgedLsn !== image.syncedLsn && node.status === 'up') {
    throw new ConfigError(`diskTable(${node.name}, ${database}) needs sync 'always': ${image.acknowledgedLsn - image.syncedLsn} commits are not on disk yet`);
  }
  return (image.tables.get(table) as Map<string, T> | undefined) ?? NO_ROWS;
}
