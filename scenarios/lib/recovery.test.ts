// Tests for scenarios/lib/recovery.ts: good shares per span, and recovery as the start of the
// good run that lasts to the end.
import { describe, expect, it } from 'vitest';
import { RecoveryMeter } from './recovery.ts';

describe('RecoveryMeter', () => {
  it('recovers at the start of the bucket after the last bad one', () => {
    const meter = new RecoveryMeter(100);
    meter.record(50, true); // before the fault's end: ignored
    meter.record(1_050, false);
    meter.record(1_150, true);
    meter.record(1_160, false); // 1100..1200: 1 of 2 good, below 0.9
    meter.record(1_250, true); // good from 1200 on
    meter.record(1_950, true);
    expect(meter.recoveryAfter(1_000, 2_000, 0.9)).toEqual({ recovered: true, timeToRecoverMs: 200 });
  });

  it('reports no recovery, with the whole span as a lower bound, when the last bucket is bad', () => {
    const meter = new RecoveryMeter(100);
    meter.record(1_050, true);
    meter.record(1_950, false);
    expect(meter.recoveryAfter(1_000, 2_000, 0.9)).toEqual({ recovered: false, timeToRecoverMs: 1_000 });
  });

  it('counts empty buckets as good and recovers at once when nothing after the fault failed', () => {
    const meter = new RecoveryMeter(250);
    meter.record(100, false);
    meter.record(1_600, true);
    expect(meter.recoveryAfter(1_000, 3_000, 0.95)).toEqual({ recovered: true, timeToRecoverMs: 0 });
  });

  it('gives the good share of a span, 1 when it holds no outcome', () => {
    const meter = new RecoveryMeter(100);
    meter.record(10, true);
    meter.record(20, false);
    meter.record(150, true);
    meter.record(250, false);
    expect(meter.goodShare(0, 200)).toBe(2 / 3);
    expect(meter.goodShare(0, 300)).toBe(2 / 4);
    expect(meter.goodShare(500, 900)).toBe(1);
  });
});
