// Rate profiles: piecewise points and CSV files become the workload's rate over time.
import { describe, expect, it } from 'vitest';
import { checkProfile, parseRateCsv, profileRate } from './rate-profile.ts';

describe('rate profiles', () => {
  it('a piecewise profile holds each rate until the next point, and 0 before the first', () => {
    const rate = profileRate([{ atMs: 1000, ratePerSec: 50 }, { atMs: 5000, ratePerSec: 200 }, { atMs: 8000, ratePerSec: 0 }]);
    expect([0, 999, 1000, 4999, 5000, 7999, 8000, 1e9].map(rate)).toEqual([0, 0, 50, 50, 200, 200, 0, 0]);
  });

  it('a CSV with time,rate reads seconds; with timeMs,ratePerSec reads ms', () => {
    expect(parseRateCsv('time,rate\n0,10\n2.5,40\n', 'r.csv')).toEqual([{ atMs: 0, ratePerSec: 10 }, { atMs: 2500, ratePerSec: 40 }]);
    expect(parseRateCsv('# a spike\ntimeMs,ratePerSec\r\n0,10\r\n250,40\r\n', 'r.csv')).toEqual([{ atMs: 0, ratePerSec: 10 }, { atMs: 250, ratePerSec: 40 }]);
  });

  it('bad CSV input names the file, the line and the fix', () => {
    expect(() => parseRateCsv('t,r\n0,1\n', 'r.csv')).toThrow('r.csv:1: a rate profile CSV starts with the header "time,rate"');
    expect(() => parseRateCsv('time,rate\n0,1\n1,fast\n', 'r.csv')).toThrow('r.csv:3: expected "time,rate" with two numbers >= 0, got "1,fast"');
    expect(() => parseRateCsv('time,rate\n', 'r.csv')).toThrow('r.csv: the rate profile has no rows');
  });

  it('times must increase and some rate must be positive', () => {
    expect(() => checkProfile([{ atMs: 0, ratePerSec: 1 }, { atMs: 0, ratePerSec: 2 }], 'p')).toThrow('p: rate profile times must increase: point 1 (0 ms) is not after point 0 (0 ms)');
    expect(() => checkProfile([{ atMs: 0, ratePerSec: 0 }], 'p')).toThrow('every rate in the profile is 0');
  });
});
