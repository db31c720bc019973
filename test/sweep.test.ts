// End-to-end tests of `sim sweep` and `sim merge`, run as a user would (`node bin/sim.js …`): the
// planted bug is found, shards merge into the unsharded summary, Ctrl-C leaves resumable results.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSim, expectBadInput } from './run-cli.ts';

const PLANTED = 'scenarios/planted-bug.ts';

const sim = runSim;

const folder = (): string => mkdtempSync(join(tmpdir(), 'sim-sweep-'));

describe.concurrent('sim sweep', () => {
  it('finds the planted bug, prints the summary and a replay line per failing seed, writes JUnit, exits 1', async () => {
    const dir = folder();
    const junit = join(dir, 'junit.xml');
    const run = await sim(['sweep', PLANTED, '--seeds', '1..12', '--workers', '2', '--junit', junit]);
    expect(run.status).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('seeds=1..12  scenario=planted-bug  workers=2');
    expect(lines[1]).toMatch(/^✗ \d+ of 12 seeds failed, \d+ passed$/);
    expect(run.stdout).toMatch(/failing checks \(seeds\):\n {2}money is conserved {2}\d+/);
    expect(run.stdout).toMatch(/coverage \(seeds that reached each sometimes-check\):\n {2}a bank crash caught a transfer between its steps {6}\d+\/12/);
    expect(run.stdout).toContain('  seed=1 variant=naive\n');
    expect(run.stdout).toContain('    replay: sim run scenarios/planted-bug.ts --seed 1 --variant naive\n');
    expect(run.stdout).not.toContain('variant=saga-log');
    expect(run.stderr).toBe('');
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(24);
    expect(xml).toContain('<testcase classname="planted-bug.naive" name="seed 1 naive">');
    expect(xml).toContain('replay: sim run scenarios/planted-bug.ts --seed 1 --variant naive</failure>');
  });

  it('--json prints one object: totals, small per-seed entries, coverage and failing checks; swarm options per seed', async () => {
    const run = await sim(['sweep', PLANTED, '--seeds', '1..6', '--workers', '1', '--swarm', '--json']);
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(Object.keys(result)).toEqual(['scenario', 'file', 'swarm', 'seeds', 'passed', 'failed', 'results', 'coverage', 'failingChecks', 'figures']);
    expect(result).toMatchObject({ scenario: 'planted-bug', file: PLANTED, swarm: true, seeds: { first: 1, last: 6 } });
    expect(result.results.map((entry: { seed: number }) => entry.seed)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.passed + result.failed).toBe(6);
    expect(result.failingChecks['money is conserved']).toBe(result.failed);
    const first = result.results[0];
    expect(Object.keys(first)).toEqual(['seed', 'ok', 'traceHash', 'variants', 'coverage']);
    expect(Object.keys(first.variants[0])).toEqual(['name', 'ok', 'traceHash', 'failures', 'faults', 'options', 'figures']);
    // Each seed keeps its headline figures; per variant, a summary across the seeds.
    const availability = result.results.map((entry: { variants: { figures: { availability: number } }[] }) => entry.variants[0]!.figures.availability);
    expect(result.figures[first.variants[0].name].availability).toMatchObject({ min: Math.min(...availability), max: Math.max(...availability) });
    expect(Object.keys(result.figures[first.variants[0].name])).toContain('latencyMs.p99');
    // Swarm: every seed draws its own option values, and every variant of a seed shares them.
    const delays = result.results.map((entry: { variants: { options: { checkDelayMs: number } }[] }) => entry.variants[0]!.options.checkDelayMs);
    expect(new Set(delays).size).toBe(6);
    for (const entry of result.results) expect(entry.variants[1].options).toEqual(entry.variants[0].options);
    expect(Object.keys(result.coverage)).toEqual(['a bank crash caught a transfer between its steps', 'an interrupted transfer was finished after a restart']);
  });

  it('shards (by flag and by JOB_COMPLETION_INDEX) merge into the unsharded summary; --resume runs only missing seeds', async () => {
    const dir = folder();
    const [whole, one, two, three] = await Promise.all([
      sim(['sweep', PLANTED, '--seeds', '1..9', '--workers', '1', '--out', join(dir, 'whole.json')]),
      sim(['sweep', PLANTED, '--seeds', '1..9', '--workers', '1', '--shard', '1/3', '--out', join(dir, 'shard-1.json')]),
      sim(['sweep', PLANTED, '--seeds', '1..9', '--workers', '1', '--out', join(dir, 'shard-2.json')], { JOB_COMPLETION_INDEX: '1', SIM_SHARD_COUNT: '3' }),
      sim(['sweep', PLANTED, '--seeds', '1..9', '--workers', '1', '--shard-count', '3', '--out', join(dir, 'shard-3.json')], { JOB_COMPLETION_INDEX: '2' }),
    ]);
    expect(one.stdout.split('\n')[0]).toBe('seeds=1..9  scenario=planted-bug  shard=1/3  workers=1');
    expect(two.stdout.split('\n')[0]).toBe('seeds=1..9  scenario=planted-bug  shard=2/3  workers=1');
    expect(three.stdout).toMatch(/^(✓ all 3 seeds run passed|✗ \d of 3 seeds run failed, \d passed)$/m);
    const shard3 = JSON.parse(readFileSync(join(dir, 'shard-3.json'), 'utf8'));
    expect(shard3.shard).toEqual({ index: 3, count: 3 });
    expect(shard3.results.map((entry: { seed: number }) => entry.seed)).toEqual([3, 6, 9]);
    const wholeResult = JSON.parse(readFileSync(join(dir, 'whole.json'), 'utf8'));

    // A partial file with seeds 1..3, one of them marked so that a rerun would show.
    const partial = { ...wholeResult, interrupted: true, results: wholeResult.results.slice(0, 3) };
    partial.results[0] = { ...partial.results[0], traceHash: 'kept-from-the-partial-file' };
    writeFileSync(join(dir, 'partial.json'), JSON.stringify(partial));

    const [merged, resumed] = await Promise.all([
      sim(['merge', join(dir, 'shard-3.json'), join(dir, 'shard-1.json'), join(dir, 'shard-2.json'), '--out', join(dir, 'merged.json')]),
      sim(['sweep', PLANTED, '--resume', join(dir, 'partial.json'), '--workers', '1', '--json']),
    ]);
    expect(merged.status).toBe(whole.status);
    expect(merged.stdout.split('\n')[0]).toBe('seeds=1..9  scenario=planted-bug');
    expect(merged.stdout).toContain('merged 3 result files');
    expect(JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8'))).toEqual(wholeResult);

    const result = JSON.parse(resumed.stdout);
    expect(result.results.map((entry: { seed: number }) => entry.seed)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.results[0].traceHash).toBe('kept-from-the-partial-file');
    expect(result.results.slice(1)).toEqual(wholeResult.results.slice(1));
    expect(result).not.toHaveProperty('interrupted');
  });

  it('Ctrl-C prints the summary of the finished seeds, writes partial results and the resume line; exit 130', async () => {
    const dir = folder();
    const partial = join(dir, 'partial.json');
    const run = await sim(['sweep', PLANTED, '--seeds', '1..100000', '--workers', '1', '--out', partial], {}, (child) => {
      // The first line is printed once the sweep is set up; interrupt a moment after it.
      child.stdout!.once('data', () => setTimeout(() => child.kill('SIGINT'), 1_500));
    });
    expect(run.status).toBe(130);
    expect(run.stdout.split('\n')[0]).toBe('seeds=1..100000  scenario=planted-bug  workers=1');
    expect(run.stdout).toMatch(/interrupted: the summary covers the \d+ seeds that finished/);
    expect(run.stdout).toContain(`continue with: sim sweep scenarios/planted-bug.ts --seeds 1..100000 --resume ${partial} --out ${partial}`);
    const saved = JSON.parse(readFileSync(partial, 'utf8'));
    expect(saved.interrupted).toBe(true);
    expect(saved.results.length).toBeLessThan(100_000);
    expect(saved.passed + saved.failed).toBe(saved.results.length);
  });

  it('refuses bad input with one line and exit 2', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ scenario: 'planted-bug', file: PLANTED, swarm: true, seeds: { first: 1, last: 2 }, results: [], coverage: {} }));
    const runs = await Promise.all([
      sim(['sweep', PLANTED]),
      sim(['sweep', PLANTED, '--seeds', '1..3', '--shard', '4/3']),
      sim(['sweep', PLANTED, '--seeds', '1..3', '--variant', 'nope']),
      sim(['sweep', PLANTED, '--seeds', '1..3'], { JOB_COMPLETION_INDEX: '0' }),
      sim(['sweep', PLANTED, '--resume', join(dir, 'other.json')]),
      sim(['merge', 'no-such-results.json']),
    ]);
    expectBadInput(runs[0]!, /needs --seeds A\.\.B/);
    expectBadInput(runs[1]!, /--shard 4\/3: the index must be between 1 and 3/);
    expectBadInput(runs[2]!, /unknown variant 'nope': planted-bug has naive, saga-log/);
    expectBadInput(runs[3]!, /JOB_COMPLETION_INDEX is set but the shard count is not/);
    expectBadInput(runs[4]!, /was swept with --swarm; resume it the same way/);
    expectBadInput(runs[5]!, /sweep result file not found: no-such-results.json/);
    expect(existsSync('sim-sweep.partial.json')).toBe(false);
  });
});
