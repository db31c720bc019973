// Events due well after the current time, kept out of the event heap in time buckets until their
// bucket comes near. Most of them are timeouts that are cancelled long before they are due (an RPC's
// deadline, a client's timeout): they then never enter the heap, so pushing and cancelling one is
// O(1) and the heap the loop walks on every pop stays small.

/** Width of a bucket, virtual ms. */
const BUCKET_MS = 16;

/**
 * Far events by bucket (`floor(timeMs / BUCKET_MS)`), each remembered with the time and sequence
 * number it was pushed with, so it enters the heap later with exactly the key it would have had.
 * The queue moves a bucket into the heap before it pops anything at or after the bucket's start.
 */
export class FarEvents {
  /** Slots by bucket index. */
  private readonly buckets = new Map<number, number[]>();
  /** Indexes of the non-empty buckets, as a binary min-heap. */
  private readonly bucketOrder: number[] = [];
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  /** 1 for a slot held here. */
  private held = new Uint8Array(1024);
  /** Slots held, cancelled ones included until their bucket is taken or swept. */
  count = 0;
  /** The bucket added to last and its slots: timeouts are made in time order, so most adds hit it. */
  private lastBucket = -1;
  private lastSlots: number[] | undefined = undefined;

  /** Start of the earliest bucket, virtual ms (Infinity when none): nothing held is earlier. */
  get nextBucketMs(): number {
    return this.bucketOrder.length > 0 ? this.bucketOrder[0]! * BUCKET_MS : Infinity;
  }

  /** True when `slot` waits here (not in the heap). */
  holds(slot: number): boolean {
    return slot < this.held.length && this.held[slot] === 1;
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
    if (slot >= this.held.length) this.grow(slot);
    this.times[slot] = timeMs;
    this.seqs[slot] = seq;
    this.held[slot] = 1;
    this.count++;
    const bucket = Math.floor(timeMs / BUCKET_MS);
    if (bucket === this.lastBucket) {
      this.lastSlots!.push(slot);
      return;
    }
    let slots = this.buckets.get(bucket);
    if (slots === undefined) {
      slots = [];
      this.buckets.set(bucket, slots);
      pushIndex(this.bucketOrder, bucket);
    }
    slots.push(slot);
    this.lastBucket = bucket;
    this.lastSlots = slots;
  }

  /** Removes the earliest bucket and returns its slots (the caller puts them in the heap or frees them). */
  takeEarliest(): number[] {
    const bucket = popIndex(this.bucketOrder);
    const slots = this.buckets.get(bucket)!;
    this.buckets.delete(bucket);
    if (bucket === this.lastBucket) this.forgetLast();
    for (const slot of slots) this.held[slot] = 0;
    this.count -= slots.length;
    return slots;
  }

  /** Drops every slot for which `keep` is false from every bucket; returns the dropped slots. */
  sweep(keep: (slot: number) => boolean): number[] {
    const dropped: number[] = [];
    for (const [bucket, slots] of this.buckets) {
      // Compacted in place: the bucket keeps its array (and the last-bucket cache stays valid).
      let kept = 0;
      for (const slot of slots) {
        if (keep(slot)) slots[kept++] = slot;
        else dropped.push(slot);
      }
      slots.length = kept;
      if (kept === 0) {
        this.buckets.delete(bucket);
        if (bucket === this.lastBucket) this.forgetLast();
      }
    }
    this.bucketOrder.length = 0;
    for (const bucket of this.buckets.keys()) pushIndex(this.bucketOrder, bucket);
    for (const slot of dropped) this.held[slot] = 0;
    this.count -= dropped.length;
    return dropped;
  }

  private forgetLast(): void {
    this.lastBucket = -1;
    this.lastSlots = undefined;
  }

  private grow(slot: number): void {
    let capacity = this.held.length;
    while (capacity <= slot) capacity *= 2;
    const times = new Float64Array(capacity);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(capacity);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const held = new Uint8Array(capacity);
    held.set(this.held);
    this.held = held;
  }
}

function pushIndex(heap: number[], value: number): void {
  let index = heap.length;
  heap.push(value);
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[index] = heap[parent]!;
    index = parent;
  }
  heap[index] = value;
}

function popIndex(heap: number[]): number {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length === 0) return top;
  let index = 0;
  for (;;) {
    let child = 2 * index + 1;
    if (child >= heap.length) break;
    if (child + 1 < heap.length && heap[child + 1]! < heap[child]!) child++;
    if (last <= heap[child]!) break;
    heap[index] = heap[child]!;
    index = child;
  }
  heap[index] = last;
  return top;
}
