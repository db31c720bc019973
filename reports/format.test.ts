// Tests for reports/format.ts: precision by magnitude, grouping, percentages that never hide a
// missing nine, and the property that formatting a JSON-rounded value gives the same string.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatConsistency, formatCount, formatMs, formatNumber, formatPercent, roundMs, roundRatio, roundTo } from './format.ts';

describe('formatNumber', () => {
  it('gives precision by magnitude: 3 decimals below 1, 2 below 10, 1 below 100, none above', () => {
    expect(formatNumber(0.5234)).toBe('0.523');
    expect(formatNumber(3.2678)).toBe('3.27');
    expect(formatNumber(42.54)).toBe('42.5');
    expect(formatNumber(1234.5)).toBe('1,235');
    expect(formatNumber(9.5)).toBe('9.50');
  });

  it('uses the precision of the magnitude a value rounds into', () => {
    expect(formatNumber(9.9994)).toBe('10.0');
    expect(formatNumber(9.996)).toBe('10.0');
    expect(formatNumber(0.9996)).toBe('1');
    expect(formatNumber(99.96)).toBe('100');
    expect(formatNumber(-9.9994)).toBe('-10.0');
  });

  it('prints integers exactly, grouped by thousands, and negatives with their sign', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(1000)).toBe('1,000');
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(-1234.5)).toBe('-1,235');
    expect(formatNumber(-0.0001)).toBe('0');
  });

  it('names non-finite values and shows a dash for a non-number (null after a JSON round trip)', () => {
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Infinity)).toBe('∞');
    expect(formatNumber(-Infinity)).toBe('-∞');
    expect(formatNumber(null as unknown as number)).toBe('–');
  });
});

describe('formatCount and formatMs', () => {
  it('rounds counts to integers and groups them', () => {
    expect(formatCount(987654)).toBe('987,654');
    expect(formatCount(2.6)).toBe('3');
  });

  it('formats ms like any figure, after rounding to the microsecond', () => {
    expect(formatMs(1000.0004)).toBe('1,000');
    expect(formatMs(0.0004)).toBe('0');
    expect(formatMs(0.0006)).toBe('0.001');
  });
});

describe('formatPercent', () => {
  it('shows whole and empty ratios without decimals', () => {
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
  });

  it('shows two decimals normally', () => {
    expect(formatPercent(5000 / 6000)).toBe('83.33%');
    expect(formatPercent(0.995)).toBe('99.50%');
  });

  it('adds decimals (up to 4) rather than round a ratio below 1 up to 100', () => {
    expect(formatPercent(0.99999)).toBe('99.999%');
    expect(formatPercent(0.999999)).toBe('99.9999%');
    // Beyond 6 decimals of ratio the figure is reported as whole, like the JSON.
    expect(formatPercent(0.9999999)).toBe('100%');
  });
});

describe('formatConsistency', () => {
  it('formats keys ending in Ms as ms and others as plain numbers', () => {
    expect(formatConsistency('timeToFinalP99Ms', 480.25)).toBe('480');
    expect(formatConsistency('staleReadRatio', 0.01234)).toBe('0.012');
    expect(formatConsistency('ordersNonFinal', 3)).toBe('3');
  });
});

describe('rounding', () => {
  it('rounds ms to 3 decimals and ratios to 6, without producing -0', () => {
    expect(roundMs(1.23456)).toBe(1.235);
    expect(roundRatio(0.12345678)).toBe(0.123457);
    expect(Object.is(roundTo(-0.0001, 3), 0)).toBe(true);
    expect(roundTo(Infinity, 3)).toBe(Infinity);
  });

  it('formats a value rounded for JSON exactly as the raw value (so JSON and tables agree)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(formatMs(roundMs(value))).toBe(formatMs(value));
        expect(formatNumber(roundTo(value, 3))).toBe(formatNumber(value));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (ratio) => {
        expect(formatPercent(roundRatio(ratio))).toBe(formatPercent(ratio));
      }),
      { numRuns: 200 },
    );
  });
});
