// End-to-end tests of the `sim` CLI, run as a user would: `node bin/sim.js …`, checking stdout,
// stderr and exit codes (0 ok, 1 check failed, 2 bad input, 3 nondeterminism).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSim, expectBadInput, expectBadInputWithFrame, type CliRun } from './run-cli.ts';

/** Runs the bin like a user. */
const sim = (...args: string[]): Promise<CliRun> => runSim(args);

const TINY = 'test/fixtures/tiny.ts';

describe.concurrent('sim run: output', () => {
  it('prints the seed first, then the side-by-side table, and exits 0 when checks hold', async () => {
    const run = await sim('run', TINY, '--seed', '7');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('seed=7');
    expect(run.stdout).toContain('one-worker');
    expect(run.stdout).toContain('four-workers');
    expect(run.stdout).toContain('p99');
  });

  it('--json prints exactly one JSON object with the contract fields, and the same traceHash twice', async () => {
    const first = await sim('run', TINY, '--seed', '7', '--json');
    const second = await sim('run', TINY, '--seed', '7', '--json');
    expect(first.status).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(Object.keys(result).slice(0, 5)).toEqual(['scenario', 'seed', 'ok', 'traceHash', 'variants']);
    expect(result.seed).toBe(7);
    const variant = result.variants[0];
    for (const key of ['name', 'ok', 'traceHash', 'simulatedMs', 'events', 'failures', 'metrics']) expect(variant).toHaveProperty(key);
    expect(Object.keys(variant.metrics.latencyMs)).toEqual(['p50', 'p90', 'p99', 'p999', 'max', 'mean']);
    expect(variant.metrics.requests.total).toBe(variant.metrics.requests.ok + variant.metrics.requests.failed);
    expect(JSON.parse(second.stdout).traceHash).toBe(result.traceHash);
    expect((await sim('run', TINY, '--seed', '8', '--json')).stdout).not.toContain(result.traceHash);
  });

  it('chooses and prints a seed when none is given, and that seed replays the run', async () => {
    const run = await sim('run', TINY, '--variant', 'one-worker');
    const seed = /^seed=(\d+)$/m.exec(run.stdout)?.[1];
    expect(seed).toBeDefined();
    const hashOf = (text: string): string | undefined => /trace ([0-9a-f]{16})/.exec(text)?.[1];
    expect(hashOf((await sim('run', TINY, '--variant', 'one-worker', '--seed', seed!)).stdout)).toBe(hashOf(run.stdout));
  });

  it('exits 1 when a check fails, and ends the failure with its replay command', async () => {
    const run = await sim('run', 'test/fixtures/failing.ts', '--seed', '3');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('served at most the limit');
    expect(run.stdout).toContain('sim run test/fixtures/failing.ts --seed 3 --variant overflowing');
    const json = JSON.parse((await sim('run', 'test/fixtures/failing.ts', '--seed', '3', '--json')).stdout);
    expect(json.ok).toBe(false);
    expect(json.variants.map((v: { ok: boolean }) => v.ok)).toEqual([true, false]);
    expect(json.variants[1].failures[0]).toMatchObject({ kind: 'correctness', check: 'served at most the limit' });
  });

  it('fails the request, not the run, when service code throws a ServiceError on purpose', async () => {
    const run = await sim('run', 'test/fixtures/throwing-service.ts', '--seed', '1', '--json');
    expect(run.status).toBe(0);
    const metrics = JSON.parse(run.stdout).variants[0].metrics;
    expect(metrics.requests.failed).toBeGreaterThan(0);
    expect(metrics.errors).toEqual({ 'bad-request': metrics.requests.failed });
    expect(metrics.requests.failed).toBe(Math.ceil(metrics.requests.total / 3));
  });

  it('--check-determinism passes on a deterministic scenario', async () => {
    const run = await sim('run', TINY, '--seed', '4', '--check-determinism');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('determinism: ok');
  });

  it('--check-determinism exits 3 and names the first differing event when state leaks between runs', async () => {
    const run = await sim('run', 'test/fixtures/nondeterministic.ts', '--seed', '4', '--check-determinism');
    expect(run.status).toBe(3);
    expect(run.stdout).toMatch(/runs differ at event #\d+: first run "t=[\d.]+ /);
    expect(run.stderr).toMatch(/^sim: nondeterminism detected/);
  });

  it('--report writes report.html and result.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-report-'));
    const run = await sim('run', TINY, '--seed', '2', '--report', dir);
    expect(run.status).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<svg');
    expect(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).seed).toBe(2);
  });

  it('--trace writes one Chrome trace per variant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-trace-'));
    const run = await sim('run', TINY, '--seed', '2', '--trace', join(dir, 'trace.json'));
    expect(run.status).toBe(0);
    expect(existsSync(join(dir, 'trace.one-worker.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'trace.four-workers.json'), 'utf8')).traceEvents.length).toBeGreaterThan(0);
  });
});

