// End-to-end tests of the CLI's edges (issue: nothing escapes, nothing hangs, nothing is lost):
// output paths checked before any run, malformed input files named by field, sweeps that survive
// SIGTERM and SIGKILL, merges that refuse incomplete shards, and terminal text without control codes.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSim, expectBadInput } from './run-cli.ts';

const TINY = 'test/fixtures/tiny.ts';
const PLANTED = 'scenarios/planted-bug.ts';
const folder = (): string => mkdtempSync(join(tmpdir(), 'sim-harden-'));
const sim = (...args: string[]) => runSim(args);

/** Calls `then` once `path` holds a sweep result with at least one finished seed (polled, bounded). */
function whenCheckpointed(path: string, then: () => void): void {
  let polls = 0;
  const timer = setInterval(() => {
    polls++;
    let ready = false;
    try {
      ready = JSON.parse(readFileSync(path, 'utf8')).results.length > 0;
    } catch {
      ready = false;
    }
    if (ready || polls > 600) {
      clearInterval(timer);
      then();
    }
  }, 100);
}

describe.concurrent('output paths are checked before the run', () => {
  it('a trace file whose folder is a file', async () => expectBadInput(await sim('run', TINY, '--seed', '1', '--trace', '/etc/passwd/t.json'), /--trace \/etc\/passwd\/t\.json: \/etc\/passwd is a file, not a folder/));
  it('an OTLP file under /proc', async () => expectBadInput(await sim('run', TINY, '--seed', '1', '--otlp', '/proc/x/t.json'), /--otlp \/proc\/x\/t\.json: \/proc is on a pseudo file system/));
  it('a report folder under /proc', async () => expectBadInput(await sim('run', TINY, '--seed', '1', '--report', '/proc/x'), /--report \/proc\/x: \/proc is on a pseudo file system/));
  it('a report folder under a file', async () => expectBadInput(await sim('run', TINY, '--seed', '1', '--report', '/etc/passwd/x'), /--report \/etc\/passwd\/x: \/etc\/passwd is a file/));
  it('a JUnit file under /proc', async () => expectBadInput(await sim('sweep', TINY, '--seeds', '1..2', '--junit', '/proc/x/j.xml'), /--junit \/proc\/x\/j\.xml: \/proc is on a pseudo file system/));
  it('a sweep --out under /sys', async () => expectBadInput(await sim('sweep', TINY, '--seeds', '1..2', '--out', '/sys/x.json'), /--out \/sys\/x\.json: \/sys is on a pseudo file system/));
  it('an HTML page that is a folder', async () => expectBadInput(await sim('report', 'whatever.json', '--html', tmpdir()), /--html .* is a folder: give a file name inside it/));
  it('a shrink --out under /dev', async () => expectBadInput(await sim('shrink', PLANTED, '--seed', '1', '--out', '/dev/null/x.json'), /--out \/dev\/null\/x\.json: .*pseudo file system|is a file/));
  it('a merge --out under a file', async () => expectBadInput(await sim('merge', 'a.json', '--out', '/etc/passwd/m.json'), /--out \/etc\/passwd\/m\.json: \/etc\/passwd is a file/));

  it('creates a missing folder for --trace and writes the trace', async () => {
    const path = join(folder(), 'no-such-dir', 'deeper', 't.json');
    const run = await sim('run', TINY, '--seed', '1', '--variant', 'one-worker', '--trace', path);
    expect(run.status).toBe(0);
    expect(JSON.parse(readFileSync(path, 'utf8')).traceEvents.length).toBeGreaterThan(0);
  });
});

