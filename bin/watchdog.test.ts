// Tests for bin/watchdog.ts: the limits a run gets (flags, defaults, the adaptive timeout).
import { describe, expect, it } from 'vitest';
import { RunClock, defaultMaxHeapMb, parseMaxHeapMb, parseSeedTimeout, runawayEntry, timedOut } from './watchdog.ts';
import { UsageError } from './cli-errors.ts';

describe('watchdog limits', () => {
  it('--seed-timeout takes seconds (fractions allowed, 0 for none); anything else is a usage error', () => {
    expect(parseSeedTimeout('1.5')).toBe(1500);
    expect(parseSeedTimeout('30')).toBe(30_000);
    expect(parseSeedTimeout('0')).toBe(0);
    for (const bad of ['', '2m', '-1', 'abc', '1e3']) expect(() => parseSeedTimeout(bad)).toThrow(UsageError);
  });

  it('--max-heap-mb takes whole megabytes from 32', () => {
    expect(parseMaxHeapMb('128')).toBe(128);
    for (const bad of ['16', '1.5', 'lots']) expect(() => parseMaxHeapMb(bad)).toThrow(UsageError);
  });

  it('the default heap share stays between 256 and 4096 MB', () => {
    expect(defaultMaxHeapMb(1)).toBeLessThanOrEqual(4096);
    expect(defaultMaxHeapMb(10_000)).toBe(256);
  });

  it('the default timeout is 120 s, growing to 20x the slowest finished run; a given one is fixed; 0 is none', () => {
    const adaptive = new RunClock({ maxHeapMb: 512 });
    expect(adaptive.limitMs).toBe(120_000);
    adaptive.finished(3_000);
    expect(adaptive.limitMs).toBe(120_000);
    adaptive.finished(30_000);
    expect(adaptive.limitMs).toBe(600_000);
    const fixed = new RunClock({ seedTimeoutMs: 2_000, maxHeapMb: 512 });
    fixed.finished(30_000);
    expect(fixed.limitMs).toBe(2_000);
    // Loading a scenario file in a new thread gets at least the default, even with a short limit.
    expect(fixed.loadLimitMs).toBe(120_000);
    expect(new RunClock({ seedTimeoutMs: 0, maxHeapMb: 512 }).limitMs).toBe(Infinity);
  });

  it('a runaway becomes a failed seed entry naming its variant', () => {
    expect(runawayEntry({ scenario: 's', seed: 9, variant: 'v' }, timedOut(1500))).toEqual({
      seed: 9,
      ok: false,
      traceHash: '',
      variants: [{ name: 'v', ok: false, traceHash: '', failures: [{ kind: 'liveness', check: 'seed-timeout', atMs: 0, message: 'still running after 1.5 s of wall-clock time (--seed-timeout): stopped; look for an infinite loop in a handler, build() or a check' }], faults: [], options: {} }],
      coverage: [],
    });
  });
});
