// Time-averaged load of one node: integrals over virtual time of busy workers and queued requests,
// in total and per fixed-width slice for charts. Bounded memory: at most `maxBuckets` slices; past
// the end, neighbouring slices merge and the width doubles (totals are conserved).

/** Default slice width of the per-node series, virtual ms. */
export const NODE_LOAD_BUCKET_MS = 1000;
/** Default most slices kept per node. */
export const NODE_LOAD_MAX_BUCKETS = 256;

/** One slice of a node's load: averages over the slice. */
export interface NodeLoadBucket {
  startMs: number;
  endMs: number;
  /** Mean busy workers over the slice. */
  busyWorkers: number;
  /** Mean requests waiting for a worker over the slice. */
  queueLength: number;
}

/**
 * Integrates a node's busy workers and queue length over virtual time. The node calls `advance`
 * before every change of either count, with the counts as they were since the previous call, so
 * each interval is integrated with the state that held during it (a sample path, no sampling).
 */
export class NodeLoadMeter {
  /** ∫ busy workers dt, worker-ms. */
  busyWorkerMs = 0;
  /** ∫ queue length dt, request-ms. */
  queuedRequestMs = 0;
  private lastMs = 0;
  private bucketWidthMs: number;
  private readonly busyByBucket: Float64Array;
  private readonly queuedByBucket: Float64Array;
  /** Highest slice holding data, -1 when none. */
  private lastIndex = -1;

  constructor(
    bucketMs = NODE_LOAD_BUCKET_MS,
    private readonly maxBuckets = NODE_LOAD_MAX_BUCKETS,
    /** The clock `advanceToNow` reads (a node's simulation). */
    private readonly clock: { readonly nowMs: number } | undefined = undefined,
  ) {
    this.bucketWidthMs = bucketMs;
    this.busyByBucket = new Float64Array(maxBuckets);
    this.queuedByBucket = new Float64Array(maxBuckets);
  }

  /**
   * `advance` up to the clock's time. The node calls this one: a time it passed to `advance` where
   * V8 does not inline that (the ingress path) would be boxed as a heap number, once per request.
   */
  advanceToNow(busy: number, queued: number): void {
    this.advance(this.clock!.nowMs, busy, queued);
  }

  /** Integrates `busy` and `queued` (the counts since the last call) up to `nowMs`. */
  advance(nowMs: number, busy: number, queued: number): void {
    const fromMs = this.lastMs;
    this.lastMs = nowMs;
    if (nowMs <= fromMs || (busy === 0 && queued === 0)) return;
    this.busyWorkerMs += busy * (nowMs - fromMs);
    this.queuedRequestMs += queued * (nowMs - fromMs);
    while (Math.floor(nowMs / this.bucketWidthMs) >= this.maxBuckets) this.compact();
    let startMs = fromMs;
    // Usually one slice; a long quiet interval spreads over the slices it covers.
    while (startMs < nowMs) {
      const index = Math.floor(startMs / this.bucketWidthMs);
      const endMs = Math.min(nowMs, (index + 1) * this.bucketWidthMs);
      this.busyByBucket[index] += busy * (endMs - startMs);
      this.queuedByBucket[index] += queued * (endMs - startMs);
      if (index > this.lastIndex) this.lastIndex = index;
      startMs = endMs;
    }
  }

  private compact(): void {
    const used = this.lastIndex + 1;
    const half = Math.ceil(used / 2);
    for (let target = 0; target < half; target++) {
      const a = 2 * target;
      const b = a + 1 < used ? a + 1 : -1;
      this.busyByBucket[target] = this.busyByBucket[a]! + (b >= 0 ? this.busyByBucket[b]! : 0);
      this.queuedByBucket[target] = this.queuedByBucket[a]! + (b >= 0 ? this.queuedByBucket[b]! : 0);
    }
    this.busyByBucket.fill(0, half, Math.max(half, used));
    this.queuedByBucket.fill(0, half, Math.max(half, used));
    if (this.lastIndex >= 0) this.lastIndex >>= 1;
    this.bucketWidthMs *= 2;
  }

  /** The slices from time 0 through `untilMs` (or the last slice with load), dense. */
  buckets(untilMs = 0): NodeLoadBucket[] {
    const width = this.bucketWidthMs;
    const last = Math.max(this.lastIndex, Math.min(this.maxBuckets, Math.ceil(untilMs / width)) - 1);
    const out: NodeLoadBucket[] = [];
    for (let index = 0; index <= last; index++) {
      out.push({ startMs: index * width, endMs: (index + 1) * width, busyWorkers: this.busyByBucket[index]! / width, queueLength: this.queuedByBucket[index]! / width });
    }
    return out;
  }
}
