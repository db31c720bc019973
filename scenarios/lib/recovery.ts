// Measures how long a system takes to serve well again after a fault ends: outcomes are counted in
// fixed time buckets, and recovery is the first bucket from which every later one is good enough.

/** When recovery was reached, as `RecoveryMeter.recoveryAfter` reports it. */
export interface Recovery {
  /** True when the good share held from some bucket up to the end of the observed span. */
  recovered: boolean;
  /**
   * Ms from `fromMs` to the start of the first bucket from which the good share held; when not
   * recovered, the whole observed span (a lower bound).
   */
  timeToRecoverMs: number;
}

/**
 * Outcomes by virtual time, in buckets of `bucketMs`. Memory is one pair of counters per bucket
 * of the run, so it follows the run's length, not its traffic.
 */
export class RecoveryMeter {
  private readonly good: number[] = [];
  private readonly total: number[] = [];

  constructor(readonly bucketMs: number) {}

  /** Records one outcome at virtual time `atMs`. */
  record(atMs: number, good: boolean): void {
    const bucket = Math.floor(atMs / this.bucketMs);
    while (this.total.length <= bucket) {
      this.total.push(0);
      this.good.push(0);
    }
    this.total[bucket]!++;
    if (good) this.good[bucket]!++;
  }

  /** Good outcomes / outcomes recorded in [fromMs, untilMs) (1 when none). */
  goodShare(fromMs: number, untilMs: number): number {
    let good = 0;
    let total = 0;
    const last = Math.min(this.total.length, Math.ceil(untilMs / this.bucketMs));
    for (let bucket = Math.floor(fromMs / this.bucketMs); bucket < last; bucket++) {
      good += this.good[bucket]!;
      total += this.total[bucket]!;
    }
    return total === 0 ? 1 : good / total;
  }

  /**
   * How long after `fromMs` (a fault's end) the good share of every bucket up to `untilMs` stays at
   * or above `threshold`. Buckets with no outcomes count as good (nothing asked, nothing failed).
   */
  recoveryAfter(fromMs: number, untilMs: number, threshold: number): Recovery {
    const first = Math.floor(fromMs / this.bucketMs);
    const last = Math.ceil(untilMs / this.bucketMs);
    // Scan backwards for the last bad bucket: recovery starts right after it.
    for (let bucket = last - 1; bucket >= first; bucket--) {
      const total = this.total[bucket] ?? 0;
      if (total > 0 && (this.good[bucket] ?? 0) / total < threshold) {
        const recoveredAtMs = (bucket + 1) * this.bucketMs;
        if (bucket === last - 1) return { recovered: false, timeToRecoverMs: untilMs - fromMs };
        return { recovered: true, timeToRecoverMs: Math.max(0, recoveredAtMs - fromMs) };
      }
    }
    return { recovered: true, timeToRecoverMs: 0 };
  }
}
