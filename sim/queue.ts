// The pending-event queue: a binary min-heap on typed arrays, ordered by (time, sequence number).
// Typed arrays keep the heap out of the garbage collector's way at 1e5–1e6 pending events.

/** Callback fired by the queue; `arg` is passed through so hot paths need no closure per event. */
export type EventCallback = (arg: unknown) => void;

/** Most events that may be pending at once; a handle packs a slot below this bound. */
export const MAX_PENDING_EVENTS = 1 << 26;
const GENERATION_FACTOR = MAX_PENDING_EVENTS;
const INITIAL_CAPACITY = 1024;

/**
 * Events ordered by (time, sequence number): the sequence number breaks ties first-in-first-out, so
 * the order is total and the same schedule always fires the same way.
 *
 * Each event lives in a slot (callback + argument); the heap holds (time, seq, slot). A handle is
 * `generation * 2^26 + slot`, so a stale handle can never cancel a later event reusing the slot.
 */
export class EventQueue {
  private heapTimes = new Float64Array(INITIAL_CAPACITY);
  private heapSeqs = new Float64Array(INITIAL_CAPACITY);
  private heapSlots = new Int32Array(INITIAL_CAPACITY);
  private heapSize = 0;

  /** null marks a cancelled event, undefined a free slot. */
  private callbacks: (EventCallback | null | undefined)[] = [];
  private args: unknown[] = [];
  private slotGenerations: number[] = [];
  private slotDaemon: boolean[] = [];
  private freeSlots: number[] = [];
  private nextSeq = 0;
  private liveCount = 0;

  /** Events pending, cancelled ones included until they reach the top. */
  get size(): number {
    return this.heapSize;
  }

  /** Pending events that are not daemons and not cancelled: the work that keeps a run alive. */
  get liveSize(): number {
    return this.liveCount;
  }

  /** Time of the earliest pending event, or Infinity when empty. */
  peekTime(): number {
    this.dropCancelledTop();
    return this.heapSize > 0 ? this.heapTimes[0]! : Infinity;
  }

  /**
   * Adds an event and returns its handle. A daemon event (periodic checks, samplers) fires like any
   * other but does not keep a run alive on its own.
   */
  push(timeMs: number, callback: EventCallback, arg?: unknown, daemon = false): number {
    if (!(timeMs >= 0) || timeMs === Infinity) {
      throw new RangeError(`event time must be finite and >= 0, got ${timeMs}`);
    }
    const slot = this.allocateSlot();
    this.callbacks[slot] = callback;
    this.args[slot] = arg;
    this.slotDaemon[slot] = daemon;
    if (!daemon) this.liveCount++;
    if (this.heapSize === this.heapTimes.length) this.grow();
    this.siftUp(this.heapSize++, timeMs, this.nextSeq++, slot);
    return this.slotGenerations[slot]! * GENERATION_FACTOR + slot;
  }

  /** Cancels a pending event; returns false when it already fired or was cancelled. */
  cancel(handle: number): boolean {
    const slot = handle % GENERATION_FACTOR;
    const generation = Math.floor(handle / GENERATION_FACTOR);
    const callback = this.callbacks[slot];
    if (this.slotGenerations[slot] !== generation || callback === null || callback === undefined) return false;
    this.callbacks[slot] = null;
    this.args[slot] = undefined;
    if (!this.slotDaemon[slot]) this.liveCount--;
    return true;
  }

  /**
   * Removes the earliest live event and returns its slot, with its time in `poppedTimeMs`; -1 when
   * the queue is empty. Call `takeCallback`/`takeArg` for the slot, then `release` it.
   */
  popSlot(): number {
    this.dropCancelledTop();
    if (this.heapSize === 0) return -1;
    const slot = this.heapSlots[0]!;
    this.poppedTimeMs = this.heapTimes[0]!;
    this.removeTop();
    if (!this.slotDaemon[slot]) this.liveCount--;
    return slot;
  }

  /** Time of the event returned by the last `popSlot`. */
  poppedTimeMs = 0;

  /** The callback of a popped slot. */
  callbackOf(slot: number): EventCallback {
    return this.callbacks[slot] as EventCallback;
  }

  /** The argument of a popped slot. */
  argOf(slot: number): unknown {
    return this.args[slot];
  }

  /** Returns a popped slot to the free list, so its memory is reused. */
  release(slot: number): void {
    this.callbacks[slot] = undefined;
    this.args[slot] = undefined;
    this.slotGenerations[slot] = (this.slotGenerations[slot]! + 1) % GENERATION_FACTOR;
    this.freeSlots.push(slot);
  }

  /** Drops every pending event. */
  clear(): void {
    while (this.heapSize > 0) {
      const slot = this.heapSlots[0]!;
      this.removeTop();
      this.release(slot);
    }
    this.liveCount = 0;
  }

  private allocateSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const slot = this.callbacks.length;
    if (slot >= MAX_PENDING_EVENTS) {
      throw new RangeError(`more than ${MAX_PENDING_EVENTS} pending events: the queue limit was reached`);
    }
    this.callbacks.push(null);
    this.args.push(undefined);
    this.slotGenerations.push(0);
    this.slotDaemon.push(false);
    return slot;
  }

  private dropCancelledTop(): void {
    while (this.heapSize > 0 && this.callbacks[this.heapSlots[0]!] === null) {
      const slot = this.heapSlots[0]!;
      this.removeTop();
      this.release(slot);
    }
  }

  private removeTop(): void {
    const last = --this.heapSize;
    if (last > 0) this.siftDown(0, this.heapTimes[last]!, this.heapSeqs[last]!, this.heapSlots[last]!);
  }

  private siftUp(start: number, timeMs: number, seq: number, slot: number): void {
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    const slots = this.heapSlots;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentTime = times[parent]!;
      if (parentTime < timeMs || (parentTime === timeMs && seqs[parent]! < seq)) break;
      times[index] = parentTime;
      seqs[index] = seqs[parent]!;
      slots[index] = slots[parent]!;
      index = parent;
    }
    times[index] = timeMs;
    seqs[index] = seq;
    slots[index] = slot;
  }

  private siftDown(start: number, timeMs: number, seq: number, slot: number): void {
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    const slots = this.heapSlots;
    const size = this.heapSize;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size) {
        const leftTime = times[child]!;
        const rightTime = times[right]!;
        if (rightTime < leftTime || (rightTime === leftTime && seqs[right]! < seqs[child]!)) child = right;
      }
      const childTime = times[child]!;
      if (timeMs < childTime || (timeMs === childTime && seq < seqs[child]!)) break;
      times[index] = childTime;
      seqs[index] = seqs[child]!;
      slots[index] = slots[child]!;
      index = child;
    }
    times[index] = timeMs;
    seqs[index] = seq;
    slots[index] = slot;
  }

  private grow(): void {
    const capacity = this.heapTimes.length * 2;
    const times = new Float64Array(capacity);
    const seqs = new Float64Array(capacity);
    const slots = new Int32Array(capacity);
    times.set(this.heapTimes);
    seqs.set(this.heapSeqs);
    slots.set(this.heapSlots);
    this.heapTimes = times;
    this.heapSeqs = seqs;
    this.heapSlots = slots;
  }
}
