// Run metrics: latency percentiles (HDR histogram), bounded-memory time series for charts,
// and per-endpoint outcome counts. Memory stays bounded however many requests are recorded.

import { build, type Histogram } from 'hdr-histogram-js';
import { grownToFit } from '../engine/typed-arrays.ts';

/**
 * The numbers `record` uses on every request, as a const enum: it compiles to literals, where a
 * module `const` costs a load from the module's context and a check at every use.
 */
const enum Limits {
  /** Microseconds per virtual millisecond: histograms record integer µs so fractional ms survive. */
  UsPerMs = 1000,
  /**
   * Largest latency accepted, in ms (Number.MAX_SAFE_INTEGER / UsPerMs). Above this the µs integer
   * would exceed 2^53 and lose integer precision; a latency that large can only come from an engine bug.
   */
  MaxLatencyMs = 9007199254740991 / UsPerMs,
  /** log2 of HDR's sub-bucket half count for 3 significant digits (1024). */
  HdrSubBucketHalfMagnitude = 10,
  /** HDR's sub-bucket half count for 3 significant digits. */
  HdrSubBucketHalfCount = 1 << HdrSubBucketHalfMagnitude,
  /** Staged values must fit clz32/shift arithmetic; larger ones (≥ ~35.8 min) go straight to HDR. */
  StageMaxUs = 0x7fffffff,
  /** Sub-bins per power of two in the per-bucket sketch, log2 (4 → ≤ 25% bin width). */
  SketchSubbinsLog2 = 2,
  /** Number of bins in each time bucket's latency sketch. */
  SketchBins = 120,
  /** Largest µs value binned exactly by octave; bigger values go to the top bin. */
  SketchMaxUs = 0x7fffffff,
}

/** Rounds ms to whole microseconds, the resolution every reported figure is given at. */
function roundToUs(ms: number): number {
  return Math.round(ms * Limits.UsPerMs) / Limits.UsPerMs;
}

/**
 * Throws the RangeError for a latency no correct engine could produce. Callers test
 * `!(latencyMs >= 0 && latencyMs <= Limits.MaxLatencyMs)` inline (which also rejects NaN) and call this
 * only on failure: calling a function V8 does not inline with a double boxes it, one allocation
 * per request on the hot path.
 */
function badLatency(latencyMs: number): never {
  throw new RangeError(`latency must be a finite, non-negative number of ms; got ${latencyMs}`);
}

/** Throws RangeError unless p is a percentile in [0, 100]. */
function checkPercentile(p: number): void {
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`percentile must be in [0, 100]; got ${p}`);
  }
}

/** Latency distribution digest; every field except `count` is in virtual ms, rounded to the microsecond. */
export interface LatencySummary {
  /** Median latency (ms). */
  p50: number;
  /** 90th percentile latency (ms). */
  p90: number;
  /** 99th percentile latency (ms). */
  p99: number;
  /** 99.9th percentile latency (ms). */
  p999: number;
  /** Largest latency recorded (ms), exact to the microsecond. */
  max: number;
  /** Arithmetic mean latency (ms) of the µs-rounded values, from their exact sum rather than HDR's bucket midpoints. */
  mean: number;
  /** Number of latencies recorded. */
  count: number;
}

/** The percentiles a summary reports, ascending (one scan of the stage finds them all). */
const SUMMARY_PERCENTILES: readonly number[] = [50, 90, 99, 99.9];

/** The all-zero summary reported when nothing has been recorded. */
function emptySummary(): LatencySummary {
  return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 };
}

// HDR layout for lowestDiscernibleValue 1 and 3 significant digits: 2048 sub-buckets per bucket
// (2 * 10^3 rounded up to a power of two), each bucket after the first covering the next power of
// two at half the resolution. Index of value v: bucket b = max(floor(log2 v) - 10, 0), sub-bucket
// s = v >> b, index = (b + 1) * 1024 + s - 1024. Mirrored here so record() can skip the library.

/** Initial staging array length: bucket 0 only (values 0..2047 µs), 16 KB. */
const STAGE_INITIAL_LENGTH = 2 * Limits.HdrSubBucketHalfCount;

