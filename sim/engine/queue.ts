// The pending-event queue: a binary min-heap on typed arrays, ordered by (time, sequence number).
// Typed arrays keep the heap out of the garbage collector's way at 1e5–1e6 pending events.

import { FarEvents } from './far-events.ts';
import { grownToFit } from './typed-arrays.ts';

/** Callback fired by the queue; `arg` is passed through so hot paths need no closure per event. */
export type EventCallback = (arg: unknown) => void;

/** Most events that may be pending at once; a handle packs a slot below this bound. */
export const MAX_PENDING_EVENTS: number = Packing.GenerationFactor;
const INITIAL_CAPACITY = 1024;

/**
 * Events ordered by (time, sequence number): the sequence number breaks ties first-in-first-out, so
 * the order is total and the same schedule always fires the same way.
 *
 * Each event lives in a slot (callback + argument); the heap holds (time, seq, slot). A handle is
 * `generation * 2^26 + slot`, so a stale handle can never cancel a later event reusing the slot
 * (generations start at 32: see `Packing.FirstGeneration`).
 * An event due `Thresholds.FarMs` or more after the last popped time waits outside the heap (far-events.ts)
 * and enters it, with the key it was pushed with, before anything at or after its bucket pops.
 */
export class EventQueue {
  private heapTimes = new Float64Array(INITIAL_CAPACITY);
  private heapSeqs = new Float64Array(INITIAL_CAPACITY);
  private heapSlots = new Int32Array(INITIAL_CAPACITY);
  private heapSize = 0;

  // Slot bookkeeping on typed arrays: the JS arrays hold only what must be a JS value.
  // Callback and argument of slot i sit side by side at [2i] and [2i+1]: one cache line per pop.
  private payloads: unknown[] = [];
  // Generation in the high bits, the live and daemon flags in the low two: one word per slot.
  private slotWords = new Uint32Array(INITIAL_CAPACITY);
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;
  private slotCount = 0;
  private nextSeq = 0;
  private liveCount = 0;
  /** Cancelled entries still in the heap; compacted away when they are most of it. */
  private cancelledCount = 0;
  /** Events due far ahead, outside the heap until their time comes near. */
  private readonly far = new FarEvents();
  /** Cancelled events among the far ones; swept away when they are most of them. */
  private farCancelled = 0;

  /** Time of the event returned by the last `popSlot`. */
  poppedTimeMs = 0;
  /** Sequence number of the event returned by the last `popSlot` (-1 before the first). */
  private poppedSeq = -1;

  /** Events pending, cancelled ones included until they reach the top. */
  get size(): number {
    return this.heapSize + this.far.count;
  }

  /** Pending events that are not daemons and not cancelled: the work that keeps a run alive. */
  get liveSize(): number {
    return this.liveCount;
  }

  /** Time of the earliest pending event, or Infinity when empty. */
  peekTime(): number {
    this.surfaceTop();
    return this.heapSize > 0 ? this.heapTimes[0]! : Infinity;
  }