describe.concurrent('sim run: bad input gets one line on stderr and exit code 2', () => {
  it('a missing scenario file', async () => expectBadInput(await sim('run', 'scenarios/nope.ts', '--seed', '1'), /scenario file not found: scenarios\/nope\.ts/));
  it('a file with a syntax error', async () => expectBadInputWithFrame(await sim('run', 'test/fixtures/syntax-error.ts', '--seed', '1'), /^sim: test\/fixtures\/syntax-error\.ts:3:1: syntax error: Expected "}" but found end of file/));
  it('a file with no default export', async () => expectBadInput(await sim('run', 'test/fixtures/no-default.ts', '--seed', '1'), /no default export/));
  it('a default export that is not a scenario', async () => expectBadInput(await sim('run', 'test/fixtures/not-scenario.ts', '--seed', '1'), /not a scenario/));
  it('--seed abc', async () => expectBadInput(await sim('run', TINY, '--seed', 'abc'), /--seed must be a whole number >= 0, got 'abc'/));
  it('--seed -1', async () => expectBadInput(await sim('run', TINY, '--seed', '-1'), /--seed must be a whole number >= 0, got '-1'/));
  it('--seed 1.5', async () => expectBadInput(await sim('run', TINY, '--seed', '1.5'), /--seed must be a whole number >= 0, got '1\.5'/));
  it('an unknown --variant', async () => expectBadInput(await sim('run', TINY, '--seed', '1', '--variant', 'nope'), /unknown variant 'nope': tiny has one-worker, four-workers/));
  it('a negative latency in a configuration', async () => expectBadInput(await sim('run', 'test/fixtures/negative-latency.ts', '--seed', '1'), /latencyMs.*negative/));
  it('a probability above 1 in a configuration', async () => expectBadInput(await sim('run', 'test/fixtures/bad-probability.ts', '--seed', '1'), /lossProbability is 1\.5/));
  it('a fault naming an unknown node', async () => expectBadInput(await sim('run', 'test/fixtures/unknown-node-fault.ts', '--seed', '1'), /unknown node 'ghost': known nodes are real/));
  it('an unknown option', async () => expectBadInput(await sim('run', TINY, '--sed', '1'), /unknown option '--sed'/));
  it('an unknown command', async () => expectBadInput(await sim('explode'), /unknown command 'explode'/));
});

