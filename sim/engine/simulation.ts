// The discrete-event core: a virtual clock, the event queue, and the loop that fires events and
// resumes async processes at the virtual time of the event that woke them.
import { EventQueue, type EventCallback } from './queue.ts';
import { Rng } from './rng.ts';
import { Trace } from './trace.ts';
import { EngineInvariantError } from './errors.ts';
import { hostTimers } from './guard.ts';
import { checkpointDrains, compileMicrotaskCheckpoint, type MicrotaskCheckpoint } from './microtask-checkpoint.ts';

/**
 * How the loop lets continuations run before the clock moves:
 * - `checkpoint` (default when available) calls V8's microtask checkpoint synchronously after the
 *   event, so the loop never leaves its frame; it needs `--allow-natives-syntax`, which the `sim`
 *   and sweep worker launchers set (sim/engine/microtask-checkpoint.ts);
 * - `tick` (the fallback where the flag is absent) drains the microtask queue through Node's tick
 *   processing;
 * - `macrotask` yields to setImmediate (the simple, slower scheme, kept to measure against).
 */
export type DrainScheme = 'checkpoint' | 'tick' | 'macrotask';

// Captured by the guard before it ever replaces them: the engine's own use is not simulated code.
const hostSetImmediate = hostTimers.setImmediate;
const hostNextTick = hostTimers.nextTick;

/** Why `run` returned. */
export type StopReason = 'idle' | 'until' | 'budget' | 'stopped';

/** Limits for one call of `run`. */
export interface RunLimits {
  /** Stop before the first event later than this virtual time; the clock is then set to it. */
  untilMs?: number;
  /** Stop after this many events in total (counted over the simulation's life). */
  maxEvents?: number;
  /**
   * Stop once only daemon events are left (default true). With false, daemons (heartbeats, polls,
   * samplers) keep running until `untilMs`: the run's background life goes on.
   */
  stopWhenIdle?: boolean;
}

/** How a call of `run` ended. */
export interface RunStop {
  reason: StopReason;
  atMs: number;
  events: number;
}

/**
 * One simulated world's clock and scheduler. It knows nothing of nodes or networks.
 *
 * Two kinds of work run on it:
 * - **callbacks** (`schedule`, `at`): synchronous functions fired in (time, seq) order;
 * - **processes** (`spawn`, `sleep`): ordinary async functions. When an event resolves a promise
 *   (`sleep`, or any callback that calls `wake()`), the loop lets the whole microtask queue drain
 *   before it fires the next event, so every continuation, at any await depth, runs at the
 *   virtual time of the event that resumed it and before the clock moves.
 *
 * Events at the same virtual time fire in the order they were scheduled (first scheduled, first
 * fired), whatever their kind: a callback scheduled during setup for time t fires before a message
 * sent later that also arrives at t.
 *
 * The drain calls V8's microtask checkpoint after the event when the process allows it (it runs
 * the microtask queue to exhaustion, synchronously); otherwise it uses Node's tick processing: the
 * next step is queued with `process.nextTick` from a microtask, and Node runs the V8 microtask
 * queue to exhaustion before it processes a tick. Both give the same guarantee as yielding to a
 * macrotask, without a turn of the libuv loop.
 */
export class Simulation {
  /** The run's seed; every random draw descends from it. */
  readonly seed: number;
  /** The root random stream. Fork it by name: `rng.fork('network')`. */
  readonly rng: Rng;
  readonly trace = new Trace();
  /** True virtual time in ms. Moves only from event to event. */
  nowMs = 0;
  /** Events fired so far. */
  events = 0;

  private readonly queue = new EventQueue();
  private drainNeeded = false;
  private stopRequested = false;
  private running = false;
  private failure: unknown = undefined;
  private readonly resume: EventCallback;
  /** Wake time of the sleep being built; read by `sleepExecutor`, which runs synchronously. */
  private sleepWakeMs = 0;
  private readonly sleepExecutor: (resolve: () => void) => void;

