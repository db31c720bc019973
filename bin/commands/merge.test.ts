// Tests for merging sweep results: the same summary as one unsharded sweep, refusal of files from
// different sweeps, and seeds whose traces disagree (nondeterminism).
import { describe, expect, it } from 'vitest';
import { coverageProblems, mergeResults } from './merge.ts';
import { summarize, type SweepIdentity, type SweepSeedEntry } from '../sweep-summary.ts';
import { UsageError } from '../cli-errors.ts';
import { NondeterminismError } from '../../sim/engine/errors.ts';

const identity: SweepIdentity = { scenario: 'bank', file: 'scenarios/bank.ts', swarm: false, seeds: { first: 1, last: 6 } };

function entry(seed: number): SweepSeedEntry {
  const fails = seed % 3 === 0;
  return {
    seed,
    ok: !fails,
    traceHash: `h${seed}`,
    variants: [{ name: 'naive', ok: !fails, traceHash: `n${seed}`, failures: fails ? [{ kind: 'correctness', check: 'money', atMs: 1, message: 'lost' }] : [], faults: [], options: {} }],
    coverage: seed % 2 === 0 ? ['crash'] : [],
  };
}

const seeds = [1, 2, 3, 4, 5, 6];
const shard = (index: number) => summarize({ ...identity, shard: { index, count: 2 } }, seeds.filter((seed) => (seed - 1) % 2 === index - 1).map(entry), ['crash']);

describe('mergeResults', () => {
  it('gives the summary of one unsharded sweep', () => {
    const merged = mergeResults([{ path: 'b.json', result: shard(2) }, { path: 'a.json', result: shard(1) }]);
    expect(merged).toEqual(summarize(identity, seeds.map(entry), ['crash']));
    expect(merged.failed).toBe(2);
    expect(merged.coverage).toEqual({ crash: 3 });
  });

  it('counts a seed found in two files once', () => {
    const merged = mergeResults([{ path: 'a.json', result: shard(1) }, { path: 'a-again.json', result: shard(1) }, { path: 'b.json', result: shard(2) }]);
    expect(merged.results).toHaveLength(6);
  });

  it('refuses files of another scenario or another swarm setting', () => {
    const other = { ...shard(2), scenario: 'shop' };
    expect(() => mergeResults([{ path: 'a.json', result: shard(1) }, { path: 'b.json', result: other }])).toThrow(UsageError);
    expect(() => mergeResults([{ path: 'a.json', result: shard(1) }, { path: 'b.json', result: { ...shard(2), swarm: true } }])).toThrow(/differ in --swarm/);
  });

  it('reports nondeterminism when one seed has two trace hashes', () => {
    const changed = shard(1);
    changed.results[0] = { ...changed.results[0]!, traceHash: 'different' };
    expect(() => mergeResults([{ path: 'a.json', result: shard(1) }, { path: 'c.json', result: changed }])).toThrow(NondeterminismError);
    expect(() => mergeResults([{ path: 'a.json', result: shard(1) }, { path: 'c.json', result: changed }])).toThrow('seed 1 has trace h1 in a.json but different in c.json');
  });
});

describe('coverageProblems', () => {
  const file = (path: string, result: ReturnType<typeof shard>) => ({ path, result });

  it('finds none when the shards cover their seeds once', () => {
    expect(coverageProblems([file('a.json', shard(1)), file('b.json', shard(2))])).toEqual([]);
  });

  it('names a missing shard', () => {
    expect(coverageProblems([file('b.json', shard(2))])).toEqual(['shard 1/2 missing: the merged summary would cover only the shards given']);
  });

  it('names a file that lacks seeds it claims, with the way to finish it', () => {
    const cut = { ...shard(1), interrupted: true, results: shard(1).results.slice(0, 1) };
    expect(coverageProblems([file('a.json', cut), file('b.json', shard(2))])).toEqual([
      'a.json claims seeds 1..6 (shard 1/2) but lacks 2 of them (first 3, 5): it was interrupted, finish it with sim sweep --resume',
    ]);
  });

  it('names two files that claim the same seed', () => {
    expect(coverageProblems([file('a.json', shard(1)), file('a-again.json', shard(1)), file('b.json', shard(2))])).toEqual([
      'a.json and a-again.json both claim seed 1: merge each shard once',
    ]);
  });

  it('names shards cut into different counts', () => {
    const third = summarize({ ...identity, shard: { index: 1, count: 3 } }, [1, 4].map(entry), ['crash']);
    expect(coverageProblems([file('a.json', shard(1)), file('t.json', third)])).toContain('the files come from sweeps cut into different shard counts (2, 3)');
  });
});
