// The guard seen from the command line: host settings (time zone, locale) and values saved when the
// scenario file loads never change a run, and a host timer at module top level fails the load loudly.
import { describe, expect, it } from 'vitest';
import { expectBadInput, runSim, expectBadInputWithFrame } from './run-cli.ts';

const HOST_SETTINGS = 'test/fixtures/host-settings.ts';

async function settingsRun(env: Record<string, string>): Promise<{ traceHash: string; seen: Record<string, number> }> {
  const run = await runSim(['run', HOST_SETTINGS, '--seed', '3', '--json'], env);
  expect(run.status).toBe(0);
  const result = JSON.parse(run.stdout) as { traceHash: string; variants: { metrics: { consistency: Record<string, number> } }[] };
  return { traceHash: result.traceHash, seen: result.variants[0]!.metrics.consistency };
}

describe('sim run under the guard', () => {
  it('TZ, LANG and LC_ALL change nothing: UTC, en-US, and load-time values fixed at the epoch', async () => {
    const plain = await settingsRun({ TZ: 'UTC', LANG: 'C', LC_ALL: 'C' });
    const elsewhere = await settingsRun({ TZ: 'Asia/Tokyo', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' });
    expect(elsewhere).toEqual(plain);
    expect(plain.seen).toMatchObject({ hour: 0, timezoneOffsetMin: 0, decimalComma: 0, dayFirst: 0, intlHour: 24, loadedAtMs: 0 });
    // Math.random() at module top level draws from a fixed stream: the same in every process.
    expect(plain.seen.loadRandom).toBeGreaterThan(0);
  });

  it('a host timer started when the scenario file loads: exit 2, one line naming setTimeout and the file:line, then its code frame', async () => {
    const run = await runSim(['run', 'test/fixtures/load-timer.ts', '--seed', '1']);
    expectBadInputWithFrame(run, /^sim: test\/fixtures\/load-timer\.ts:4:1: failed to load: setTimeout was called by simulated code while the scenario file loads at test\/fixtures\/load-timer\.ts:4: /);
  });
});

describe('--check-determinism sees data, not just timing', () => {
  it('a payload that differs between two runs (same timing) is exit 3, naming the delivery and both digests', async () => {
    const run = await runSim(['run', 'test/fixtures/data-only.ts', '--seed', '4', '--check-determinism']);
    expect(run.status).toBe(3);
    expect(run.stdout).toMatch(/runs differ at event #2: first run "t=[\d.]+ msg\.delivered gateway -> backend #1 store data=([0-9a-f]{8})", second run "t=[\d.]+ msg\.delivered gateway -> backend #1 store data=(?!\1)[0-9a-f]{8}"/);
    expect(run.stderr).toMatch(/^sim: nondeterminism detected: variant leaky-data, seed 4: runs differ at event #2/);
  });
});
