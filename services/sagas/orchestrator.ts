// The orchestrated saga: a coordinator runs steps in order, records every transition in a durable
// saga log, and on a failure runs the compensations of the steps done, newest first. After a crash
// it resumes its unfinished sagas from the log and completes or compensates them.
import { registerTimelineKinds } from '../../sim/harness/timeline.ts';
import { registerFailureEvents } from '../../sim/harness/failure-events.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import type { Rng } from '../../sim/engine/rng.ts';
import { ConfigError, RpcError, SimulatedError, errorMessage, isRpcError, registerErrorCode } from '../../sim/engine/errors.ts';
import type { Database } from '../data/database.ts';
import { Failed, TimeoutPolicy } from '../resilience/timeout.ts';

// Compensations and finished sagas show on the timeline; a saga given up on is a liveness failure.
registerTimelineKinds('saga.start', 'saga.step', 'saga.compensate', 'saga.compensate-retry', 'saga.done', 'saga.failed', 'saga.deferred', 'saga.resume', 'saga.gave-up');
registerFailureEvents('liveness', 'saga.gave-up');

// A saga log save found the log at another version.
declare module '../../sim/engine/errors.ts' {
  interface RpcErrorCodes { 'conflict': true; }
}
registerErrorCode('conflict');

/**
 * A step refused with no effect (a business failure: insufficient funds, out of stock). Its own
 * compensation is not run; those of the steps before it are.
 */
export class SagaStepDeclined extends SimulatedError {}
SagaStepDeclined.prototype.name = 'SagaStepDeclined';

/**
 * A step cannot run now (its dependency is known to be down, e.g. an open circuit) and had no
 * effect: the saga parks and tries the step again later, until the saga's timeout.
 */
export class SagaStepDeferred extends SimulatedError {}
SagaStepDeferred.prototype.name = 'SagaStepDeferred';

/** A save found the log at another version: another incarnation drives this saga. */
export class SagaLogConflict extends RpcError {
  override name = 'SagaLogConflict';
  constructor(message: string) {
    super('conflict', message);
  }
}

/** What a step's action or compensation learns about its run. */
export interface SagaStepContext {
  sagaId: string;
  step: string;
  /** 1 for the first try of this action or compensation in this incarnation, then 2, 3… (after deferrals or failed compensations). */
  attempt: number;
  /** Absolute true virtual time by which this try must answer (pass it on as the RPC deadline). */
  deadlineMs: number;
}

/** One step of a saga. Actions and compensations must be idempotent (keyed by the saga id). */
export interface SagaStep<D> {
  readonly name: string;
  /**
   * The forward action: resolves when done. Throw SagaStepDeclined for a business refusal,
   * SagaStepDeferred to park; any other error is a failure whose effect is uncertain.
   */
  action(data: D, context: SagaStepContext): Promise<unknown>;
  /**
   * Undoes the action. Must be idempotent and must tolerate an action that never happened or
   * whose request is still in flight (record a tombstone so the late action is refused). Retried
   * with backoff until it succeeds; throwing SagaStepDeclined means there is nothing to undo.
   */
  compensation?(data: D, context: SagaStepContext): Promise<unknown>;
  /** Time limit of each try of this step, in ms. Default: the orchestrator's `stepTimeoutMs`. */
  timeoutMs?: number;
}

/** A saga: a name and its steps in order. */
export interface SagaDefinition<D> {
  readonly name: string;
  readonly steps: readonly SagaStep<D>[];
}

/**
 * Where a saga is. `completed` and `compensated` are final.
 * - `running`: steps `0..done-1` are done; step `done` is next.
 * - `compensating`: compensations run from step `compensateFrom` down to 0.
 */
export type SagaState = 'running' | 'compensating' | 'completed' | 'compensated';