/** HDR counts-array index of integer µs value `us` (0 ≤ us ≤ Limits.StageMaxUs). */
function hdrIndex(us: number): number {
  const bucket = Math.max(31 - Math.clz32(us) - Limits.HdrSubBucketHalfMagnitude, 0);
  return ((bucket + 1) << Limits.HdrSubBucketHalfMagnitude) + (us >>> bucket) - Limits.HdrSubBucketHalfCount;
}

/** Width in µs of the values HDR files at counts-array index `index` (1 in the first bucket, then doubling). */
function hdrIndexWidthUs(index: number): number {
  return 2 ** Math.max((index >> Limits.HdrSubBucketHalfMagnitude) - 1, 0);
}

/** Lowest µs value at HDR counts-array index `index`: a representative the library files at that same index. */
function hdrIndexLowUs(index: number): number {
  const bucket = Math.max((index >> Limits.HdrSubBucketHalfMagnitude) - 1, 0);
  const sub = bucket === 0 ? index : (index & (Limits.HdrSubBucketHalfCount - 1)) + Limits.HdrSubBucketHalfCount;
  return sub * 2 ** bucket;
}

/**
 * Latency percentiles in virtual ms, from an HDR histogram (hdr-histogram-js, pure JS build),
 * recording microsecond integers internally with 3 significant digits and auto-resizing.
 *
 * Percentiles carry HDR's relative error (≤ 0.1%; values ≤ 2.047 ms are exact to the µs) and are
 * clamped to the exact maximum, so `percentile(100) === summary().max`. `count`, `max` and `mean`
 * are exact (to the µs), kept alongside the histogram.
 *
 * The library's JS recordValue runs at ~4 M calls/s (Math.log2/pow per call), too slow for the
 * hot path, so record() counts into a staging array with HDR's own index layout (clz32, ~10× faster)
 * and the counts are moved into the HDR histogram lazily, before any query or merge. Results are
 * identical to recording into HDR directly (checked by a property test).
 */
export class LatencyHistogram {
  /**
   * The library's histogram, built on first use (see `library`): a run whose latencies all stage
   * and whose queries read the stage never pays for building one.
   */
  private hdr: Histogram | undefined = undefined;
  /** Counts not yet moved into `hdr`, by HDR index; grows by doubling to the highest index seen. */
  private stage = new Float64Array(STAGE_INITIAL_LENGTH);
  /** Highest staged index + 1, so a flush scans only the used prefix. */
  private stageUsed = 0;
  private countValue = 0;
  // Sum of the recorded integer µs: integer addition is exact (below 2^53) and so independent of
  // order, which makes merge() give exactly the same mean as recording everything in one place.
  private sumUs = 0;
  private maxMs = 0;

  /**
   * Records one latency.
   * @param latencyMs - latency in virtual ms; fractions are kept to the microsecond.
   * @throws RangeError if latencyMs is negative, NaN or infinite (an engine bug, not a load condition).
   */
  record(latencyMs: number): void {
    if (!(latencyMs >= 0 && latencyMs <= Limits.MaxLatencyMs)) badLatency(latencyMs);
    const us = Math.round(latencyMs * Limits.UsPerMs);
    if (us <= Limits.StageMaxUs) {
      const index = hdrIndex(us);
      if (index >= this.stage.length) this.growStage(index);
      this.stage[index]++;
      if (index >= this.stageUsed) this.stageUsed = index + 1;
    } else {
      this.library().recordValue(us);
    }
    this.countValue++;
    this.sumUs += us;
    if (latencyMs > this.maxMs) this.maxMs = latencyMs;
  }

  /** Grows the staging array (by doubling) so `index` fits. */
  private growStage(index: number): void {
    this.stage = grownToFit(this.stage, index + 1);
  }

  /** The library's histogram, built now if it was not yet. */
  private library(): Histogram {
    // Float64 counts (bitBucketSize 64): the 32-bit variant wraps silently past 2^32 per bucket,
    // which merging many long runs could reach. Pure JS build: the WASM one needs async init.
    return (this.hdr ??= build({
      useWebAssembly: false,
      bitBucketSize: 64,
      numberOfSignificantValueDigits: 3,
      autoResize: true,
    }));
  }