  /**
   * The scheme the loop uses: the one asked for, except that `checkpoint` (asked for or by default)
   * falls back to `tick` when the process does not allow natives syntax. A run that finds the
   * checkpoint inert (called from inside a microtask) also falls back, and says so here.
   */
  get drainScheme(): DrainScheme {
    return this.scheme;
  }
  private scheme: DrainScheme;
  private readonly checkpoint: MicrotaskCheckpoint | undefined;

  constructor(seed: number, options: { drain?: DrainScheme } = {}) {
    this.seed = seed;
    const wanted = options.drain ?? 'checkpoint';
    this.checkpoint = wanted === 'checkpoint' ? compileMicrotaskCheckpoint() : undefined;
    this.scheme = wanted === 'checkpoint' && this.checkpoint === undefined ? 'tick' : wanted;
    this.rng = new Rng(seed, 'root');
    this.resume = (resolve) => {
      this.drainNeeded = true;
      (resolve as () => void)();
    };
    this.sleepExecutor = (resolve) => {
      this.queue.push(this.sleepWakeMs, this.resume, resolve);
    };
  }

  /** Events pending (cancelled ones included until they surface). */
  get pendingEvents(): number {
    return this.queue.size;
  }

  /**
   * Fires `callback(arg)` after `delayMs` of virtual time and returns a handle for `cancel`.
   * The callback runs synchronously; if it resolves a promise it must call `wake()` so the loop
   * drains continuations before the clock moves (all engine APIs that resolve promises do).
   */
  schedule(delayMs: number, callback: EventCallback, arg?: unknown): number {
    if (!(delayMs >= 0)) badDelay(delayMs);
    return this.queue.push(this.nowMs + delayMs, callback, arg);
  }

  /** Fires `callback(arg)` at virtual time `timeMs` (not before now). */
  at(timeMs: number, callback: EventCallback, arg?: unknown): number {
    if (timeMs < this.nowMs) {
      throw new EngineInvariantError(`cannot schedule at ${timeMs} ms: the clock is already at ${this.nowMs} ms (seed ${this.seed})`);
    }
    return this.queue.push(timeMs, callback, arg);
  }

  /** Like `schedule`, for background work (samplers, periodic checks) that must not keep a run alive. */
  daemon(delayMs: number, callback: EventCallback, arg?: unknown): number {
    return this.queue.push(this.nowMs + delayMs, callback, arg, true);
  }

  /**
   * @internal Takes the next event sequence number now, for an event scheduled later with `atReserved`; it
   * then fires exactly where an event scheduled now would (ties at its time included).
   */
  reserveSeq(): number {
    return this.queue.reserveSeq();
  }

  /** @internal Fires `callback(arg)` at `timeMs` with a sequence number taken by `reserveSeq` (see there). */
  atReserved(timeMs: number, seq: number, callback: EventCallback, arg?: unknown): number {
    return this.queue.pushReserved(timeMs, seq, callback, arg);
  }

  /**
   * @internal The event in progress did engine bookkeeping only (a timer kept instead of cancelled found
   * nothing to do): it is not counted in `events` or against a run's event budget, so a run counts
   * the events it would have had the timer been cancelled.
   */
  discountEvent(): void {
    this.events--;
  }

  /** Cancels a scheduled event; false if it already fired or was cancelled. */
  cancel(handle: number): boolean {
    return this.queue.cancel(handle);
  }

  /** Tells the loop that the current event resolved a promise: drain microtasks before moving on. */
  wake(): void {
    this.drainNeeded = true;
  }

  /** A promise that resolves after `delayMs` of virtual time. */
  sleep(delayMs: number): Promise<void> {
    if (!(delayMs >= 0)) badDelay(delayMs);
    // One executor made once, reading the wake time from a field: no closure per sleep.
    this.sleepWakeMs = this.nowMs + delayMs;
    return new Promise<void>(this.sleepExecutor);
  }

  /** Resolves `resolve(value)` from an event and wakes the loop; for engine code building awaitables. */
  resolveFromEvent<T>(resolve: (value: T) => void, value: T): void {
    this.drainNeeded = true;
    resolve(value);
  }

  /**
   * Starts an async process now. A process that throws stops the run: the error is rethrown by
   * `run` (callers that want a request to fail instead catch inside the process).
   */
  spawn(body: () => Promise<void>): void {
    this.drainNeeded = true;
    body().catch((error: unknown) => this.fail(error));
  }

