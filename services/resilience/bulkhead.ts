// The bulkhead policy: caps concurrent executions and the queue in front of them, so one slow
// dependency cannot take every worker of the caller. Queued calls start FIFO and honour deadlines.
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import { FIRST_ATTEMPT, type Attempt, type Operation, type Policy } from './policy.ts';

/** What a bulkhead needs from its node: NodeContext satisfies it. */
export type BulkheadContext = Pick<NodeContext, 'name' | 'remainingMs' | 'emit' | 'setTimer' | 'clearTimer'>;

/** Options of {@link BulkheadPolicy}; every field has a documented default. */
export interface BulkheadOptions {
  /** Executions running at once (>= 1). Default 10. */
  maxConcurrent?: number;
  /** Executions waiting for a slot (>= 0); beyond it calls are rejected. Default 0. */
  maxQueued?: number;
}

/**
 * Load of the bulkhead, for `bulkhead.state` trace events:
 * `available` (a slot is free), `saturated` (every slot busy, queue has room), `full` (queue full too).
 */
export type BulkheadState = 'available' | 'saturated' | 'full';

/** Counters since the bulkhead was built. */
export interface BulkheadStats {
  /** Executions that got a slot (at once or after queueing). */
  admitted: number;
  /** Executions that had to wait in the queue. */
  queued: number;
  /** Executions rejected because slots and queue were full. */
  rejected: number;
  /** Queued executions whose deadline passed before a slot freed. */
  expiredInQueue: number;
}

/** A queued execution: resolved when it gets a slot, rejected when its deadline passes first. */
interface Waiter {
  admit: () => void;
  expire: (error: RpcError) => void;
  /** Deadline timer handle, or -1. */
  timer: number;
  /** Set once it left the queue (admitted or expired); the queue skips such entries. */
  done: boolean;
}

/**
 * Runs at most `maxConcurrent` executions at once and queues up to `maxQueued` more; further calls
 * fail at once with RpcError('unavailable', 'bulkhead full'). Queued calls start in arrival order
 * as slots free; a queued call whose `attempt.deadlineMs` passes first fails with RpcError('timeout').
 * Changes of load emit `bulkhead.state` with detail `<from>-><to>`.
 */
export class BulkheadPolicy implements Policy {
  readonly name = 'bulkhead';
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  private runningCount = 0;
  /** FIFO of waiters; entries before `head` are gone, and `done` entries are skipped. */
  private queue: Waiter[] = [];
  private head = 0;
  private queuedCount = 0;
  private currentState: BulkheadState = 'available';
  private admittedCount = 0;
  private queuedTotal = 0;
  private rejectedCount = 0;
  private expiredCount = 0;

  constructor(
    private readonly ctx: BulkheadContext,
    options: BulkheadOptions = {},
  ) {
    this.maxConcurrent = options.maxConcurrent ?? 10;
    if (!(Number.isInteger(this.maxConcurrent) && this.maxConcurrent >= 1)) {
      throw new ConfigError(`bulkhead: maxConcurrent is ${this.maxConcurrent}; use a whole number >= 1`);
    }
    this.maxQueued = options.maxQueued ?? 0;
    if (!(Number.isInteger(this.maxQueued) && this.maxQueued >= 0)) {
      throw new ConfigError(`bulkhead: maxQueued is ${this.maxQueued}; use a whole number >= 0`);
    }
  }

  /** Executions running now. */
  get running(): number {
    return this.runningCount;
  }

  /** Executions waiting for a slot now. */
  get queued(): number {
    return this.queuedCount;
  }

  /** Current load state. */
  get state(): BulkheadState {
    return this.currentState;
  }

  /** A snapshot of the counters. */
  stats(): BulkheadStats {
    return { admitted: this.admittedCount, queued: this.queuedTotal, rejected: this.rejectedCount, expiredInQueue: this.expiredCount };
  }

  /** Runs `operation` in a slot: at once, after queueing, or not at all (bulkhead full, deadline passed). */
  async execute<T>(operation: Operation<T>, attempt: Attempt = FIRST_ATTEMPT): Promise<T> {
    if (this.runningCount < this.maxConcurrent) {
      this.runningCount++;
    } else if (this.queuedCount < this.maxQueued) {
      await this.waitForSlot(attempt.deadlineMs); // the slot is handed over on admission
    } else {
      this.rejectedCount++;
      throw new RpcError('unavailable', `bulkhead full: ${this.runningCount} running, ${this.queuedCount} queued`, this.ctx.name);
    }
    this.admittedCount++;
    this.updateState();
    try {
      return await operation(attempt);
    } finally {
      this.release();
    }
  }

  private waitForSlot(deadlineMs: number | undefined): Promise<void> {
    const ctx = this.ctx;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { admit: resolve, expire: reject, timer: -1, done: false };
      if (deadlineMs !== undefined) {
        const remainingMs = ctx.remainingMs(deadlineMs);
        if (!(remainingMs > 0)) {
          this.expiredCount++;
          reject(new RpcError('timeout', 'deadline passed before a bulkhead slot was free', ctx.name));
          return;
        }
        waiter.timer = ctx.setTimer(remainingMs, () => this.expire(waiter));
      }
      if (this.queue.length - this.head > 2 * this.maxQueued + 32) {
        // Expired waiters pile up while every slot is stuck: drop them before the array grows unbounded.
        this.queue = this.queue.slice(this.head).filter((entry) => !entry.done);
        this.head = 0;
      }
      this.queue.push(waiter);
      this.queuedCount++;
      this.queuedTotal++;
      this.updateState();
    });
  }

  private expire(waiter: Waiter): void {
    if (waiter.done) return;
    waiter.done = true;
    this.queuedCount--;
    this.expiredCount++;
    this.updateState();
    waiter.expire(new RpcError('timeout', 'deadline passed while queued in the bulkhead', this.ctx.name));
  }

  /** Frees a slot: hands it straight to the oldest live waiter, if any. */
  private release(): void {
    const waiter = this.nextWaiter();
    if (waiter) {
      waiter.done = true;
      this.queuedCount--;
      if (waiter.timer >= 0) this.ctx.clearTimer(waiter.timer);
      waiter.admit(); // the slot passes on: runningCount stays the same
    } else {
      this.runningCount--;
    }
    this.updateState();
  }

  private nextWaiter(): Waiter | undefined {
    const queue = this.queue;
    while (this.head < queue.length) {
      const waiter = queue[this.head++] as Waiter;
      if (!waiter.done) {
        this.compact();
        return waiter;
      }
    }
    this.compact();
    return undefined;
  }

  /** Drops consumed entries once they are the larger part of the array, keeping memory bounded. */
  private compact(): void {
    if (this.head > 32 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private updateState(): void {
    const next: BulkheadState =
      this.runningCount < this.maxConcurrent ? 'available' : this.queuedCount < this.maxQueued ? 'saturated' : 'full';
    if (next === this.currentState) return;
    this.ctx.emit('bulkhead.state', `${this.currentState}->${next}`);
    this.currentState = next;
  }
}

/** Builds a {@link BulkheadPolicy} on a node context. */
export function bulkhead(ctx: BulkheadContext, options: BulkheadOptions = {}): BulkheadPolicy {
  return new BulkheadPolicy(ctx, options);
}