  /** True while the library's histogram holds nothing (not built, or empty): the stage holds every count. */
  private get allStaged(): boolean {
    return this.hdr === undefined || this.hdr.totalCount === 0;
  }

  /** Moves staged counts into the HDR histogram and returns it; must precede every read of `hdr`. */
  private flush(): Histogram {
    const hdr = this.library();
    const stage = this.stage;
    for (let index = 0; index < this.stageUsed; index++) {
      const n = stage[index];
      if (n !== 0) {
        hdr.recordValueWithCount(hdrIndexLowUs(index), n);
        stage[index] = 0;
      }
    }
    this.stageUsed = 0;
    return hdr;
  }

  /** Number of latencies recorded (including merged ones). */
  get count(): number {
    return this.countValue;
  }

  /**
   * Latency at percentile p, in ms rounded to the µs; 0 when empty.
   * @param p - percentile in [0, 100] (e.g. 99.9).
   * @throws RangeError if p is outside [0, 100] or NaN.
   */
  percentile(p: number): number {
    checkPercentile(p);
    if (this.countValue === 0) return 0;
    // While `hdr` is empty (no latency too large to stage, nothing flushed), the stage holds every count.
    const valueUs = this.allStaged ? this.stagedValuesAtPercentiles([p])[0]! : this.flush().getValueAtPercentile(p);
    return this.clampedMs(valueUs);
  }

  /** A percentile's µs value in ms, clamped to the largest latency seen: HDR reports the top of the matching bucket, which can exceed it. */
  private clampedMs(valueUs: number): number {
    return Math.min(valueUs, Math.round(this.maxMs * Limits.UsPerMs)) / Limits.UsPerMs;
  }

  /**
   * HDR's `getValueAtPercentile` of each of `percentiles`, read from the staging array (the same
   * counts in the same index layout) without moving them into the library's histogram: the same
   * count rule (rounded up, guarded by one ulp) and the same bucket edge (the highest value of the
   * bucket; the lowest for p 0). One pass serves ascending percentiles (a summary's four).
   */
  private stagedValuesAtPercentiles(percentiles: readonly number[]): number[] {
    const stage = this.stage;
    const values: number[] = [];
    // The scan resumes where the previous percentile's ended while the counts sought grow.
    let index = 0;
    let total = 0;
    let previousCount = Infinity;
    for (const p of percentiles) {
      const fpCount = (Math.min(p, 100) / 100) * this.countValue;
      const countAtPercentile = Math.max(Math.ceil(fpCount - 2 ** (Math.floor(Math.log2(fpCount)) - 52)), 1);
      if (countAtPercentile < previousCount) {
        index = 0;
        total = 0;
      }
      previousCount = countAtPercentile;
      let valueUs = 0;
      for (; index < this.stageUsed; index++) {
        total += stage[index]!;
        if (total >= countAtPercentile) {
          const lowUs = hdrIndexLowUs(index);
          valueUs = p === 0 ? lowUs : lowUs + hdrIndexWidthUs(index) - 1;
          // Not consumed: the next percentile may end in this same index.
          total -= stage[index]!;
          break;
        }
      }
      values.push(valueUs);
    }
    return values;
  }

  /** Standard digest of the distribution; all zero when empty. */
  summary(): LatencySummary {
    if (this.countValue === 0) return emptySummary();
    const [p50, p90, p99, p999] = this.allStaged
      ? this.stagedValuesAtPercentiles(SUMMARY_PERCENTILES).map((valueUs) => this.clampedMs(valueUs))
      : SUMMARY_PERCENTILES.map((p) => this.percentile(p));
    return {
      p50: p50!,
      p90: p90!,
      p99: p99!,
      p999: p999!,
      max: roundToUs(this.maxMs),
      mean: Math.round(this.sumUs / this.countValue) / Limits.UsPerMs,
      count: this.countValue,
    };
  }

  /** Adds every latency recorded in `other` to this histogram; `other`'s contents are unchanged. */
  merge(other: LatencyHistogram): void {
    if (other === this) throw new RangeError('cannot merge a LatencyHistogram into itself');
    if (other.countValue === 0) return;
    if (other.allStaged && this.allStaged) {
      // Both still staged: add the counts index by index (HDR's add, without the library).
      if (other.stageUsed > this.stage.length) this.growStage(other.stageUsed - 1);
      for (let index = 0; index < other.stageUsed; index++) this.stage[index] += other.stage[index]!;
      if (other.stageUsed > this.stageUsed) this.stageUsed = other.stageUsed;
    } else {
      const otherHdr = other.flush();
      this.flush().add(otherHdr);
    }
    this.countValue += other.countValue;
    this.sumUs += other.sumUs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }
}

