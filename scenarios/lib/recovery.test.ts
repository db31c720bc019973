// Tests for scenarios/lib/recovery.ts: good shares per span, and recovery as the start of the
// good run that lasts to the end.
import { describe, expect, it } from 'vitest';
import { RecoveryMeter } from './recovery.ts';

/** A meter of `bucketMs` buckets that recorded `outcomes` ([time, good] pairs) in order. */
function meterWith(bucketMs: number, outcomes: [number, boolean][]): RecoveryMeter {
  const meter = new RecoveryMeter(bucketMs);
  for (const [atMs, good] of outcomes) meter.record(atMs, good);
  return meter;
}

describe('RecoveryMeter', () => {
  it('recovers at the start of the bucket after the last bad one', () => {
    // 50: before the fault's end, ignored; 1100..1200: 1 of 2 good, below 0.9; good from 1200 on.
    const meter = meterWith(100, [[50, true], [1_050, false], [1_150, true], [1_160, false], [1_250, true], [1_950, true]]);
    expect(meter.recoveryAfter(1_000, 2_000, 0.9)).toEqual({ recovered: true, timeToRecoverMs: 200 });
  });

  it('reports no recovery, with the whole span as a lower bound, when the last bucket is bad', () => {
    const meter = meterWith(100, [[1_050, true], [1_950, false]]);
    expect(meter.recoveryAfter(1_000, 2_000, 0.9)).toEqual({ recovered: false, timeToRecoverMs: 1_000 });
  });

  it('counts empty buckets as good and recovers at once when nothing after the fault failed', () => {
    const meter = meterWith(250, [[100, false], [1_600, true]]);
    expect(meter.recoveryAfter(1_000, 3_000, 0.95)).toEqual({ recovered: true, timeToRecoverMs: 0 });
  });

  it('gives the good share of a span, 1 when it holds no outcome', () => {
    const meter = meterWith(100, [[10, true], [20, false], [150, true], [250, false]]);
    expect(meter.goodShare(0, 200)).toBe(2 / 3);
    expect(meter.goodShare(0, 300)).toBe(2 / 4);
    expect(meter.goodShare(500, 900)).toBe(1);
  });
});