/** One saga as the log stores it (plain data). */
export interface SagaRecord<D> {
  id: string;
  saga: string;
  /** The orchestrator (node) that drives it and resumes it after a crash. */
  owner: string;
  data: D;
  state: SagaState;
  /** Actions completed: steps 0..done-1. */
  done: number;
  /** While compensating: the next step to compensate; -1 once all are. */
  compensateFrom: number;
  /** Why the saga failed (compensating, compensated). */
  failure?: string;
  /** The step that failed. */
  failedStep?: string;
  /** True when the failure was a business refusal (SagaStepDeclined), false for a technical one. */
  declined?: boolean;
  /** Bumped by every save; a save must find `version - 1` stored (optimistic concurrency). */
  version: number;
  /** Orchestrator clock when it began, in ms (for the saga timeout). */
  startedAtMs: number;
}

/**
 * The durable saga log. Implementations store records in the orchestrator's database; a final
 * record may be deleted (a finished saga needs no resuming), keeping the log as small as the
 * sagas in flight.
 */
export interface SagaLog<D> {
  /** Stores `record` if no saga of its id exists; resolves with what is stored (the new or the existing record). */
  create(record: SagaRecord<D>): Promise<SagaRecord<D>>;
  /**
   * Stores `record` if the stored version is `record.version - 1`; succeeds without writing if
   * `record.version` is already stored (a retried save) or the saga already ended; otherwise
   * rejects with SagaLogConflict.
   */
  save(record: SagaRecord<D>): Promise<void>;
  /**
   * The unfinished sagas of `owner`, in id order. `skip`: ids the caller drives already; the log
   * may leave them out (the caller ignores them), which spares a periodic scan their records.
   */
  unfinished(owner: string, skip?: ReadonlySet<string>): Promise<SagaRecord<D>[]>;
}

/** How a saga ended, or that it is parked. */
export interface SagaOutcome {
  id: string;
  state: SagaState;
  failure?: string;
  failedStep?: string;
  declined?: boolean;
  /** True when the saga is parked on a deferred step (still `running`). */
  deferred: boolean;
}

/** Orchestrator settings; every field has a documented default. */
export interface SagaOrchestratorOptions {
  /** Time limit of each try of a step without its own, in ms. Default 1000. */
  stepTimeoutMs?: number;
  /** A running saga older than this (orchestrator clock) stops and compensates. Default Infinity. */
  sagaTimeoutMs?: number;
  /** First wait after a deferral, doubling per deferral up to `maxRetryDelayMs`. Default 500 ms. */
  deferDelayMs?: number;
  /** First wait before retrying a failed compensation or log write, doubling up to `maxRetryDelayMs`. Default 100 ms. */
  retryDelayMs?: number;
  /** Cap on those waits. Default 5000 ms. */
  maxRetryDelayMs?: number;
  /**
   * Tries of one log write, and of one compensation, before this drive gives up on the saga: it
   * stays unfinished in the log (a recovery scan may drive it again) and a `saga.gave-up` event,
   * which a run reports as a liveness failure naming the saga, says why. Default 50 (with the
   * default delays, about four minutes of back-off).
   */
  maxTries?: number;
  /**
   * Errors that prove a step had no effect, so its compensation is skipped. Default: only
   * SagaStepDeclined. Anything else may have taken effect and the failed step is compensated too:
   * even a `refused` answer proves nothing about an earlier try (a timed-out attempt inside a retry
   * policy, or one sent by the incarnation that crashed), and a compensation that finds nothing to
   * undo is cheap, while skipping one that was needed leaves money or stock behind.
   */
  isDefiniteFailure?: (error: unknown) => boolean;
  /** Scan the log for unfinished sagas of this owner every this many ms (orphans of failed starts). Default 0: only on start. */
  recoveryIntervalMs?: number;
}

type ResolvedOptions = Required<SagaOrchestratorOptions>;

/** The default `isDefiniteFailure`: only a business refusal proves the step had no effect. */
export function isDefiniteStepFailure(error: unknown): boolean {
  return error instanceof SagaStepDeclined;
}