// ---------------------------------------------------------------------------------------------
// Per-time-bucket latency sketch for TimeSeries: a fixed log-linear histogram over integer µs.
// Values 0..3 µs get one exact bin each; above that every power of two [2^k, 2^(k+1)) is split
// into 4 equal sub-bins (bin width ≤ 25% of its lower bound). Bin of v ≥ 4 is 4k - 4 + sub,
// computed with clz32, so the hot path has no Math.log2. 120 bins reach 2^31 µs ≈ 35.8 min;
// larger values share the top bin (per-bucket max stays exact and clamps the estimate).
// ---------------------------------------------------------------------------------------------

/** Sketch bin index for a non-negative integer microsecond value. */
function sketchBin(us: number): number {
  if (us < 4) return us;
  if (us > Limits.SketchMaxUs) return Limits.SketchBins - 1;
  const octave = 31 - Math.clz32(us);
  const sub = (us >>> (octave - Limits.SketchSubbinsLog2)) & 3;
  return 4 * octave - 4 + sub;
}

/** Lowest µs value that falls in sketch bin `bin`. */
function sketchBinLowUs(bin: number): number {
  if (bin < 4) return bin;
  const octave = (bin >> 2) + 1;
  return (4 + (bin & 3)) * 2 ** (octave - Limits.SketchSubbinsLog2);
}

/** Width in µs of sketch bin `bin` (bins 0..3 hold one exact integer value each). */
function sketchBinWidthUs(bin: number): number {
  if (bin < 4) return 0;
  return 2 ** ((bin >> 2) + 1 - Limits.SketchSubbinsLog2);
}

/** One fixed-width slice of a run, with outcome counts and latency estimates. */
export interface TimeBucket {
  /** Inclusive start of the slice, virtual ms. */
  startMs: number;
  /** Exclusive end of the slice, virtual ms (`startMs + bucketMs`). */
  endMs: number;
  /** Requests that completed successfully in the slice. */
  ok: number;
  /** Requests that completed with an error in the slice. */
  failed: number;
  /** Completed requests (ok + failed) per virtual second; goodput is `throughputPerSec * (1 - errorRate)`. */
  throughputPerSec: number;
  /** failed / (ok + failed); 0 for an empty slice. */
  errorRate: number;
  /** Estimated median latency (ms) from the bucket's log-scale sketch (error below one bin width, ≤ 25% of the value; typically a few %); 0 when empty. */
  p50Ms: number;
  /** Estimated 99th percentile latency (ms), as p50Ms; p50Ms ≤ p99Ms ≤ maxMs. */
  p99Ms: number;
  /** Exact largest latency (ms) in the slice, to the µs. */
  maxMs: number;
  /** Exact mean latency (ms) in the slice, to the µs. */
  meanMs: number;
}

/**
 * Fixed-width time buckets over a run (`bucketMs` wide, starting at 0), for throughput, error and
 * latency-over-time charts. Memory is fixed at construction: at most `maxBuckets` buckets. When a
 * time beyond `maxBuckets × bucketMs` arrives, adjacent bucket pairs are merged (doubling
 * `bucketMs`) until it fits, so counts are conserved and only resolution is lost.
 *
 * Latency per bucket covers every completed request, ok or failed (a fast-failing component and a
 * timing-out dependency both show up in it). Percentiles come from a 120-bin log-scale sketch per
 * bucket, not an HDR histogram, which would cost ~100 KB per bucket.
 */
