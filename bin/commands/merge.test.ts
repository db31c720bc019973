// Tests for merging sweep results: the same summary as one unsharded sweep, refusal of files from
// different sweeps, and seeds whose traces disagree (nondeterminism).
import { describe, expect, it } from 'vitest';
import { mergeResults, shardWarnings } from './merge.ts';
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

describe('shardWarnings', () => {
  it('names missing shards and interrupted files', () => {
    expect(shardWarnings([shard(1), shard(2)])).toEqual([]);
    expect(shardWarnings([shard(2)])).toEqual(['shard 1/2 missing: the merged summary covers only the shards given']);
    expect(shardWarnings([{ ...shard(1), interrupted: true }, shard(2)])).toEqual([
      '1 of the files hold an interrupted sweep: resume it with --resume before merging for full coverage',
    ]);
  });
});