/** A step's error when it succeeded (a step may fail with any value, undefined included). */
const SUCCEEDED: unique symbol = Symbol('succeeded');

interface Active {
  waiters: ((outcome: SagaOutcome) => void)[];
}

/**
 * Runs sagas of one definition on one node. `start(id, data)` creates the saga in the log and
 * drives it; `resume()` (call it from `onStart`) continues every unfinished saga this node owns.
 * Trace events: `saga.start`, `saga.step`, `saga.failed`, `saga.deferred`, `saga.compensate`,
 * `saga.compensate-retry`, `saga.done`, `saga.resume`, `saga.conflict`, `saga.gave-up` (detail begins with the saga id).
 */
export class SagaOrchestrator<D> {
  readonly options: ResolvedOptions;
  private readonly active = new Map<string, Active>();
  private readonly timeouts = new Map<number, TimeoutPolicy>();
  private recoveryTimer = -1;
  /** The back-off jitter's own stream. */
  private readonly rng: Rng;

  constructor(
    private readonly ctx: NodeContext,
    readonly definition: SagaDefinition<D>,
    private readonly log: SagaLog<D>,
    options: SagaOrchestratorOptions = {},
  ) {
    this.options = resolveOptions(options, definition);
    this.rng = ctx.stream(`saga/${definition.name}`);
  }

  /** Sagas this incarnation is driving now. */
  get inFlight(): number {
    return this.active.size;
  }

  /**
   * Starts saga `id` with `data` (idempotent: an existing saga of that id is joined, a finished one
   * answered from the log). Resolves when the saga ends, or when it parks on a deferred step.
   * Rejects only if the log could not be reached to create it (then it may or may not exist).
   */
  async start(id: string, data: D): Promise<SagaOutcome> {
    const joined = this.join(id);
    if (joined !== undefined) return joined;
    const active: Active = { waiters: [] };
    this.active.set(id, active);
    const outcome = new Promise<SagaOutcome>((resolve) => active.waiters.push(resolve));
    const initial: SagaRecord<D> = {
      id,
      saga: this.definition.name,
      owner: this.ctx.name,
      data,
      state: 'running',
      done: 0,
      compensateFrom: -1,
      version: 1,
      startedAtMs: this.ctx.now(),
    };
    let record: SagaRecord<D>;
    try {
      record = await this.log.create(initial);
    } catch (error) {
      this.active.delete(id);
      throw error;
    }
    if (isFinal(record.state)) {
      this.finish(id, record);
      return outcome;
    }
    if (record.owner !== this.ctx.name) {
      // Another orchestrator drives it (a retried request reached another instance): it is pending.
      this.notify(id, record, true);
      this.active.delete(id);
      return outcome;
    }
    this.ctx.emit(record.version === 1 ? 'saga.start' : 'saga.resume', `${id} ${this.definition.name}`);
    this.ctx.spawn(() => this.drive(record));
    return outcome;
  }

  /** Continues every unfinished saga this node owns that is not already being driven; resolves with how many. */
  async resume(): Promise<number> {
    let records: SagaRecord<D>[];
    try {
      records = await this.log.unfinished(this.ctx.name, new Set(this.active.keys()));
    } catch {
      return 0; // the log is unreachable: the next recovery scan tries again
    }
    let resumed = 0;
    for (const record of records) {
      if (this.active.has(record.id)) continue;
      this.active.set(record.id, { waiters: [] });
      this.ctx.emit('saga.resume', `${record.id} ${record.state} done=${record.done}`);
      this.ctx.spawn(() => this.drive(record));
      resumed++;
    }
    return resumed;
  }