describe.concurrent('sim list and compare', () => {
  it('stops quietly when its reader closes the pipe early (sim list | head -1)', () => {
    const piped = spawnSync('bash', ['-c', 'node bin/sim.js list scenarios | head -1'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(piped.stdout).toMatch(/^importing \d+ files from scenarios \(scenario files are code: they run with your rights\)\n$/);
    expect(piped.stderr).toBe('');
  });

  it('lists the scenarios of a folder with their variants', async () => {
    const run = await sim('list', 'scenarios');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('scenarios/flaky-network.ts');
    expect(run.stdout).toContain('variants: direct, retrying');
  });

  it('compare runs every variant on each seed and prints each figure with its interval and a paired verdict per group', async () => {
    const run = await sim('compare', TINY, '--seeds', '1..4', '--workers', '1');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('seeds=1..4  scenario=tiny  baseline=one-worker  confidence=0.95');
    expect(run.stdout).toContain('4 seeds; intervals are 95% Student t; differences are paired by seed');
    for (const group of ['requests', 'latency of all requests', 'latency of successful requests', 'cost']) expect(run.stdout).toContain(`│ ${group} `);
    expect(run.stdout).toMatch(/│ p99 latency, all +│ one-worker +│ [\d.,]+ ms ± [\d.,]+ +│ \(baseline\)/);
    expect(run.stdout).toMatch(/│ +│ four-workers +│ [\d.,]+ ms ± [\d.,]+ +│ −[\d.,]+ ms \[−[\d.,]+ ms, −[\d.,]+ ms\] +│ better/);
  });

  it('compare --json carries every figure per variant with its per-seed values, and the paired differences', async () => {
    const run = await sim('compare', TINY, '--seeds', '1..3', '--workers', '2', '--baseline', 'four-workers', '--json');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ scenario: 'tiny', ok: true, seedRange: { first: 1, last: 3 }, seedsUsed: 3, failures: [] });
    expect(result.comparison.baseline).toBe('four-workers');
    const p50 = result.comparison.figures.find((figure: { key: string }) => figure.key === 'latencyMs.p50');
    expect(p50.variants.map((variant: { variant: string; values: unknown[] }) => [variant.variant, variant.values.length])).toEqual([['one-worker', 3], ['four-workers', 3]]);
    expect(p50.differences).toHaveLength(1);
    expect(p50.differences[0]).toMatchObject({ variant: 'one-worker', verdict: 'worse' });
  });

  it('compare --precision stops at the same number of seeds whatever the worker count, and --report writes the charts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-compare-'));
    const one = await sim('compare', TINY, '--seeds', '1..12', '--precision', '0.5', '--workers', '1', '--json');
    const two = await sim('compare', TINY, '--seeds', '1..12', '--precision', '0.5', '--workers', '2', '--report', dir);
    const result = JSON.parse(one.stdout);
    expect(result.precision).toMatchObject({ target: 0.5, reached: true, holdingOut: [] });
    expect(result.seedsUsed).toBeGreaterThanOrEqual(5);
    expect(result.seedsUsed).toBeLessThan(12);
    expect(two.stdout).toContain(`precision 0.5 reached after ${result.seedsUsed} seeds`);
    const html = readFileSync(join(dir, 'compare.html'), 'utf8');
    expect(html.match(/<svg/g)!.length).toBe(result.comparison.figures.length);
    expect(JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8')).seedsUsed).toBe(result.seedsUsed);
  });
});

describe.concurrent('bad input to compare and slo: one line, exit 2', () => {
  it('--seeds with fewer than 2 seeds', async () => expectBadInput(await sim('compare', TINY, '--seeds', '5..5'), /--seeds 5\.\.5 holds 1 seed: a comparison needs at least 2/));
  it('no --seeds (and --seed points to sim run)', async () => expectBadInput(await sim('compare', TINY, '--seed', '5'), /sim compare needs --seeds A\.\.B.*use sim run <scenario> --seed 5/));
  it('--baseline naming no variant', async () => expectBadInput(await sim('compare', TINY, '--seeds', '1..2', '--baseline', 'nope'), /--baseline 'nope' names no variant of tiny: it has one-worker, four-workers/));
  it('--confidence outside (0, 1)', async () => {
    expectBadInput(await sim('compare', TINY, '--seeds', '1..2', '--confidence', '1'), /--confidence must be a fraction strictly between 0 and 1, got '1'/);
    expectBadInput(await sim('compare', TINY, '--seeds', '1..2', '--confidence', '95'), /--confidence must be a fraction strictly between 0 and 1, got '95'/);
  });
  it('--precision not a positive fraction', async () => {
    expectBadInput(await sim('compare', TINY, '--seeds', '1..2', '--precision', '0'), /--precision must be a fraction strictly between 0 and 1, got '0'/);
    expectBadInput(await sim('compare', TINY, '--seeds', '1..2', '--precision', 'five'), /--precision must be a fraction strictly between 0 and 1, got 'five'/);
  });
  it('an slo naming an endpoint the workload never sends', async () =>
    expectBadInput(await sim('run', 'test/fixtures/slo-unknown-endpoint.ts', '--seed', '1'), /slo POST \/orders p99<=200ms: the workload never sends endpoint 'POST \/orders' \(it sends 'echo'\)/));
  it('an slo with no target', async () => expectBadInput(await sim('run', 'test/fixtures/slo-no-target.ts', '--seed', '1'), /slo for 'echo' has no target: give p50Ms, p99Ms, p999Ms or availability/));
});