export class TimeSeries {
  private bucketWidthMs: number;
  private readonly maxBuckets: number;
  // Struct-of-arrays over buckets: one allocation each, no per-request or per-bucket objects.
  private readonly okCounts: Float64Array;
  private readonly failedCounts: Float64Array;
  private readonly latencySumMs: Float64Array;
  private readonly latencyMaxMs: Float64Array;
  /** Per-bucket exact minimum (Infinity when empty): with the max it clamps sketch estimates, so a bucket of identical latencies reports them exactly. */
  private readonly latencyMinMs: Float64Array;
  /** bucket i's sketch occupies [i * Limits.SketchBins, (i + 1) * Limits.SketchBins). Uint32: 2^32 per bin per bucket is far beyond any run. */
  private readonly sketch: Uint32Array;
  /** Highest bucket index holding data, -1 when empty. */
  private lastIndex = -1;

  /**
   * @param options.bucketMs - initial bucket width in virtual ms (> 0, default 1000).
   * @param options.maxBuckets - bucket capacity (integer ≥ 2, default 512).
   * @throws RangeError on an invalid option.
   */
  constructor(options: { bucketMs?: number; maxBuckets?: number } = {}) {
    const bucketMs = options.bucketMs ?? 1000;
    const maxBuckets = options.maxBuckets ?? 512;
    if (!(bucketMs > 0 && Number.isFinite(bucketMs))) {
      throw new RangeError(`bucketMs must be a positive finite number; got ${bucketMs}`);
    }
    // Pair merging needs at least two buckets to make progress.
    if (!(Number.isInteger(maxBuckets) && maxBuckets >= 2)) {
      throw new RangeError(`maxBuckets must be an integer >= 2; got ${maxBuckets}`);
    }
    this.bucketWidthMs = bucketMs;
    this.maxBuckets = maxBuckets;
    this.okCounts = new Float64Array(maxBuckets);
    this.failedCounts = new Float64Array(maxBuckets);
    this.latencySumMs = new Float64Array(maxBuckets);
    this.latencyMaxMs = new Float64Array(maxBuckets);
    this.latencyMinMs = new Float64Array(maxBuckets).fill(Infinity);
    this.sketch = new Uint32Array(maxBuckets * Limits.SketchBins);
  }

  /** Current bucket width in virtual ms; doubles each time the series compacts. */
  get bucketMs(): number {
    return this.bucketWidthMs;
  }

  /**
   * Records one completed request.
   * @param atMs - virtual time of completion, ms (≥ 0; need not be monotonic).
   * @param latencyMs - request latency, ms.
   * @param ok - whether the request succeeded.
   * @throws RangeError if atMs or latencyMs is negative or non-finite.
   */
  record(atMs: number, latencyMs: number, ok: boolean): void {
    if (!(atMs >= 0 && atMs < Infinity)) {
      throw new RangeError(`time must be a finite, non-negative number of ms; got ${atMs}`);
    }
    if (!(latencyMs >= 0 && latencyMs <= Limits.MaxLatencyMs)) badLatency(latencyMs);
    let index = Math.floor(atMs / this.bucketWidthMs);
    while (index >= this.maxBuckets) {
      this.compact();
      index = Math.floor(atMs / this.bucketWidthMs);
    }
    if (ok) this.okCounts[index]++;
    else this.failedCounts[index]++;
    this.latencySumMs[index] += latencyMs;
    if (latencyMs > this.latencyMaxMs[index]) this.latencyMaxMs[index] = latencyMs;
    if (latencyMs < this.latencyMinMs[index]) this.latencyMinMs[index] = latencyMs;
    this.sketch[index * Limits.SketchBins + sketchBin(Math.round(latencyMs * Limits.UsPerMs))]++;
    if (index > this.lastIndex) this.lastIndex = index;
  }