  /** Resumes now and then every `recoveryIntervalMs` (if set): call it from `onStart`. */
  startRecovery(): void {
    // Through spawn: the engine must know async work started, or it would not drain it before moving the clock.
    this.ctx.spawn(() => this.resume().then(() => undefined));
    const intervalMs = this.options.recoveryIntervalMs;
    if (intervalMs <= 0) return;
    const scan = (): void => {
      this.ctx.spawn(() => this.resume().then(() => undefined));
      this.recoveryTimer = this.ctx.setTimer(intervalMs, scan, { daemon: true });
    };
    this.recoveryTimer = this.ctx.setTimer(intervalMs, scan, { daemon: true });
  }

  /** Stops the periodic recovery scan. */
  stopRecovery(): void {
    if (this.recoveryTimer >= 0) this.ctx.clearTimer(this.recoveryTimer);
    this.recoveryTimer = -1;
  }

  private join(id: string): Promise<SagaOutcome> | undefined {
    const active = this.active.get(id);
    if (active === undefined) return undefined;
    return new Promise<SagaOutcome>((resolve) => active.waiters.push(resolve));
  }

  /** Tells the waiters of saga `id` where `record` stands (the outcome is built only if someone waits). */
  private notify(id: string, record: SagaRecord<D>, deferred: boolean): void {
    const active = this.active.get(id);
    if (active === undefined || active.waiters.length === 0) return;
    const waiters = active.waiters;
    active.waiters = [];
    const outcome = outcomeOf(record, deferred);
    for (const waiter of waiters) waiter(outcome);
  }

  private finish(id: string, record: SagaRecord<D>): void {
    this.notify(id, record, false);
    this.active.delete(id);
  }

  /**
   * Drives a saga from its logged state to a final state, or until the log shows someone else
   * drives it, or until a bounded retry runs out (the saga then stays in the log, unfinished).
   */
  private async drive(start: SagaRecord<D>): Promise<void> {
    let record: SagaRecord<D> | undefined = start;
    if (record.state === 'running') record = await this.runForward(record);
    if (record?.state === 'compensating') record = await this.compensate(record);
    if (record === undefined) return this.abandon(start.id);
    this.finish(record.id, record);
  }

  /**
   * Runs the steps from `record.done` on; resolves with the record once completed or compensating,
   * or undefined when the drive stops (another owner, or a log that stayed unreachable).
   */
  private async runForward(start: SagaRecord<D>): Promise<SagaRecord<D> | undefined> {
    const steps = this.definition.steps;
    let record = start;
    let deferrals = 0;
    while (record.state === 'running') {
      if (record.done >= steps.length) {
        const saved = await this.save({ ...record, state: 'completed', version: record.version + 1 });
        if (saved !== undefined) this.ctx.emit('saga.done', `${saved.id} completed`);
        return saved;
      }
      const step = steps[record.done]!;
      if (this.ctx.now() - record.startedAtMs >= this.options.sagaTimeoutMs) {
        // The step in progress may have taken effect in an earlier try: compensate it too.
        return this.beginCompensation(record, step, `saga timed out after ${this.options.sagaTimeoutMs}ms`, false, record.done);
      }
      // A failed step resolves as a value: awaiting a rejection would throw, which V8 makes costly.
      // Awaited here, not in a helper, so the saga goes on at the microtask it always did.
      let error: unknown = SUCCEEDED;
      try {
        const outcome = await this.runStep(step, step.action, record, deferrals + 1);
        if (outcome instanceof Failed) error = outcome.error;
      } catch (thrown) {
        error = thrown;
      }
      if (error !== SUCCEEDED) {
        // Compensating must not hide a bug in the step.
        this.ctx.reportCaught(error, `saga step ${step.name}`);
        if (error instanceof SagaStepDeferred) {
          deferrals++;
          this.ctx.emit('saga.deferred', `${record.id} ${step.name}: ${error.message}`);
          this.notify(record.id, record, true);
          await this.ctx.sleep(this.backoffMs(this.options.deferDelayMs, deferrals));
          continue;
        }
        const definite = this.options.isDefiniteFailure(error);
        const declined = error instanceof SagaStepDeclined;
        return this.beginCompensation(record, step, `${step.name}: ${describeError(error)}`, declined, definite ? record.done - 1 : record.done);
      }
      deferrals = 0;
      // The last step's completion and the saga's are one log write.
      const done = record.done + 1;
      const saved = await this.save({ ...record, done, state: done === steps.length ? 'completed' : 'running', version: record.version + 1 });
      if (saved === undefined) return undefined;
      record = saved;
      this.ctx.emit('saga.step', `${record.id} ${step.name} done`);
      if (record.state === 'completed') this.ctx.emit('saga.done', `${record.id} completed`);
    }
    return record;
  }

