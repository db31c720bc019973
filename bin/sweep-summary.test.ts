// Tests for the sweep's data and its renderings: totals, coverage and failing checks from seed
// entries; the human summary; JUnit XML.
import { describe, expect, it } from 'vitest';
import { summarize, failingRuns, type SweepIdentity, type SweepSeedEntry } from './sweep-summary.ts';
import { renderSweep } from './sweep-render.ts';
import { renderJunit } from './sweep-junit.ts';

const identity: SweepIdentity = { scenario: 'bank', file: 'scenarios/bank.ts', swarm: true, seeds: { first: 1, last: 3 } };

function entry(seed: number, failingCheck?: string, coverage: string[] = []): SweepSeedEntry {
  const failures = failingCheck ? [{ kind: 'correctness' as const, check: failingCheck, atMs: 1234.4, message: `lost <money> & "more" at ${seed}` }] : [];
  return {
    seed,
    ok: failures.length === 0,
    traceHash: `h${seed}`,
    variants: [
      { name: 'naive', ok: failures.length === 0, traceHash: `n${seed}`, failures, faults: ['@188ms for 1ms: crash bank'], options: { delayMs: 2.34567 } },
      { name: 'safe', ok: true, traceHash: `s${seed}`, failures: [], faults: ['@188ms for 1ms: crash bank'], options: { delayMs: 2.34567 } },
    ],
    coverage,
  };
}

describe('summarize', () => {
  it('orders seeds, counts passed and failed, seeds per failing check and per coverage point', () => {
    const result = summarize(identity, [entry(3, 'money is conserved', ['crash mid-transfer']), entry(1), entry(2, 'money is conserved', ['crash mid-transfer', 'recovered'])], ['crash mid-transfer', 'recovered', 'never']);
    expect(result.results.map((seed) => seed.seed)).toEqual([1, 2, 3]);
    expect(result.passed).toBe(1);
    expect(result.failed).toBe(2);
    expect(result.failingChecks).toEqual({ 'money is conserved': 2 });
    expect(result.coverage).toEqual({ 'crash mid-transfer': 2, recovered: 1, never: 0 });
    expect(result).not.toHaveProperty('interrupted');
    expect(result).not.toHaveProperty('shard');
    expect(failingRuns(result).map(({ seed, variant }) => `${seed}/${variant.name}`)).toEqual(['2/naive', '3/naive']);
  });

  it('keeps the first entry of a seed reported twice, and marks an interrupted sweep', () => {
    const result = summarize(identity, [entry(1), entry(1, 'x')], [], true);
    expect(result.results).toHaveLength(1);
    expect(result.results[0]!.ok).toBe(true);
    expect(result.interrupted).toBe(true);
  });
});

describe('figure spreads', () => {
  it('summarises each figure per variant across seeds: min, p50, p90, max, mean', () => {
    const seeds = [1, 2, 3, 4, 5].map((seed) => {
      const base = entry(seed);
      return { ...base, variants: base.variants.map((variant) => ({ ...variant, figures: { availability: seed / 10, ...(variant.name === 'safe' ? { 'consistency.lag': seed * 2 } : {}) } })) };
    });
    const result = summarize(identity, seeds, []);
    expect(result.figures).toEqual({
      naive: { availability: { min: 0.1, p50: 0.3, p90: 0.5, max: 0.5, mean: 0.3 } },
      safe: { availability: { min: 0.1, p50: 0.3, p90: 0.5, max: 0.5, mean: 0.3 }, 'consistency.lag': { min: 2, p50: 6, p90: 10, max: 10, mean: 6 } },
    });
  });

  it('is empty for entries from files written before figures were kept', () => {
    expect(summarize(identity, [entry(1)], []).figures).toEqual({ naive: {}, safe: {} });
  });
});

describe('renderSweep', () => {
  it('starts with the seed range and ends each failure with its replay line', () => {
    const text = renderSweep(summarize(identity, [entry(1), entry(2, 'money is conserved', ['crash mid-transfer'])], ['crash mid-transfer']));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('seeds=1..3  scenario=bank  swarm');
    expect(lines[1]).toBe('✗ 1 of 2 seeds run failed, 1 passed');
    expect(text).toContain('  money is conserved  1');
    expect(text).toContain('  crash mid-transfer  1/2');
    expect(lines.slice(-5)).toEqual([
      '  seed=2 variant=naive',
      `    correctness 'money is conserved' at 1234 ms: lost <money> & "more" at 2`,
      '    faults: @188ms for 1ms: crash bank',
      '    options: delayMs=2.346',
      '    replay: sim run scenarios/bank.ts --seed 2 --variant naive --swarm',
    ]);
  });

  it('lists the first failures in full and the next ones on one line each, replay line last', () => {
    const entries = Array.from({ length: 23 }, (_, index) => entry(index + 1, 'money is conserved'));
    const lines = renderSweep(summarize({ ...identity, seeds: { first: 1, last: 23 } }, entries, [])).trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('    replay: '))).toHaveLength(20);
    expect(lines.slice(-4)).toEqual([
      'more failures:',
      '  seed=21 variant=naive: money is conserved; replay: sim run scenarios/bank.ts --seed 21 --variant naive --swarm',
      '  seed=22 variant=naive: money is conserved; replay: sim run scenarios/bank.ts --seed 22 --variant naive --swarm',
      '  seed=23 variant=naive: money is conserved; replay: sim run scenarios/bank.ts --seed 23 --variant naive --swarm',
    ]);
  });

  it('says all passed when nothing failed', () => {
    const text = renderSweep(summarize({ ...identity, swarm: false, seeds: { first: 1, last: 2 } }, [entry(1), entry(2)], []));
    expect(text).toBe('seeds=1..2  scenario=bank\n✓ all 2 seeds passed\n');
  });
});

describe('renderJunit', () => {
  it('has one testcase per seed and variant, failures escaped, with the replay line', () => {
    const xml = renderJunit(summarize(identity, [entry(1), entry(2, 'money is conserved')], []));
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="sim sweep" tests="4" failures="1">/);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('<testcase classname="bank.safe" name="seed 2 safe"/>');
    expect(xml).toContain('<failure type="correctness" message="money is conserved: lost &lt;money&gt; &amp; &quot;more&quot; at 2">');
    expect(xml).toContain('replay: sim run scenarios/bank.ts --seed 2 --variant naive --swarm</failure>');
    expect(xml).not.toMatch(/<money>/);
  });
});