  /** Merges bucket pairs (2i, 2i+1) into i and doubles the width; totals are conserved. */
  private compact(): void {
    // Only buckets 0..lastIndex hold data; everything above is already zero. Work is proportional
    // to the used span, so a time far in the future (many doublings) stays cheap.
    const used = this.lastIndex + 1;
    const half = Math.ceil(used / 2);
    for (let dst = 0; dst < half; dst++) {
      const a = 2 * dst;
      const b = a + 1;
      const hasB = b < used;
      this.okCounts[dst] = this.okCounts[a] + (hasB ? this.okCounts[b] : 0);
      this.failedCounts[dst] = this.failedCounts[a] + (hasB ? this.failedCounts[b] : 0);
      this.latencySumMs[dst] = this.latencySumMs[a] + (hasB ? this.latencySumMs[b] : 0);
      this.latencyMaxMs[dst] = Math.max(this.latencyMaxMs[a], hasB ? this.latencyMaxMs[b] : 0);
      this.latencyMinMs[dst] = Math.min(this.latencyMinMs[a], hasB ? this.latencyMinMs[b] : Infinity);
      const dstBase = dst * Limits.SketchBins;
      const aBase = a * Limits.SketchBins;
      const bBase = b * Limits.SketchBins;
      for (let bin = 0; bin < Limits.SketchBins; bin++) {
        this.sketch[dstBase + bin] = this.sketch[aBase + bin] + (hasB ? this.sketch[bBase + bin] : 0);
      }
    }
    // Zero what the merge vacated, so unused capacity stays all-zero.
    this.okCounts.fill(0, half, used);
    this.failedCounts.fill(0, half, used);
    this.latencySumMs.fill(0, half, used);
    this.latencyMaxMs.fill(0, half, used);
    this.latencyMinMs.fill(Infinity, half, used);
    this.sketch.fill(0, half * Limits.SketchBins, used * Limits.SketchBins);
    if (this.lastIndex >= 0) this.lastIndex >>= 1;
    this.bucketWidthMs *= 2;
  }

  /**
   * Estimates the latency (ms) at percentile p for bucket `index` from its sketch: finds the
   * bin holding the target rank and interpolates inside it, treating the bin's samples as spread
   * evenly (the k-th of n sits at fraction (k - 0.5) / n of the width). Clamped to the exact
   * min and max of the bucket.
   */
  private sketchPercentileMs(index: number, total: number, p: number): number {
    const targetRank = Math.max(1, Math.ceil((p / 100) * total));
    const base = index * Limits.SketchBins;
    let seen = 0;
    for (let bin = 0; bin < Limits.SketchBins; bin++) {
      const n = this.sketch[base + bin];
      if (seen + n >= targetRank) {
        const us = sketchBinLowUs(bin) + (sketchBinWidthUs(bin) * (targetRank - seen - 0.5)) / n;
        const ms = Math.min(Math.max(us / Limits.UsPerMs, this.latencyMinMs[index]), this.latencyMaxMs[index]);
        return roundToUs(ms);
      }
      seen += n;
    }
    return roundToUs(this.latencyMaxMs[index]);
  }

  /** Buckets from time 0 through the last bucket holding data, dense (empty slices included); [] when empty. */
  buckets(): TimeBucket[] {
    const out: TimeBucket[] = [];
    const widthSec = this.bucketWidthMs / 1000;
    for (let i = 0; i <= this.lastIndex; i++) {
      const ok = this.okCounts[i];
      const failed = this.failedCounts[i];
      const total = ok + failed;
      out.push({
        startMs: i * this.bucketWidthMs,
        endMs: (i + 1) * this.bucketWidthMs,
        ok,
        failed,
        throughputPerSec: total / widthSec,
        errorRate: total === 0 ? 0 : failed / total,
        p50Ms: total === 0 ? 0 : this.sketchPercentileMs(i, total, 50),
        p99Ms: total === 0 ? 0 : this.sketchPercentileMs(i, total, 99),
        maxMs: roundToUs(this.latencyMaxMs[i]),
        meanMs: total === 0 ? 0 : roundToUs(this.latencySumMs[i] / total),
      });
    }
    return out;
  }
}

/** Outcomes and latency for one endpoint. */
export interface EndpointSummary {
  /** Endpoint name as recorded. */
  endpoint: string;
  /** Requests completed (ok + failed). */
  total: number;
  /** Requests that succeeded. */
  ok: number;
  /** Requests that failed. */
  failed: number;
  /** ok / total, in [0, 1]. */
  availability: number;
  /** Latency over every completed request, ok or failed. */
  latencyMs: LatencySummary;
  /** Latency over the successful requests only. */
  successLatencyMs?: LatencySummary;
  /** Failed requests by error code, in first-seen order; failures without a code count as "unknown". Sums to `failed`. */
  errors: Record<string, number>;
}

/** Error code recorded for a failure reported without one, so error counts always sum to `failed`. */
const UNKNOWN_ERROR_CODE = 'unknown';

