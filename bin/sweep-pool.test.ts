// Determinism across threads: a seed run in a sweep worker gives the same trace hashes as the same
// seed run in the main thread; and the pool reports every seed exactly once.
import { describe, expect, it } from 'vitest';
import { SweepPool } from './sweep-pool.ts';
import { seedEntry, type SweepSeedEntry } from './sweep-summary.ts';
import { runScenario } from '../sim/harness/runner.ts';
import plantedBug from '../scenarios/planted-bug.ts';
import flakyNetwork from '../scenarios/flaky-network.ts';

async function inWorkers(file: string, seeds: number[], swarm: boolean, workers = 2): Promise<Map<number, SweepSeedEntry>> {
  const entries = new Map<number, SweepSeedEntry>();
  const pool = new SweepPool({
    file,
    swarm,
    workers,
    onResult: (entry) => {
      expect(entries.has(entry.seed)).toBe(false);
      entries.set(entry.seed, entry);
    },
  });
  await pool.run(seeds);
  return entries;
}

describe('SweepPool', () => {
  it('gives every seed the traceHash it has in the main thread (planted-bug, swarm)', async () => {
    const seeds = [1, 2, 25];
    const workers = await inWorkers('scenarios/planted-bug.ts', seeds, true);
    expect([...workers.keys()].sort((a, b) => a - b)).toEqual(seeds);
    for (const seed of seeds) {
      const main = seedEntry(await runScenario(plantedBug, seed, { swarm: true }));
      expect(workers.get(seed)).toEqual(main);
    }
  });

  it('gives a flaky-network seed (lossy network, every fault kind) the traceHash it has in the main thread', async () => {
    const entries = new Map<number, SweepSeedEntry>();
    const pool = new SweepPool({ file: 'scenarios/flaky-network.ts', swarm: false, variant: 'retrying', workers: 1, onResult: (entry) => entries.set(entry.seed, entry) });
    await pool.run([5]);
    const main = await runScenario(flakyNetwork, 5, { variant: 'retrying' });
    expect(entries.get(5)!.traceHash).toBe(main.traceHash);
    expect(entries.get(5)!.variants[0]!.traceHash).toBe(main.variants[0]!.traceHash);
  });

  it('rejects with a usage error when the scenario file cannot be loaded', async () => {
    const pool = new SweepPool({ file: 'scenarios/no-such-file.ts', swarm: false, workers: 1, onResult: () => undefined });
    await expect(pool.run([1])).rejects.toThrow(/scenario file not found: scenarios\/no-such-file.ts/);
  });

  it('resolves at once for no seeds, and stop() ends a run early', async () => {
    await new SweepPool({ file: 'scenarios/planted-bug.ts', swarm: false, workers: 2, onResult: () => undefined }).run([]);
    let reported = 0;
    const pool = new SweepPool({
      file: 'scenarios/planted-bug.ts',
      swarm: false,
      workers: 2,
      onResult: () => {
        reported++;
        if (reported === 3) pool.stop();
      },
    });
    await pool.run(Array.from({ length: 10_000 }, (_, index) => index + 1));
    expect(reported).toBeGreaterThanOrEqual(3);
    expect(reported).toBeLessThan(10_000);
  });
});

describe('SweepPool watchdog', () => {
  it('an infinite loop, a memory hog and a process.exit each fail their seed; the workers are replaced and every other seed finishes', async () => {
    const entries = new Map<number, SweepSeedEntry>();
    const pool = new SweepPool({
      file: 'test/fixtures/runaway.ts',
      swarm: false,
      workers: 2,
      batchSize: 2,
      limits: { seedTimeoutMs: 3000, maxHeapMb: 128 },
      onResult: (entry) => {
        expect(entries.has(entry.seed)).toBe(false);
        entries.set(entry.seed, entry);
      },
    });
    await pool.run([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...entries.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const failed = [...entries.values()].filter((entry) => !entry.ok).map((entry) => [entry.seed, entry.variants[0]!.name, entry.variants[0]!.failures[0]!.kind, entry.variants[0]!.failures[0]!.check]);
    expect(failed.sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([
      [3, 'only', 'liveness', 'seed-timeout'],
      [5, 'only', 'resource', 'heap-limit'],
      [7, 'only', 'resource', 'thread-exit'],
    ]);
    expect(entries.get(3)!.variants[0]!.failures[0]!.message).toBe('still running after 3 s of wall-clock time (--seed-timeout): stopped; look for an infinite loop in a handler, build() or a check');
    expect(entries.get(5)!.variants[0]!.failures[0]!.message).toMatch(/^went past the heap limit of 128 MB \(--max-heap-mb\)/);
    for (const seed of [1, 2, 4, 6, 8]) expect(entries.get(seed)!.ok).toBe(true);
  });
});
