// End-to-end: the replay lines the CLI prints and writes (terminal, --json, JUnit, merge, shrink)
// rerun the same seed and variant when pasted into bash, for variant names a shell would mangle;
// `sim shrink` and `sim sweep --shrink` write replay files to .dsim/replays/ unless told otherwise.
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ODD_VARIANT_NAMES } from './fixtures/odd-variant-names.ts';
import type { CliRun } from './run-cli.ts';

const SIM_BIN = resolve('bin/sim.js');
const FIXTURE = 'test/fixtures/odd-variant-names.ts';
const ABSOLUTE_FIXTURE = resolve(FIXTURE);
const CHECK = 'served at most the limit';

/** Waits for a child process and collects what it printed. */
function collect(child: ChildProcessWithoutNullStreams): Promise<CliRun> {
  return new Promise((done, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

const ENV = { ...process.env, NO_COLOR: '1', SIM_BIN };

/** Runs a bash script in `cwd` where `sim` means this repository's CLI, as `npx sim` would. */
function bash(script: string, cwd = process.cwd()): Promise<CliRun> {
  return collect(spawn('bash', ['-c', `sim() { node "$SIM_BIN" "$@"; }\n${script}`], { cwd, env: ENV }));
}

/** Runs `sim <args>` in `cwd`, every argument passed as is (no shell). */
function sim(args: string[], cwd = process.cwd()): Promise<CliRun> {
  return collect(spawn(process.execPath, [SIM_BIN, ...args], { cwd, env: ENV }));
}

/** The `replay: …` lines of a printed report or summary, in order. */
function replayLines(text: string): string[] {
  return [...text.matchAll(/^ *replay: (sim run .*)$/gm)].map((match) => match[1]!);
}

function unescapeXml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const folder = (): string => mkdtempSync(join(tmpdir(), 'sim-replay-lines-'));

describe.concurrent('replay lines of odd variant names', () => {
  it('terminal and --json lines, pasted into bash, rerun the same seed and variant with the same trace', async () => {
    const [human, json] = await Promise.all([sim(['run', FIXTURE, '--seed', '3']), sim(['run', FIXTURE, '--seed', '3', '--json'])]);
    expect(human.status).toBe(1);
    expect(json.status).toBe(1);
    const result = JSON.parse(json.stdout);
    expect(result.variants.map((variant: { name: string }) => variant.name)).toEqual(ODD_VARIANT_NAMES);
    const lines = replayLines(human.stdout);
    expect(lines).toEqual(result.variants.map((variant: { replay: string }) => variant.replay));
    expect(lines[1]).toBe(`sim run ${FIXTURE} --seed 3 --variant 'sync (Pattern 1)'`);

    const reruns = await Promise.all(lines.map((line) => bash(`${line} --json`)));
    reruns.forEach((rerun, index) => {
      expect(rerun.stderr).toBe('');
      expect(rerun.status).toBe(1);
      const again = JSON.parse(rerun.stdout);
      const original = result.variants[index];
      expect(again.seed).toBe(3);
      expect(again.variants).toHaveLength(1);
      expect(again.variants[0]).toMatchObject({ name: original.name, traceHash: original.traceHash, failures: original.failures, replay: original.replay });
    });
  });

  it('JUnit, sweep and merge print the same lines, and the JUnit line reruns its variant in bash', async () => {
    const dir = folder();
    const junit = join(dir, 'junit.xml');
    const out = join(dir, 'sweep.json');
    const [sweep, run] = await Promise.all([
      sim(['sweep', FIXTURE, '--seeds', '3..3', '--workers', '1', '--junit', junit, '--out', out]),
      sim(['run', FIXTURE, '--seed', '3', '--json']),
    ]);
    expect(sweep.status).toBe(1);
    const expected = JSON.parse(run.stdout).variants.map((variant: { replay: string }) => variant.replay);
    expect(replayLines(sweep.stdout)).toEqual(expected);
    const fromJunit = [...readFileSync(junit, 'utf8').matchAll(/replay: (sim run [^<]*)<\/failure>/g)].map((match) => unescapeXml(match[1]!));
    expect(fromJunit).toEqual(expected);

    const [merged, rerun] = await Promise.all([sim(['merge', out]), bash(`${fromJunit[2]} --json`)]);
    expect(replayLines(merged.stdout)).toEqual(expected);
    expect(rerun.status).toBe(1);
    expect(JSON.parse(rerun.stdout).variants[0]).toMatchObject({ name: `it's "quoted"`, traceHash: JSON.parse(run.stdout).variants[2].traceHash });
  });

  it('sim shrink writes to .dsim/replays/ by default, and its replay line reproduces the failure in bash', async () => {
    const cwd = folder();
    const variant = ODD_VARIANT_NAMES[3]!;
    const shrink = await sim(['shrink', ABSOLUTE_FIXTURE, '--seed', '3', '--variant', variant], cwd);
    expect(shrink.status).toBe(0);
    const replayPath = '.dsim/replays/odd-variant-names.seed3.cost-HOME-id-.replay.json';
    expect(existsSync(join(cwd, replayPath))).toBe(true);
    const lines = shrink.stdout.trimEnd().split('\n');
    expect(lines.at(-2)).toBe(`replay file: ${replayPath}`);
    expect(lines.at(-1)).toBe(`replay: sim run ${ABSOLUTE_FIXTURE} --replay ${replayPath}`);
    expect(JSON.parse(readFileSync(join(cwd, replayPath), 'utf8')).variant).toBe(variant);

    const rerun = await bash(lines.at(-1)!.slice('replay: '.length), cwd);
    expect(rerun.status).toBe(1);
    expect(rerun.stdout.trimEnd().split('\n').at(-1)).toBe(`replay: reproduced correctness '${CHECK}' from ${replayPath}`);
  });

  it('sim shrink --out writes where it says, even a path a shell must quote, and the line reruns it', async () => {
    const cwd = folder();
    mkdirSync(join(cwd, 'my "replays"'));
    const out = join(cwd, 'my "replays"', "it's (1).json");
    const shrink = await sim(['shrink', ABSOLUTE_FIXTURE, '--seed', '3', '--variant', 'orchestrated saga', '--out', out, '--json'], cwd);
    expect(shrink.status).toBe(0);
    const report = JSON.parse(shrink.stdout);
    expect(report.replayFile).toBe(out);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(join(cwd, '.dsim'))).toBe(false);
    const rerun = await bash(`${report.replay} --json`, cwd);
    expect(rerun.status).toBe(1);
    expect(JSON.parse(rerun.stdout).replay).toEqual({ file: out, check: CHECK, kind: 'correctness', reproduced: true });
  });

  it('sim sweep --shrink writes to .dsim/replays/ by default, and the shrunk replay line reruns in bash', async () => {
    const cwd = folder();
    const sweep = await sim(['sweep', ABSOLUTE_FIXTURE, '--seeds', '3..3', '--workers', '1', '--variant', 'sync (Pattern 1)', '--shrink', '--json'], cwd);
    expect(sweep.status).toBe(1);
    const [shrunk] = JSON.parse(sweep.stdout).shrunk;
    expect(shrunk.replayFile).toBe('.dsim/replays/odd-variant-names.seed3.sync-Pattern-1-.replay.json');
    expect(existsSync(join(cwd, shrunk.replayFile))).toBe(true);
    const rerun = await bash(`${shrunk.replay} --json`, cwd);
    expect(rerun.status).toBe(1);
    expect(JSON.parse(rerun.stdout).replay).toMatchObject({ file: shrunk.replayFile, reproduced: true });
  });
});
