// The arrival rate seen in traces: steady (one rate), or a piecewise profile when the counts per
// time bucket vary far more than a Poisson stream's would (a ramp, a spike, a daily curve).
import type { RatePoint } from './rate-profile.ts';

/** Most buckets the window is cut into (each at least a second). */
const MAX_BUCKETS = 60;
/** Index of dispersion (variance / mean of bucket counts) above which arrivals are not steady; a Poisson stream has 1. */
const MAX_STEADY_DISPERSION = 3;
/** Adjacent buckets within this many Poisson standard deviations of a segment's mean join it. */
const SEGMENT_SIGMAS = 4;

/**
 * A rate profile for arrivals at `startsMs` (ms from the start of the traces, up to `endMs`), or
 * undefined when they are steady. Each point is a run of buckets with about the same count.
 */
export function inferRateProfile(startsMs: readonly number[], endMs: number): RatePoint[] | undefined {
  const bucketMs = Math.max(1000, Math.ceil(endMs / MAX_BUCKETS / 1000) * 1000);
  const buckets = Math.max(1, Math.ceil(endMs / bucketMs));
  if (buckets < 4) return undefined;
  const counts = new Array<number>(buckets).fill(0);
  for (const start of startsMs) counts[Math.min(buckets - 1, Math.floor(start / bucketMs))]!++;
  // The last bucket may be cut short by the end of the traces: scale it to a whole bucket.
  const lastLengthMs = endMs - (buckets - 1) * bucketMs;
  if (lastLengthMs > 0 && lastLengthMs < bucketMs) counts[buckets - 1] = (counts[buckets - 1]! * bucketMs) / lastLengthMs;
  const mean = counts.reduce((sum, count) => sum + count, 0) / buckets;
  if (mean === 0) return undefined;
  const variance = counts.reduce((sum, count) => sum + (count - mean) ** 2, 0) / (buckets - 1);
  if (variance / mean <= MAX_STEADY_DISPERSION) return undefined;
  const points: RatePoint[] = [];
  let segmentStart = 0;
  let segmentTotal = counts[0]!;
  const close = (end: number): void => {
    points.push({ atMs: segmentStart * bucketMs, ratePerSec: Number(((segmentTotal / (end - segmentStart)) * (1000 / bucketMs)).toPrecision(4)) });
  };
  for (let index = 1; index < buckets; index++) {
    const segmentMean = segmentTotal / (index - segmentStart);
    if (Math.abs(counts[index]! - segmentMean) <= SEGMENT_SIGMAS * Math.sqrt(Math.max(1, segmentMean))) {
      segmentTotal += counts[index]!;
      continue;
    }
    close(index);
    segmentStart = index;
    segmentTotal = counts[index]!;
  }
  close(buckets);
  return points.length > 1 ? points : undefined;
}