/** Mutable per-endpoint accumulator behind EndpointStats. */
interface EndpointEntry {
  ok: number;
  failed: number;
  // Two disjoint histograms, one record per request; the all-requests view is their merge, built
  // when a summary is asked for (merging is exact: same counts, sum and max).
  successLatency: LatencyHistogram;
  failedLatency: LatencyHistogram;
  // Map, not a plain object: codes like "__proto__" or "constructor" must count like any other.
  errors: Map<string, number>;
}

/** Request outcomes by endpoint name, iterated in first-recorded order so reports are deterministic. */
export class EndpointStats {
  private readonly byEndpoint = new Map<string, EndpointEntry>();
  /** The endpoint recorded last and its entry. */
  private lastEndpoint: string | undefined = undefined;
  private lastEntry: EndpointEntry | undefined = undefined;
  private okTotal = 0;
  private failedTotal = 0;

  /**
   * Records one completed request.
   * @param endpoint - endpoint name, e.g. "GET /orders".
   * @param latencyMs - request latency, ms.
   * @param ok - whether the request succeeded.
   * @param errorCode - failure cause (e.g. "timeout", "503"); ignored when ok, "unknown" when failed without one.
   * @throws RangeError if latencyMs is negative or non-finite.
   */
  record(endpoint: string, latencyMs: number, ok: boolean, errorCode?: string): void {
    // Validate before creating an entry, so a bad call cannot leave an endpoint with zero requests.
    if (!(latencyMs >= 0 && latencyMs <= Limits.MaxLatencyMs)) badLatency(latencyMs);
    // Workloads often send one endpoint many times in a row: the last entry is remembered.
    let entry = endpoint === this.lastEndpoint ? this.lastEntry : this.byEndpoint.get(endpoint);
    if (entry === undefined) {
      entry = { ok: 0, failed: 0, successLatency: new LatencyHistogram(), failedLatency: new LatencyHistogram(), errors: new Map() };
      this.byEndpoint.set(endpoint, entry);
    }
    this.lastEndpoint = endpoint;
    this.lastEntry = entry;
    if (ok) {
      entry.ok++;
      entry.successLatency.record(latencyMs);
      this.okTotal++;
    } else {
      entry.failed++;
      entry.failedLatency.record(latencyMs);
      this.failedTotal++;
      const code = errorCode ?? UNKNOWN_ERROR_CODE;
      entry.errors.set(code, (entry.errors.get(code) ?? 0) + 1);
    }
  }

  /** The endpoint names, in the order they were first recorded (without building their summaries). */
  names(): string[] {
    return [...this.byEndpoint.keys()];
  }

  /** One summary per endpoint, in the order endpoints were first recorded. */
  endpoints(): EndpointSummary[] {
    const out: EndpointSummary[] = [];
    for (const [endpoint, entry] of this.byEndpoint) {
      const total = entry.ok + entry.failed;
      out.push({
        endpoint,
        total,
        ok: entry.ok,
        failed: entry.failed,
        availability: entry.ok / total,
        latencyMs: mergedLatency([entry]).summary(),
        successLatencyMs: entry.successLatency.summary(),
        // fromEntries defines own properties, so "__proto__" stays an ordinary key.
        errors: Object.fromEntries(entry.errors),
      });
    }
    return out;
  }

  /** Latency of every request of every endpoint, ok or failed (a new histogram, built now). */
  latency(): LatencyHistogram {
    return mergedLatency(this.byEndpoint.values());
  }

  /** Latency of the successful requests of every endpoint (a new histogram, built now). */
  successLatency(): LatencyHistogram {
    return mergedLatency(this.byEndpoint.values(), true);
  }

  /** Request counts over all endpoints. */
  totals(): { total: number; ok: number; failed: number } {
    return { total: this.okTotal + this.failedTotal, ok: this.okTotal, failed: this.failedTotal };
  }
}

/** One histogram holding the successful (and, unless `successOnly`, the failed) latencies of `entries`. */
function mergedLatency(entries: Iterable<EndpointEntry>, successOnly = false): LatencyHistogram {
  const merged = new LatencyHistogram();
  for (const entry of entries) {
    merged.merge(entry.successLatency);
    if (!successOnly) merged.merge(entry.failedLatency);
  }
  return merged;
}