  /** Runs the compensations from `record.compensateFrom` down to step 0; undefined when the drive stops. */
  private async compensate(start: SagaRecord<D>): Promise<SagaRecord<D> | undefined> {
    let record = start;
    while (record.compensateFrom >= 0) {
      const step = this.definition.steps[record.compensateFrom]!;
      if (step.compensation !== undefined && !(await this.compensateStep(record, step, step.compensation))) return undefined;
      const last = record.compensateFrom === 0;
      const saved = await this.save({ ...record, compensateFrom: record.compensateFrom - 1, state: last ? 'compensated' : 'compensating', version: record.version + 1 });
      if (saved === undefined) return undefined;
      record = saved;
    }
    if (record.state === 'compensating') {
      // Nothing to compensate (the first step failed definitely).
      const saved = await this.save({ ...record, state: 'compensated', version: record.version + 1 });
      if (saved === undefined) return undefined;
      record = saved;
    }
    this.ctx.emit('saga.done', `${record.id} compensated: ${record.failure ?? ''}`);
    return record;
  }

  /**
   * Runs one compensation until it succeeds (or declares nothing to undo), backing off between
   * tries, at most `maxTries` times; false when it gave up.
   */
  private async compensateStep(record: SagaRecord<D>, step: SagaStep<D>, compensation: NonNullable<SagaStep<D>['compensation']>): Promise<boolean> {
    for (let tries = 1; tries <= this.options.maxTries; tries++) {
      let error: unknown = SUCCEEDED;
      try {
        this.ctx.emit('saga.compensate', `${record.id} ${step.name}`);
        const outcome = await this.runStep(step, compensation, record, tries);
        if (outcome instanceof Failed) error = outcome.error;
      } catch (thrown) {
        error = thrown;
      }
      if (error === SUCCEEDED) return true;
      this.ctx.reportCaught(error, `saga compensation ${step.name}`);
      if (error instanceof SagaStepDeclined) return true;
      this.ctx.emit('saga.compensate-retry', `${record.id} ${step.name}: ${describeError(error)}`);
      if (tries === this.options.maxTries) {
        this.giveUp(record.id, `compensation of ${step.name} failed ${tries} times, last: ${describeError(error)}`);
        return false;
      }
      await this.ctx.sleep(this.backoffMs(this.options.retryDelayMs, tries));
    }
    return false;
  }

  private async beginCompensation(
    record: SagaRecord<D>,
    step: SagaStep<D>,
    failure: string,
    declined: boolean,
    compensateFrom: number,
  ): Promise<SagaRecord<D> | undefined> {
    this.ctx.emit('saga.failed', `${record.id} ${failure}`);
    // Copied, then assigned (same keys in the same order as a spread with these fields): V8's
    // spread of an object that then gains fields takes a slow path (~1 µs a field).
    const next: SagaRecord<D> = { ...record };
    next.state = 'compensating';
    next.failure = failure;
    next.failedStep = step.name;
    next.declined = declined;
    next.compensateFrom = compensateFrom;
    next.version = record.version + 1;
    return this.save(next);
  }

