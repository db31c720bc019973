import { describe, expect, it } from 'vitest';
import { runScenario, describeFailures } from '../index.ts';
import { runScenario as runOnSeed } from './runner.ts';
import tiny from '../../test/fixtures/tiny.ts';
import failing from '../../test/fixtures/failing.ts';

describe('runScenario (the library call for users\' tests)', () => {
  it('returns what the CLI runner returns for the same seed, every variant', async () => {
    const result = await runScenario(tiny, { seed: 5 });
    expect(result.variants.map((variant) => variant.name)).toEqual(['one-worker', 'four-workers']);
    expect(result.traceHash).toBe((await runOnSeed(tiny, 5)).traceHash);
  });

  it('runs only the variant asked for', async () => {
    const result = await runScenario(tiny, { seed: 5, variant: 'four-workers' });
    expect(result.variants.map((variant) => variant.name)).toEqual(['four-workers']);
  });

  it('rejects a seed that is not a whole number >= 0', async () => {
    await expect(runScenario(tiny, { seed: -1 })).rejects.toThrow('runScenario: seed must be a whole number >= 0, got -1');
    await expect(runScenario(tiny, { seed: 1.5 })).rejects.toThrow('got 1.5');
  });
});

describe('describeFailures', () => {
  it('is empty when every check holds', async () => {
    expect(describeFailures(await runScenario(tiny, { seed: 1 }), 'tiny.ts')).toEqual([]);
  });

  it('names seed, variant, check, time and message, with a rerun command quoted for a shell', async () => {
    const result = await runScenario(failing, { seed: 3 });
    const [line, ...rest] = describeFailures(result, 'my scenarios/failing.ts');
    expect(rest).toEqual([]);
    expect(line).toMatch(/^seed 3, variant overflowing: correctness check 'served at most the limit' failed at 250 ms: served 57 > 50 \(rerun: sim run 'my scenarios\/failing\.ts' --seed 3 --variant overflowing\)$/);
    expect(describeFailures(result)[0]).not.toContain('rerun');
  });
});
