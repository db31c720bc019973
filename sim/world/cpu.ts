// A node's CPU as a processor-sharing server: `cores` cores shared equally by the CPU bursts running
// on it (requests' `cpu(ms)`, handler service times, background work). One "next completion" event
// is kept on the clock and rescheduled on every arrival and departure.
import { heapPop, heapPush } from '../engine/min-heap.ts';

/** How the CPU puts its one completion event on the clock (a node's scheduler in a world). */
export interface CpuClock {
  /** Virtual time now, ms. */
  nowMs(): number;
  /** Schedules `callback(arg)` after `delayMs`; returns a handle for `cancel`. */
  schedule(delayMs: number, callback: (arg: unknown) => void, arg: unknown): number;
  cancel(handle: number): void;
}

/** One CPU burst in service. */
interface Burst {
  /** Attained-service level (see `attainedMs`) at which this burst has received all its work. */
  finishTag: number;
  /** Arrival order: bursts finishing at the same instant complete first-come first-served. */
  seq: number;
  done: () => void;
}

/** A finish tag this close to the attained level counts as reached (float rounding of the sums). */
const TAG_EPSILON = 1e-9;
/** Bursts in service at once; more is a runaway (an unbounded loop of `cpu()` calls). */
export const MAX_BURSTS = 1_000_000;

/**
 * Egalitarian processor sharing on `cores` cores: with n bursts in service each progresses at
 * min(1, cores / n) ms of work per ms (one burst never uses more than one core). Every burst
 * receives the same service rate, so one "attained service" level (`attainedMs`) tracks all of
 * them: a burst of work w arriving at level L finishes when the level reaches L + w. A heap on
 * that finish tag gives the next completion in O(log n).
 */
export class ProcessorSharingCpu {
  /** Service each burst in service has received since the CPU started, ms of work. */
  private attainedMs = 0;
  private lastUpdateMs: number;
  private readonly heap: Burst[] = [];
  private nextSeq = 0;
  private eventHandle = -1;
  private frozen = false;
  /** Core-ms of work done, for utilisation. */
  private busyMs = 0;

  constructor(
    /** Cores (may be fractional: 0.5 is half a core). */
    readonly cores: number,
    private readonly clock: CpuClock,
  ) {
    if (!(cores > 0 && Number.isFinite(cores))) throw new RangeError(`cores must be a finite number > 0, got ${cores}`);
    this.lastUpdateMs = clock.nowMs();
  }

  /** Bursts in service now. */
  get running(): number {
    return this.heap.length;
  }

  /** Core-ms of CPU busy time up to now (min(n, cores) integrated over time). */
  busyCoreMs(): number {
    this.advance();
    return this.busyMs;
  }

  /** Runs a burst of `workMs` of CPU work; `done` is called when it has received all of it. */
  run(workMs: number, done: () => void): void {
    if (!(workMs >= 0)) throw new RangeError(`cpu work must be >= 0 ms, got ${workMs}`);
    if (this.heap.length >= MAX_BURSTS) throw new RangeError(`more than ${MAX_BURSTS} CPU bursts at once: a runaway loop of cpu() calls?`);
    this.advance();
    heapPush(this.heap, { finishTag: this.attainedMs + workMs, seq: this.nextSeq++, done }, before);
    this.reschedule();
  }

  /** Stops progress (a paused node): bursts keep their remaining work. */
  freeze(): void {
    if (this.frozen) return;
    this.advance();
    this.frozen = true;
    this.cancelEvent();
  }

  /** Resumes progress after `freeze`. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    this.lastUpdateMs = this.clock.nowMs();
    this.reschedule();
  }

  /** Drops every burst without completing it (a crash: the code waiting on them died). */
  reset(): void {
    this.advance();
    this.heap.length = 0;
    this.frozen = false;
    this.cancelEvent();
  }

  /** The share of one core each burst gets now. */
  private rate(): number {
    const n = this.heap.length;
    return n <= this.cores ? 1 : this.cores / n;
  }

  /** Moves the attained level and busy time up to now. */
  private advance(): void {
    const nowMs = this.clock.nowMs();
    const elapsedMs = nowMs - this.lastUpdateMs;
    this.lastUpdateMs = nowMs;
    if (this.frozen || elapsedMs <= 0 || this.heap.length === 0) return;
    this.attainedMs += elapsedMs * this.rate();
    this.busyMs += elapsedMs * Math.min(this.heap.length, this.cores);
  }

  private reschedule(): void {
    this.cancelEvent();
    if (this.frozen || this.heap.length === 0) return;
    const untilMs = Math.max(0, (this.heap[0]!.finishTag - this.attainedMs) / this.rate());
    this.eventHandle = this.clock.schedule(untilMs, completeDue, this);
  }

  private cancelEvent(): void {
    if (this.eventHandle === -1) return;
    this.clock.cancel(this.eventHandle);
    this.eventHandle = -1;
  }

  /** @internal The completion event: finishes every burst whose tag is reached, in (tag, arrival) order. */
  completeDue(): void {
    this.eventHandle = -1;
    this.advance();
    const reached = this.attainedMs + TAG_EPSILON * Math.max(1, this.attainedMs);
    const finished: Burst[] = [];
    while (this.heap.length > 0 && this.heap[0]!.finishTag <= reached) finished.push(heapPop(this.heap, before));
    this.reschedule();
    for (const burst of finished) burst.done();
  }
}

function before(a: Burst, b: Burst): boolean {
  return a.finishTag < b.finishTag || (a.finishTag === b.finishTag && a.seq < b.seq);
}

function completeDue(arg: unknown): void {
  (arg as ProcessorSharingCpu).completeDue();
}