describe.concurrent('input files are validated against their schema', () => {
  const write = (value: unknown): string => {
    const path = join(folder(), 'input.json');
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it('a result JSON with the wrong shape names the field', async () => {
    const path = write({ scenario: 'x', seed: 1, ok: true, traceHash: 'a', variants: [{ name: 'v', ok: true, traceHash: 'b', simulatedMs: 1, events: 1, failures: [], metrics: { requests: { total: 1, ok: '1', failed: 0 } } }] });
    expectBadInput(await sim('report', path, '--html', join(folder(), 'r.html')), /result file .*: variants\[0\]\.metrics\.requests\.ok: .*expected number/);
  });

  it('a result JSON that is a list', async () => {
    expectBadInput(await sim('report', write([1, 2]), '--html', join(folder(), 'r.html')), /result file .*: \(top level\): .*expected object/);
  });

  it('a replay file with a malformed fault names the fault', async () => {
    const path = write({ scenario: 'planted-bug', seed: 1, variant: 'naive', plan: { seed: 1, variant: 'naive', faults: [{ atMs: 10, fault: { kind: 'explode', node: 'bank' } }], durationMs: 1000, options: {} }, failure: { kind: 'correctness', check: 'x' } });
    expectBadInput(await sim('run', PLANTED, '--replay', path), /replay file .*: plan\.faults\[0\]\.fault\.kind: /);
  });

  it('a replay file whose crash fault lacks its node', async () => {
    const path = write({ scenario: 'planted-bug', seed: 1, variant: 'naive', plan: { seed: 1, variant: 'naive', faults: [{ atMs: 10, fault: { kind: 'crash' } }], durationMs: 1000, options: {} }, failure: { kind: 'correctness', check: 'x' } });
    expectBadInput(await sim('run', PLANTED, '--replay', path), /replay file .*: plan\.faults\[0\]\.fault\.node: /);
  });

  it('a sweep result for merge with a bad seed range', async () => {
    const path = write({ scenario: 's', file: 'f.ts', swarm: false, seeds: { first: 5, last: 1 }, results: [], coverage: {} });
    expectBadInput(await sim('merge', path), /sweep result file .*: seeds: first must be <= last/);
  });
});

describe.concurrent('sweeps lose nothing', () => {
  it('--replay-dir without --shrink is refused, not ignored', async () => {
    expectBadInput(await sim('sweep', PLANTED, '--seeds', '1..2', '--replay-dir', 'x'), /--replay-dir only applies with --shrink: add --shrink, or drop it/);
  });

  it('--checkpoint-every without --out is refused, not ignored', async () => {
    expectBadInput(await sim('sweep', PLANTED, '--seeds', '1..2', '--checkpoint-every', '5'), /--checkpoint-every writes the finished seeds to the --out file: add --out FILE/);
  });

  it('SIGTERM writes the partial results (exit 143), and --resume gives the same file as an uninterrupted sweep', { timeout: 180_000 }, async () => {
    const dir = folder();
    const partial = join(dir, 'partial.json');
    const stopped = await runSim(['sweep', PLANTED, '--seeds', '1..150', '--workers', '1', '--out', partial, '--checkpoint-every', '0.1'], {}, (child) => {
      whenCheckpointed(partial, () => child.kill('SIGTERM'));
    });
    expect(stopped.status).toBe(143);
    expect(stopped.stderr).toContain('sim: sweep interrupted (SIGTERM); continue with:');
    const saved = JSON.parse(readFileSync(partial, 'utf8'));
    expect(saved.interrupted).toBe(true);
    expect(saved.results.length).toBeGreaterThan(0);
    expect(saved.results.length).toBeLessThan(150);
    const [resumed, whole] = await Promise.all([
      runSim(['sweep', PLANTED, '--seeds', '1..150', '--workers', '1', '--resume', partial, '--out', partial]),
      runSim(['sweep', PLANTED, '--seeds', '1..150', '--workers', '1', '--out', join(dir, 'whole.json')]),
    ]);
    expect(resumed.status).toBe(whole.status);
    expect(readFileSync(partial, 'utf8')).toBe(readFileSync(join(dir, 'whole.json'), 'utf8'));
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('SIGKILL keeps the last checkpoint; --resume continues from it and no temporary file is left', async () => {
    const dir = folder();
    const out = join(dir, 'out.json');
    await runSim(['sweep', PLANTED, '--seeds', '1..100000', '--workers', '1', '--out', out, '--checkpoint-every', '0.1'], {}, (child) => {
      whenCheckpointed(out, () => child.kill('SIGKILL'));
    });
    const checkpoint = JSON.parse(readFileSync(out, 'utf8'));
    expect(checkpoint.interrupted).toBe(true);
    const kept = checkpoint.results.length;
    expect(kept).toBeGreaterThan(0);
    const resumed = await runSim(['sweep', PLANTED, '--seeds', `1..${kept + 3}`, '--workers', '1', '--resume', out, '--out', out, '--json']);
    expect(resumed.stdout.length).toBeGreaterThan(0);
    const result = JSON.parse(resumed.stdout);
    expect(result.results.map((entry: { seed: number }) => entry.seed)).toEqual(Array.from({ length: kept + 3 }, (_, index) => index + 1));
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe.concurrent('sim merge refuses incomplete shards', () => {
  it('refuses a missing shard unless --allow-partial, which warns', async () => {
    const dir = folder();
    const first = join(dir, 'shard1.json');
    await runSim(['sweep', PLANTED, '--seeds', '1..4', '--shard', '1/2', '--workers', '1', '--out', first]);
    expectBadInput(await sim('merge', first), /shard 2\/2 missing: .*pass --allow-partial to merge what is there/);
    const partial = await sim('merge', first, '--allow-partial');
    expect(partial.stderr).toBe('sim: shard 2/2 missing: the merged summary would cover only the shards given\n');
    expect([0, 1]).toContain(partial.status);
  });

  it('refuses the same shard given twice', async () => {
    const dir = folder();
    const first = join(dir, 'shard1.json');
    const second = join(dir, 'shard2.json');
    await Promise.all([
      runSim(['sweep', PLANTED, '--seeds', '1..4', '--shard', '1/2', '--workers', '1', '--out', first]),
      runSim(['sweep', PLANTED, '--seeds', '1..4', '--shard', '2/2', '--workers', '1', '--out', second]),
    ]);
    expectBadInput(await sim('merge', first, second, first), /both claim seed 1: merge each shard once/);
  });
});

describe('terminal text', () => {
  it('strips control characters from scenario names and messages; JSON keeps them escaped', async () => {
    const [human, json] = await Promise.all([sim('run', 'test/fixtures/control-chars.ts', '--seed', '1'), sim('run', 'test/fixtures/control-chars.ts', '--seed', '1', '--json')]);
    expect(human.status).toBe(1);
    expect(human.stdout).toContain('evil[2J]0;pwned');
    expect(human.stdout).toContain('never[2J holds');
    expect(human.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.parse(json.stdout).scenario).toBe('evil\u001b[2J\u001b]0;pwned\u0007');
  });
});
