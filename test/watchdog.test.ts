// Runaway user code is bounded (bin/watchdog.ts): a run past --seed-timeout or --max-heap-mb is
// stopped and reported as a failed seed with its variant and replay line (exit 1), and a sweep
// replaces the worker and finishes every other seed.
import { describe, expect, it } from 'vitest';
import { runSim } from './run-cli.ts';

const RUNAWAY = 'test/fixtures/runaway.ts';

describe('sim run under the watchdog', () => {
  it('an infinite loop in a handler: exit 1, liveness seed-timeout with seed, variant and replay line', async () => {
    const run = await runSim(['run', RUNAWAY, '--seed', '3', '--seed-timeout', '1.5']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe(
      'seed=3\n' +
        "✗ runaway seed=3 variant=only: liveness 'seed-timeout': still running after 1.5 s of wall-clock time (--seed-timeout): stopped; look for an infinite loop in a handler, build() or a check\n" +
        'replay: sim run test/fixtures/runaway.ts --seed 3 --variant only\n',
    );
    expect(run.stderr).toBe('sim: seed 3, variant only: still running after 1.5 s of wall-clock time (--seed-timeout): stopped; look for an infinite loop in a handler, build() or a check\n');
  });

  it('a memory hog with --json: exit 1, one JSON object with a resource failure', async () => {
    const run = await runSim(['run', RUNAWAY, '--seed', '5', '--max-heap-mb', '128', '--json']);
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ scenario: 'runaway', seed: 5, ok: false, replay: 'sim run test/fixtures/runaway.ts --seed 5 --variant only' });
    expect(result.variants).toEqual([
      {
        name: 'only',
        ok: false,
        traceHash: '',
        simulatedMs: 0,
        events: 0,
        failures: [{ kind: 'resource', check: 'heap-limit', atMs: 0, message: 'went past the heap limit of 128 MB (--max-heap-mb): stopped; look for state that grows without bound' }],
      },
    ]);
    expect(run.stderr).toMatch(/^sim: seed 5, variant only: went past the heap limit of 128 MB/);
  });

  it('a passing seed prints the same under the watchdog as with --seed-timeout 0 (the main thread, no watchdog)', async () => {
    const watched = await runSim(['run', 'test/fixtures/tiny.ts', '--seed', '2', '--json']);
    const unwatched = await runSim(['run', 'test/fixtures/tiny.ts', '--seed', '2', '--json', '--seed-timeout', '0']);
    expect(watched.status).toBe(0);
    expect(unwatched).toEqual(watched);
  });

  it('a promise rejected and never handled in a handler: exit 1, crash uncaught-error naming the line, never exit 4', async () => {
    const run = await runSim(['run', RUNAWAY, '--seed', '11']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/\n✗ runaway seed=11 variant=only: crash 'uncaught-error': a promise rejected and nobody handled it: nobody awaits this at \S*test\/fixtures\/runaway\.ts:25\nreplay: sim run test\/fixtures\/runaway\.ts --seed 11 --variant only\n$/);
    expect(run.stderr).toMatch(/^sim: seed 11, variant only: a promise rejected and nobody handled it: nobody awaits this at \S*runaway\.ts:25\n$/);
  });

  it('a bad --seed-timeout is bad input: exit 2, one line', async () => {
    const run = await runSim(['run', RUNAWAY, '--seed', '1', '--seed-timeout', '2m']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("sim: --seed-timeout must be a number of seconds (example: --seed-timeout 30; 0 for no limit), got '2m'\n");
  });
});

describe('sim sweep under the watchdog', () => {
  it('runaway seeds fail with their kind; the other seeds all finish; --shrink leaves runaways alone; exit 1', async () => {
    const run = await runSim(['sweep', RUNAWAY, '--seeds', '1..8', '--workers', '2', '--seed-timeout', '3', '--max-heap-mb', '128', '--shrink', '--json']);
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout) as { passed: number; failed: number; failingChecks: Record<string, number>; results: { seed: number; ok: boolean }[]; shrunk?: unknown };
    expect(result.shrunk).toBeUndefined();
    expect(result.results.map((entry) => entry.seed)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.results.filter((entry) => !entry.ok).map((entry) => entry.seed)).toEqual([3, 5, 7]);
    expect(result.failingChecks).toEqual({ 'seed-timeout': 1, 'heap-limit': 1, 'thread-exit': 1 });
    expect(result.passed).toBe(5);
  });

  it('an unhandled rejection fails its seed as a crash, and the sweep goes on', async () => {
    const run = await runSim(['sweep', RUNAWAY, '--seeds', '10..12', '--workers', '1', '--json']);
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout) as { failingChecks: Record<string, number>; results: { seed: number; ok: boolean }[] };
    expect(result.results.map((entry) => [entry.seed, entry.ok])).toEqual([[10, true], [11, false], [12, true]]);
    expect(result.failingChecks).toEqual({ 'uncaught-error': 1 });
  });
});