  /**
   * Adds an event and returns its handle. A daemon event (periodic checks, samplers) fires like any
   * other but does not keep a run alive on its own.
   */
  push(timeMs: number, callback: EventCallback, arg?: unknown, daemon = false, reservedSeq = -1): number {
    if (!(timeMs >= 0) || timeMs === Infinity) badEventTime(timeMs);
    const seq = reservedSeq < 0 ? this.nextSeq++ : reservedSeq;
    const slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount]! : this.newSlot();
    this.payloads[2 * slot] = callback;
    this.payloads[2 * slot + 1] = arg;
    const word = this.slotWords[slot]! | (daemon ? Packing.Live | Packing.Daemon : Packing.Live);
    this.slotWords[slot] = word;
    if (!daemon) this.liveCount++;
    if (timeMs - this.poppedTimeMs >= Thresholds.FarMs) {
      this.far.add(slot, timeMs, seq);
      return (word >>> Packing.FlagBits) * Packing.GenerationFactor + slot;
    }
    if (this.heapSize === this.heapTimes.length) this.growHeap();
    // The new entry is written at the end and sifted up from there: no double crosses a call
    // (V8 boxes a double passed to a function it does not inline).
    const index = this.heapSize++;
    this.heapTimes[index] = timeMs;
    this.heapSeqs[index] = seq;
    this.heapSlots[index] = slot;
    this.siftUp(index);
    return (word >>> Packing.FlagBits) * Packing.GenerationFactor + slot;
  }

  /**
   * Takes the next sequence number now for an event pushed later with `pushReserved`: the event
   * then fires exactly where it would have had it been pushed now (ties at its time included).
   */
  reserveSeq(): number {
    return this.nextSeq++;
  }

  /**
   * Adds a (live) event with a sequence number taken earlier by `reserveSeq`. Its key must come
   * after the last popped one: an event may not be put before what has already fired.
   */
  pushReserved(timeMs: number, seq: number, callback: EventCallback, arg?: unknown): number {
    if (!(seq >= 0 && seq < this.nextSeq) || timeMs < this.poppedTimeMs || (timeMs === this.poppedTimeMs && seq <= this.poppedSeq)) {
      badReservedKey(timeMs, seq, this.poppedTimeMs, this.poppedSeq);
    }
    return this.push(timeMs, callback, arg, false, seq);
  }

  /** Cancels a pending event; returns false when it already fired or was cancelled. */
  cancel(handle: number): boolean {
    // Handles pass 2^31 once a slot has been reused a few times: a float modulus would be a C call.
    const generation = Math.floor(handle / Packing.GenerationFactor);
    const slot = handle - generation * Packing.GenerationFactor;
    if (slot >= this.slotCount) return false;
    const word = this.slotWords[slot]!;
    if (word >>> Packing.FlagBits !== generation || (word & Packing.Live) === 0) return false;
    this.slotWords[slot] = word & ~Packing.Live;
    this.payloads[2 * slot] = undefined;
    this.payloads[2 * slot + 1] = undefined;
    if ((word & Packing.Daemon) === 0) this.liveCount--;
    if (this.far.holds(slot)) {
      this.cancelFar(slot);
      return true;
    }
    // Timeouts that are cancelled long before they are due would otherwise pile up in the heap.
    if (++this.cancelledCount > Thresholds.CompactMinCancelled && this.cancelledCount * 2 > this.heapSize) this.compact();
    return true;
  }

  /**
   * Removes the earliest event if it is due by `untilMs` and returns its slot, with its time in
   * `poppedTimeMs`; -1 when the queue is empty or the next event is later. Read the slot with
   * `callbackOf`/`argOf`, then `release` it.
   */
  popSlot(untilMs = Infinity): number {
    this.surfaceTop();
    if (this.heapSize === 0 || this.heapTimes[0]! > untilMs) return -1;
    const slot = this.heapSlots[0]!;
    this.poppedTimeMs = this.heapTimes[0]!;
    this.poppedSeq = this.heapSeqs[0]!;
    this.removeTop();
    if ((this.slotWords[slot]! & Packing.Daemon) === 0) this.liveCount--;
    return slot;
  }

  /** The callback of a popped slot. */
  callbackOf(slot: number): EventCallback {
    return this.payloads[2 * slot] as EventCallback;
  }

  /** The argument of a popped slot. */
  argOf(slot: number): unknown {
    return this.payloads[2 * slot + 1];
  }

  /** Returns a popped slot to the free list; its handle stops being valid. */
  release(slot: number): void {
    this.payloads[2 * slot] = undefined;
    this.payloads[2 * slot + 1] = undefined;
    // Generations never go below FirstGeneration (see there), also when they wrap.
    const generation = ((this.slotWords[slot]! >>> Packing.FlagBits) + 1) & Packing.GenerationMask || Packing.FirstGeneration;
    this.slotWords[slot] = generation << Packing.FlagBits;
    this.freeSlots[this.freeCount++] = slot;
  }

  /** Drops every pending event. */
  clear(): void {
    while (this.heapSize > 0) {
      const slot = this.heapSlots[0]!;
      this.removeTop();
      this.release(slot);
    }
    for (const slot of this.far.sweep(() => false)) this.release(slot);
    this.liveCount = 0;
    this.cancelledCount = 0;
    this.farCancelled = 0;
  }

  /**
   * Makes the heap's top the earliest pending event: drops cancelled entries from the top and moves
   * in every far bucket that starts at or before it (a far event may be earlier than the top).
   */
  private surfaceTop(): void {
    this.dropCancelledTop();
    // One compare per pop while no far bucket is due: the far path stays out of the hot one. (An
    // empty heap takes any bucket; written as a condition, not as `heapSize > 0 ? top : Infinity`,
    // which V8 boxed as a heap number on every pop.)
    if ((this.heapSize === 0 || this.far.nextBucketMs <= this.heapTimes[0]!) && this.far.count > 0) this.admitFar();
  }

  /** Moves every far bucket due by the heap's top into the heap (see `surfaceTop`). */
  private admitFar(): void {
    for (;;) {
      for (const slot of this.far.takeEarliest()) {
        if ((this.slotWords[slot]! & Packing.Live) === 0) {
          this.release(slot);
          this.farCancelled--;
          continue;
        }
        if (this.heapSize === this.heapTimes.length) this.growHeap();
        const index = this.heapSize++;
        this.heapTimes[index] = this.far.timeOf(slot);
        this.heapSeqs[index] = this.far.seqOf(slot);
        this.heapSlots[index] = slot;
        this.siftUp(index);
      }
      this.dropCancelledTop();
      if (this.far.count === 0 || this.far.nextBucketMs > (this.heapSize > 0 ? this.heapTimes[0]! : Infinity)) return;
    }
  }

  /**
   * A far event was cancelled: its slot is freed with its bucket's once all of those are cancelled
   * (the usual case), when its bucket comes due, or by a sweep once most far events are cancelled.
   */
  private cancelFar(slot: number): void {
    this.farCancelled++;
    const dead = this.far.cancel(slot);
    if (dead !== undefined) {
      for (let index = 0; index < dead.length; index++) this.release(dead[index]!);
      this.farCancelled -= dead.length;
    } else if (this.farCancelled > Thresholds.CompactMinCancelled && this.farCancelled * 2 > this.far.count) {
      this.sweepFar();
    }
  }

  /** Frees the slots of every cancelled far event. */
  private sweepFar(): void {
    for (const slot of this.far.sweep((kept) => (this.slotWords[kept]! & Packing.Live) !== 0)) this.release(slot);
    this.farCancelled = 0;
  }

  private newSlot(): number {
    const slot = this.slotCount++;
    if (slot >= MAX_PENDING_EVENTS) {
      throw new RangeError(`more than ${MAX_PENDING_EVENTS} pending events: the queue limit was reached`);
    }
    if (slot === this.slotWords.length) {
      this.slotWords = grownToFit(this.slotWords, slot + 1);
      this.freeSlots = grownToFit(this.freeSlots, slot + 1);
    }
    this.slotWords[slot] = Packing.FirstGeneration << Packing.FlagBits;
    this.payloads.push(undefined, undefined);
    return slot;
  }

  private dropCancelledTop(): void {
    while (this.heapSize > 0 && (this.slotWords[this.heapSlots[0]!]! & Packing.Live) === 0) {
      const slot = this.heapSlots[0]!;
      this.removeTop();
      this.release(slot);
      this.cancelledCount--;
    }
  }

  /** Drops every cancelled entry and rebuilds the heap in O(n); order is unchanged (same keys). */
  private compact(): void {
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    const slots = this.heapSlots;
    let kept = 0;
    for (let index = 0; index < this.heapSize; index++) {
      const slot = slots[index]!;
      if ((this.slotWords[slot]! & Packing.Live) === 0) {
        this.release(slot);
        continue;
      }
      times[kept] = times[index]!;
      seqs[kept] = seqs[index]!;
      slots[kept] = slot;
      kept++;
    }
    this.heapSize = kept;
    this.cancelledCount = 0;
    for (let index = (kept >> 1) - 1; index >= 0; index--) this.siftDown(index, index);
  }

  private removeTop(): void {
    const last = --this.heapSize;
    if (last > 0) this.siftDown(0, last);
  }

  /** Moves the entry at `start` up until its parent is earlier. */
  private siftUp(start: number): void {
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    const slots = this.heapSlots;
    const timeMs = times[start]!;
    const seq = seqs[start]!;
    const slot = slots[start]!;
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

  /** Places the entry now at index `from` at `start` or below it: the heap's order is restored under `start`. */
  private siftDown(start: number, from: number): void {
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    const slots = this.heapSlots;
    const timeMs = times[from]!;
    const seq = seqs[from]!;
    const slot = slots[from]!;
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

  private growHeap(): void {
    const needed = this.heapTimes.length + 1;
    this.heapTimes = grownToFit(this.heapTimes, needed);
    this.heapSeqs = grownToFit(this.heapSeqs, needed);
    this.heapSlots = grownToFit(this.heapSlots, needed);
  }
}

/** Cancelled entries tolerated before a compaction is considered: cancelled timeouts deepen the heap
 * every push and pop walks, and compaction is amortised O(1) per cancel (it runs only when they are
 * most of the heap), so a small floor only stops thrashing on tiny heaps. */
/** Throws the RangeError for an event time that is not finite and >= 0 (kept out of `push`, so it stays small). */
function badEventTime(timeMs: number): never {
  throw new RangeError(`event time must be finite and >= 0, got ${timeMs}`);
}

/** Throws for a reserved key that is not one, or comes before what has already fired. */
function badReservedKey(timeMs: number, seq: number, poppedTimeMs: number, poppedSeq: number): never {
  throw new RangeError(`a reserved event (${timeMs} ms, #${seq}) must come after the last fired one (${poppedTimeMs} ms, #${poppedSeq}) and use a reserved number`);
}

/** The queue's thresholds, as a const enum (literals: see Packing). */
const enum Thresholds {
  /**
   * Events due this far after the last popped time, virtual ms, wait outside the heap: client and
   * RPC timeouts (hundreds of ms) do, and are mostly cancelled there; latencies and service times
   * (a few ms) go straight into the heap.
   */
  FarMs = 64,
  /** Cancelled events tolerated before a compaction is considered. */
  CompactMinCancelled = 32,
}

/**
 * How a slot's word and a handle are packed. A const enum compiles to literals, where a module
 * `const` costs a load from the module's context and a hole check at every use (several per event).
 */
const enum Packing {
  Live = 1,
  Daemon = 2,
  FlagBits = 2,
  /** Generations wrap within 30 bits so `generation << FlagBits` stays a 32-bit word. */
  GenerationMask = (1 << 26) - 1,
  /** A handle is generation × this + slot: also the most pending events (MAX_PENDING_EVENTS). */
  GenerationFactor = 1 << 26,
  /**
   * A slot's first generation: every handle is then at least 2^31, never a small integer (a V8 Smi)
   * nor an int32. A field holding handles is a double field from the first handle stored in it;
   * were the first handles small, the first large one would change the field's representation in
   * the middle of a run, deoptimizing every function that reads that class (a request's, a
   * deadline line's), and V8 would compile them all again.
   */
  FirstGeneration = 32,
}