  /** Runs an action or compensation under the step's time limit; a failure resolves as a Failed value. */
  private runStep(step: SagaStep<D>, run: (data: D, context: SagaStepContext) => Promise<unknown>, record: SagaRecord<D>, attempt: number): Promise<unknown> {
    const timeoutMs = step.timeoutMs ?? this.options.stepTimeoutMs;
    let policy = this.timeouts.get(timeoutMs);
    if (policy === undefined) {
      policy = new TimeoutPolicy(this.ctx, { timeoutMs });
      this.timeouts.set(timeoutMs, policy);
    }
    return policy.settle((inner) => run(record.data, { sagaId: record.id, step: step.name, attempt, deadlineMs: inner.deadlineMs! }));
  }

  /**
   * Saves `record`, the next version (one above the stored one, built by the caller in one
   * spread), retrying an unreachable log at most `maxTries` times; undefined if another
   * incarnation owns the saga or the log stayed unreachable (then the drive gives up).
   */
  private async save(record: SagaRecord<D>): Promise<SagaRecord<D> | undefined> {
    for (let tries = 1; tries <= this.options.maxTries; tries++) {
      try {
        await this.log.save(record);
        return record;
      } catch (error) {
        if (error instanceof SagaLogConflict || isRpcError(error, 'conflict')) {
          this.ctx.emit('saga.conflict', `${record.id} v${record.version}: ${errorMessage(error)}`);
          return undefined;
        }
        if (tries === this.options.maxTries) {
          this.giveUp(record.id, `log save of v${record.version} failed ${tries} times, last: ${errorMessage(error)}`);
          return undefined;
        }
        await this.ctx.sleep(this.backoffMs(this.options.retryDelayMs, tries));
      }
    }
    return undefined;
  }

  /** A bounded retry ran out: the saga stays unfinished in the log, and the run hears of it. */
  private giveUp(id: string, why: string): void {
    this.ctx.emit('saga.gave-up', `${id} ${this.definition.name}: ${why}`);
  }

  private abandon(id: string): void {
    // Someone else drives it; waiters learn nothing final from here, so they get the running state.
    const active = this.active.get(id);
    if (active !== undefined) for (const waiter of active.waiters) waiter({ id, state: 'running', deferred: true });
    this.active.delete(id);
  }

  /** Exponential backoff with jitter from the orchestrator's stream: base × 2^(n-1) × [0.5, 1.5), capped. */
  private backoffMs(baseMs: number, tries: number): number {
    const exponential = Math.min(this.options.maxRetryDelayMs, baseMs * 2 ** Math.min(tries - 1, 20));
    return exponential * this.rng.uniform(0.5, 1.5);
  }
}

function isFinal(state: SagaState): boolean {
  return state === 'completed' || state === 'compensated';
}

function outcomeOf<D>(record: SagaRecord<D>, deferred: boolean): SagaOutcome {
  const outcome: SagaOutcome = { id: record.id, state: record.state, deferred };
  if (record.failure !== undefined) outcome.failure = record.failure;
  if (record.failedStep !== undefined) outcome.failedStep = record.failedStep;
  if (record.declined !== undefined) outcome.declined = record.declined;
  return outcome;
}

function describeError(error: unknown): string {
  if (error instanceof SagaStepDeclined) return `declined (${error.message})`;
  if (error instanceof RpcError) return `${error.code} (${error.message})`;
  return errorMessage(error);
}