  /** Ends the current `run` after the event in progress. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Stops the run with an error that `run` will reject with. */
  fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error;
    this.stopRequested = true;
  }

  /** True when no live (non-daemon) event is pending. */
  get idle(): boolean {
    return this.queue.liveSize === 0;
  }

  /**
   * Fires events in order until the queue holds only daemons, `untilMs` is reached, the event
   * budget is spent or `stop()` is called. Rejects with the first error a callback or process threw.
   */
  run(limits: RunLimits = {}): Promise<RunStop> {
    if (this.running) throw new EngineInvariantError('run() called while the simulation is already running');
    this.running = true;
    this.stopRequested = false;
    const untilMs = limits.untilMs ?? Infinity;
    const maxEvents = limits.maxEvents ?? Infinity;
    const stopWhenIdle = limits.stopWhenIdle ?? true;

    return new Promise<RunStop>((resolveRun, rejectRun) => {
      const finish = (reason: StopReason): void => {
        this.running = false;
        if (this.failure !== undefined) {
          const failure = this.failure;
          this.failure = undefined;
          rejectRun(failure);
          return;
        }
        if (reason === 'until' && untilMs > this.nowMs) this.nowMs = untilMs;
        resolveRun({ reason, atMs: this.nowMs, events: this.events });
      };
      const queueStep = (): void => {
        hostNextTick(step);
      };
      const yieldStep = this.scheme === 'macrotask' ? (): void => void hostSetImmediate(step) : (): void => queueMicrotask(queueStep);
      let checkpoint = this.scheme === 'checkpoint' ? this.checkpoint : undefined;
      let checked = false;
      const step = (): void => {
        try {
          if (checkpoint !== undefined && !checked) {
            checked = true;
            if (!checkpointDrains(checkpoint)) {
              checkpoint = undefined;
              this.scheme = 'tick';
            }
          }
          const reason = this.fireEvents(untilMs, maxEvents, stopWhenIdle, checkpoint);
          if (reason !== undefined) return finish(reason);
          // Queued from a microtask: Node drains every microtask before it runs the tick.
          yieldStep();
        } catch (error) {
          this.fail(error);
          finish('stopped');
        }
      };
      this.drainNeeded = false;
      yieldStep();
    });
  }

  /**
   * The loop of `run`: fires events until the run must stop (the reason) or, without a checkpoint,
   * until an event asks for a drain (undefined: the caller yields, then calls again). A method with
   * its limits as parameters, not a closure over `run`'s variables: those would be read from the
   * closure's context, with a hole check, on every event.
   */
  private fireEvents(untilMs: number, maxEvents: number, stopWhenIdle: boolean, checkpoint: MicrotaskCheckpoint | undefined): StopReason | undefined {
    const queue = this.queue;
    for (;;) {
      if (this.stopRequested) return 'stopped';
      // The count first: a parameter's truthiness is a generic test, needed only once the run is idle.
      if (queue.liveSize === 0 && stopWhenIdle) return 'idle';
      if (this.events >= maxEvents) return 'budget';
      const slot = queue.popSlot(untilMs);
      if (slot < 0) return queue.size === 0 && untilMs === Infinity ? 'idle' : 'until';
      const timeMs = queue.poppedTimeMs;
      if (timeMs < this.nowMs) {
        throw new EngineInvariantError(`clock went back from ${this.nowMs} to ${timeMs} ms (seed ${this.seed})`);
      }
      this.nowMs = timeMs;
      const callback = queue.callbackOf(slot);
      const arg = queue.argOf(slot);
      queue.release(slot);
      this.events++;
      callback(arg);
      if (this.drainNeeded) {
        if (checkpoint === undefined) {
          this.drainNeeded = false;
          return undefined;
        }
        // Every continuation runs inside this call, at this event's time; the wakes they request
        // are served by the same call.
        checkpoint();
        this.drainNeeded = false;
      }
    }
  }
}

/** Throws the RangeError for a negative or NaN delay (kept out of `schedule`, so it stays small enough to inline). */
function badDelay(delayMs: number): never {
  throw new RangeError(`delay must be >= 0 ms, got ${delayMs}`);
}
