// Events due well after the current time, kept out of the event heap in time buckets until their
// bucket comes near. Most of them are timeouts that are cancelled long before they are due (an RPC's
// deadline, a client's timeout): they then never enter the heap, so pushing and cancelling one is
// O(1) and the heap the loop walks on every pop stays small.
import { heapPop, heapPush } from './min-heap.ts';
import { grownToFit } from './typed-arrays.ts';

/** Bucket constants, as a const enum: literals, not a module-context load and hole check per use. */
const enum Buckets {
  /** Width of a bucket, virtual ms. */
  WidthMs = 16,
  /** Stale bucket indexes (of buckets already gone) tolerated in the order before it is rebuilt. */
  StaleOrderMin = 32,
}

/** The far events of one bucket, and how many of them are not cancelled. */
class FarBucket {
  readonly slots: number[] = [];
  live = 0;
  constructor(readonly index: number) {}
}

/**
 * Far events by bucket (`floor(timeMs / Buckets.WidthMs)`), each remembered with the time and sequence
 * number it was pushed with, so it enters the heap later with exactly the key it would have had.
 * The queue moves a bucket into the heap before it pops anything at or after the bucket's start.
 *
 * Timeouts are made in time order and mostly cancelled in about that order, so a bucket usually
 * dies whole: when its last event is cancelled its slots are handed back at once (`cancel`), and
 * no sweep over the other buckets is needed.
 */
export class FarEvents {
  /** Buckets by index. */
  private readonly buckets = new Map<number, FarBucket>();
  /**
   * Indexes of the buckets as a binary min-heap. Its top is always a bucket that exists; below it,
   * an index whose bucket died whole may linger until it surfaces or the order is rebuilt.
   */
  private readonly bucketOrder: number[] = [];
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  /** The bucket holding each slot; undefined for a slot not held here. */
  private owners: (FarBucket | undefined)[] = [];
  /** Slots held, cancelled ones included until their bucket is taken, dies or is swept. */
  count = 0;
  /** The bucket added to last: timeouts are made in time order, so most adds hit it. */
  private lastBucket: FarBucket | undefined = undefined;

  /**
   * Start of the earliest bucket, virtual ms (Infinity when none): nothing held is earlier. A field
   * kept with the order's top, so the queue reads one number per pop.
   */
  nextBucketMs = Infinity;

  /** True when `slot` waits here (not in the heap). */
  holds(slot: number): boolean {
    return this.owners[slot] !== undefined;
  }

  /** Time the event in `slot` was pushed for. */
  timeOf(slot: number): number {
    return this.times[slot]!;
  }

  /** Sequence number the event in `slot` was pushed with. */
  seqOf(slot: number): number {
    return this.seqs[slot]!;
  }

  /** Holds the event in `slot`, due at `timeMs`, pushed with sequence number `seq`. */
  add(slot: number, timeMs: number, seq: number): void {
    if (slot >= this.times.length) this.grow(slot);
    this.times[slot] = timeMs;
    this.seqs[slot] = seq;
    this.count++;
    const index = Math.floor(timeMs / Buckets.WidthMs);
    let bucket = this.lastBucket;
    if (bucket === undefined || bucket.index !== index) {
      bucket = this.buckets.get(index);
      if (bucket === undefined) {
        bucket = new FarBucket(index);
        this.buckets.set(index, bucket);
        heapPush(this.bucketOrder, index, lower);
        this.noteTop();
      }
      this.lastBucket = bucket;
    }
    bucket.slots.push(slot);
    bucket.live++;
    while (this.owners.length < slot) this.owners.push(undefined);
    this.owners[slot] = bucket;
  }

  /**
   * Notes that the event in `slot` (held here) was cancelled. When it was the last live one of its
   * bucket, the bucket goes and its slots (all cancelled) are returned for the caller to free.
   */
  cancel(slot: number): number[] | undefined {
    const bucket = this.owners[slot]!;
    if (--bucket.live > 0) return undefined;
    this.remove(bucket);
    if (this.bucketOrder[0] === bucket.index) this.dropStaleTop();
    else if (this.bucketOrder.length - this.buckets.size > Buckets.StaleOrderMin && this.bucketOrder.length > 2 * this.buckets.size) this.rebuildOrder();
    return bucket.slots;
  }

  /** Removes the earliest bucket and returns its slots (the caller puts them in the heap or frees them). */
  takeEarliest(): number[] {
    const bucket = this.buckets.get(heapPop(this.bucketOrder, lower))!;
    this.remove(bucket);
    this.dropStaleTop();
    return bucket.slots;
  }

  /** Drops every slot for which `keep` is false from every bucket; returns the dropped slots. */
  sweep(keep: (slot: number) => boolean): number[] {
    const dropped: number[] = [];
    for (const bucket of [...this.buckets.values()]) {
      // Compacted in place: the bucket keeps its array (and the last-bucket cache stays valid).
      const slots = bucket.slots;
      let kept = 0;
      for (const slot of slots) {
        if (keep(slot)) slots[kept++] = slot;
        else dropped.push(slot);
      }
      slots.length = kept;
      bucket.live = kept;
      if (kept === 0) this.remove(bucket);
    }
    for (const slot of dropped) this.owners[slot] = undefined;
    this.count -= dropped.length;
    this.rebuildOrder();
    return dropped;
  }

  /** Forgets a bucket and the slots it holds (its index may stay in the order, stale). */
  private remove(bucket: FarBucket): void {
    this.buckets.delete(bucket.index);
    if (this.lastBucket === bucket) this.lastBucket = undefined;
    for (const slot of bucket.slots) this.owners[slot] = undefined;
    this.count -= bucket.slots.length;
  }

  /** Pops indexes of buckets that are gone off the top of the order. */
  private dropStaleTop(): void {
    const order = this.bucketOrder;
    while (order.length > 0 && !this.buckets.has(order[0]!)) heapPop(order, lower);
    this.noteTop();
  }

  private rebuildOrder(): void {
    this.bucketOrder.length = 0;
    for (const index of this.buckets.keys()) heapPush(this.bucketOrder, index, lower);
    this.noteTop();
  }

  private noteTop(): void {
    this.nextBucketMs = this.bucketOrder.length > 0 ? this.bucketOrder[0]! * Buckets.WidthMs : Infinity;
  }

  private grow(slot: number): void {
    this.times = grownToFit(this.times, slot + 1);
    this.seqs = grownToFit(this.seqs, slot + 1);
  }
}

/** Bucket indexes come out lowest first. */
function lower(a: number, b: number): boolean {
  return a < b;
}
