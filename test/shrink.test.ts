// End-to-end tests of shrinking and replay, run as a user would: `sim shrink` reduces the planted
// bug to at most two faults and writes a replay file; `sim run --replay` reproduces it exactly.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSim, expectBadInput, type CliRun } from './run-cli.ts';

const PLANTED = 'scenarios/planted-bug.ts';

const sim = (...args: string[]): Promise<CliRun> => runSim(args);

const folder = (): string => mkdtempSync(join(tmpdir(), 'sim-shrink-'));

describe.concurrent('sim shrink and sim run --replay', () => {
  it('shrinks a failing seed to at most two faults, prints sizes before and after, and the replay reproduces it exactly', async () => {
    const dir = folder();
    const replayPath = join(dir, 'bug.replay.json');
    const shrink = await sim('shrink', PLANTED, '--seed', '2', '--out', replayPath);
    expect(shrink.status).toBe(0);
    const lines = shrink.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('seed=2');
    expect(lines[1]).toBe("shrinking: variant naive, correctness 'money is conserved'");
    expect(lines[2]).toMatch(/^shrunk in \d+ runs:$/);
    expect(lines[3]).toMatch(/^ {2}faults {6}\d+ → [12]$/);
    expect(lines[4]).toMatch(/^ {2}fault time {2}[\d,]+ ms → [\d,]+ ms$/);
    expect(lines[5]).toMatch(/^ {2}requests {4}[\d,]+ → [\d,]+$/);
    expect(lines[6]).toMatch(/^ {2}run length {2}10,000 ms → [\d,]+ ms$/);
    expect(lines.at(-1)).toBe(`replay: sim run ${PLANTED} --replay ${replayPath}`);

    const replay = JSON.parse(readFileSync(replayPath, 'utf8'));
    expect(Object.keys(replay)).toEqual(['scenario', 'file', 'seed', 'variant', 'plan', 'failure', 'sizes']);
    expect(replay).toMatchObject({ scenario: 'planted-bug', file: PLANTED, seed: 2, variant: 'naive', failure: { kind: 'correctness', check: 'money is conserved' } });
    expect(replay.plan.faults.length).toBeLessThanOrEqual(2);
    expect(replay.plan.faults.length).toBeLessThan(replay.sizes.before.faults);
    expect(replay.plan.durationMs).toBeLessThan(10_000);
    expect(replay.plan.maxRequests).toBeLessThan(replay.sizes.before.maxRequests);

    const [first, second, human] = await Promise.all([
      sim('run', PLANTED, '--replay', replayPath, '--json'),
      sim('run', PLANTED, '--replay', replayPath, '--json'),
      sim('run', PLANTED, '--replay', replayPath),
    ]);
    expect(first.status).toBe(1);
    const result = JSON.parse(first.stdout);
    expect(result.seed).toBe(2);
    expect(result.replay).toEqual({ file: replayPath, check: 'money is conserved', kind: 'correctness', reproduced: true });
    expect(result.variants.map((variant: { name: string }) => variant.name)).toEqual(['naive']);
    expect(result.variants[0].failures[0]).toMatchObject({ check: 'money is conserved', message: replay.failure.message, atMs: replay.failure.atMs });
    expect(JSON.parse(second.stdout).traceHash).toBe(result.traceHash);
    expect(human.status).toBe(1);
    expect(human.stdout.split('\n')[0]).toBe('seed=2');
    expect(human.stdout).toContain(`  replay: sim run ${PLANTED} --replay ${replayPath}\n`);
    expect(human.stdout.trimEnd().split('\n').at(-1)).toBe(`replay: reproduced correctness 'money is conserved' from ${replayPath}`);
  });

  it('sweep --shrink finds, shrinks and writes a replay file for the planted bug', async () => {
    const dir = folder();
    const run = await sim('sweep', PLANTED, '--seeds', '1..4', '--workers', '1', '--swarm', '--shrink', '--replay-dir', dir, '--json');
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.shrunk).toHaveLength(1);
    const [shrunk] = result.shrunk;
    expect(shrunk).toMatchObject({ seed: 1, variant: 'naive', check: 'money is conserved', replayFile: join(dir, 'planted-bug.seed1.naive.replay.json') });
    expect(shrunk.replay).toBe(`sim run ${PLANTED} --replay ${shrunk.replayFile}`);
    expect(shrunk.after.faults).toBeLessThanOrEqual(2);
    expect(readdirSync(dir)).toEqual(['planted-bug.seed1.naive.replay.json']);
    const replay = JSON.parse(readFileSync(shrunk.replayFile, 'utf8'));
    // Swarm: the options the seed drew are part of the plan, so the replay needs no --swarm.
    expect(replay.plan.options.checkDelayMs).toBe(result.results[0].variants[0].options.checkDelayMs);
  });

  it('refuses what it cannot shrink or replay with one line and exit 2', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'broken.json'), '{ "scenario": ');
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ scenario: 'flaky-network', seed: 1, variant: 'direct', plan: { seed: 1, variant: 'direct', faults: [], durationMs: 100, options: {} }, failure: { kind: 'correctness', check: 'x' } }));
    const runs = await Promise.all([
      sim('shrink', PLANTED),
      sim('shrink', PLANTED, '--seed', '3'),
      sim('shrink', PLANTED, '--seed', '2', '--check', 'no such check'),
      sim('run', PLANTED, '--replay', join(dir, 'broken.json')),
      sim('run', PLANTED, '--replay', join(dir, 'other.json')),
      sim('run', PLANTED, '--replay', join(dir, 'other.json'), '--seed', '4'),
    ]);
    expectBadInput(runs[0]!, /sim shrink needs --seed N/);
    expectBadInput(runs[1]!, /seed 3 passes every check of planted-bug: nothing to shrink/);
    expectBadInput(runs[2]!, /seed 2 does not fail check 'no such check'; it fails: money is conserved/);
    expectBadInput(runs[3]!, /broken.json is not valid JSON/);
    expectBadInput(runs[4]!, /other.json is for scenario 'flaky-network', not 'planted-bug'/);
    expectBadInput(runs[5]!, /--replay FILE fixes the seed, the variant and the options/);
  });
});