function resolveOptions<D>(options: SagaOrchestratorOptions, definition: SagaDefinition<D>): ResolvedOptions {
  const where = `saga ${definition.name}`;
  if (definition.steps.length === 0) throw new ConfigError(`${where} has no steps: give it at least one { name, action }`);
  const names = new Set<string>();
  for (const step of definition.steps) {
    if (names.has(step.name)) throw new ConfigError(`${where}: step name '${step.name}' is used twice; names must be unique`);
    names.add(step.name);
    if (step.timeoutMs !== undefined && !(step.timeoutMs > 0 && Number.isFinite(step.timeoutMs))) {
      throw new ConfigError(`${where}: step ${step.name} timeoutMs is ${step.timeoutMs}; use a finite number of ms > 0`);
    }
  }
  const resolved: ResolvedOptions = {
    stepTimeoutMs: options.stepTimeoutMs ?? 1000,
    sagaTimeoutMs: options.sagaTimeoutMs ?? Infinity,
    deferDelayMs: options.deferDelayMs ?? 500,
    retryDelayMs: options.retryDelayMs ?? 100,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 5000,
    maxTries: options.maxTries ?? 50,
    isDefiniteFailure: options.isDefiniteFailure ?? isDefiniteStepFailure,
    recoveryIntervalMs: options.recoveryIntervalMs ?? 0,
  };
  if (!(resolved.stepTimeoutMs > 0 && Number.isFinite(resolved.stepTimeoutMs))) throw new ConfigError(`${where}: stepTimeoutMs is ${resolved.stepTimeoutMs}; use a finite number of ms > 0`);
  if (!(resolved.sagaTimeoutMs > 0)) throw new ConfigError(`${where}: sagaTimeoutMs is ${resolved.sagaTimeoutMs}; use a number of ms > 0 (Infinity: no timeout)`);
  if (!(Number.isInteger(resolved.maxTries) && resolved.maxTries >= 1)) throw new ConfigError(`${where}: maxTries is ${resolved.maxTries}; use a whole number >= 1`);
  for (const key of ['deferDelayMs', 'retryDelayMs', 'maxRetryDelayMs'] as const) {
    const value = resolved[key];
    if (!(value > 0 && Number.isFinite(value))) throw new ConfigError(`${where}: ${key} is ${value}; use a finite number of ms > 0`);
  }
  if (!(resolved.recoveryIntervalMs >= 0 && Number.isFinite(resolved.recoveryIntervalMs))) {
    throw new ConfigError(`${where}: recoveryIntervalMs is ${resolved.recoveryIntervalMs}; use a finite number of ms >= 0 (0: scan only on start)`);
  }
  return resolved;
}

/**
 * A saga log in a Database on the orchestrator's node (table `table`, default `sagas`): final
 * records are deleted, so the table holds only sagas in flight; `finished` keeps the final
 * state of each ended saga id in `<table>.ended` so a late start is answered without re-running it.
 */
export function databaseSagaLog<D>(db: Database, table = 'sagas'): SagaLog<D> {
  const ended = `${table}.ended`;
  return {
    create: (record) =>
      db.transaction(async (tx) => {
        const existing = await tx.get<SagaRecord<D>>(table, record.id);
        if (existing !== undefined) return existing;
        const finished = await tx.get<SagaRecord<D>>(ended, record.id);
        if (finished !== undefined) return finished;
        tx.put(table, record.id, record);
        return record;
      }),
    save: (record) =>
      db.transaction(async (tx) => {
        const stored = await tx.getFrozen<SagaRecord<D>>(table, record.id);
        if (stored === undefined) {
          if ((await tx.get(ended, record.id)) !== undefined) return; // ended already: a retried final save
          throw new SagaLogConflict(`saga ${record.id} is not in the log`);
        }
        if (stored.version === record.version) return;
        if (stored.version !== record.version - 1) throw new SagaLogConflict(`saga ${record.id} is at v${stored.version}, not v${record.version - 1}`);
        if (isFinal(record.state)) {
          tx.delete(table, record.id);
          tx.put(ended, record.id, { ...record, data: undefined });
        } else {
          tx.put(table, record.id, record);
        }
      }),
    unfinished: async (owner, skip) => {
      const rows = await db.scan<SagaRecord<D>>(table, skip !== undefined && skip.size > 0 ? { exclude: skip } : {});
      return rows.map((row) => row.value).filter((record) => record.owner === owner);
    },
  };
}
