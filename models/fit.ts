// Fits a distribution to observed durations (ms): a constant when they barely vary, else a
// lognormal matched on the median and, with enough samples, the 99th percentile (the tail is
// what latency comparisons are about); log-moments when there are too few samples for a p99.
import { mean, quantileSorted, standardDeviation } from 'simple-statistics';
import type { Distribution } from '../sim/index.ts';

/** z of the 99th percentile of a standard normal. */
const Z_P99 = 2.3263478740408408;
/** Samples needed before the sample p99 is trusted for the fit. */
const MIN_SAMPLES_FOR_TAIL = 200;
/** Durations below this are zero (a span with no work of its own). */
const ZERO_MS = 1e-3;

/** A fitted distribution with what it was fitted from. */
export interface Fit {
  distribution: Distribution;
  samples: number;
  medianMs: number;
  p99Ms: number;
}

const round = (value: number, digits = 4): number => Number(value.toPrecision(digits));

/** Fits `values` (ms, at least one). */
export function fitDuration(values: readonly number[]): Fit {
  const sorted = [...values].sort((a, b) => a - b);
  const medianMs = quantileSorted(sorted, 0.5);
  const p99Ms = quantileSorted(sorted, 0.99);
  const positive = sorted.filter((value) => value > ZERO_MS);
  const fit = (distribution: Distribution): Fit => ({ distribution, samples: values.length, medianMs: round(medianMs), p99Ms: round(p99Ms) });
  // Mostly zero (a pass-through, a cache hit path): no own time worth modelling.
  if (positive.length < sorted.length / 2) return fit({ kind: 'constant', value: 0 });
  const logs = positive.map(Math.log);
  let median = Math.exp(quantileSorted(logs, 0.5));
  let sigma: number;
  if (positive.length >= MIN_SAMPLES_FOR_TAIL) {
    sigma = Math.log(quantileSorted(positive, 0.99) / median) / Z_P99;
  } else {
    median = Math.exp(mean(logs));
    sigma = logs.length > 1 ? standardDeviation(logs) : 0;
  }
  if (!(sigma > 0.01)) return fit({ kind: 'constant', value: round(median) });
  return fit({ kind: 'lognormal', median: round(median), sigma: round(sigma, 3) });
}
