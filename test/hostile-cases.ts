// The hostile-input run (issue 14, "Done when"): CLI invocations a hostile or careless user makes,
// each with what must happen. Bad input: exit 2 and one line on stderr (a scenario's load error may
// add its code frame). A runaway or buggy seed: exit 1 naming the seed. Never exit 4, never a stack
// trace, never a hang. Shared by test/hostile.ts (every case) and test/hostile.test.ts (a subset).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a case must end with. */
export type Expectation =
  /** Exit 2, one `sim: …` line on stderr. */
  | 'bad-input'
  /** Exit 2, one `sim: file:line:col: …` line, then only a code frame. */
  | 'bad-input-frame'
  /** Exit 1, the seed named on stdout or stderr (`seed=N`, `seed N` or `--seed N`). */
  | 'seed-fails'
  /** Exit 0: a hostile-looking input that is in fact fine (a mapped host source). */
  | 'ok';

/** One CLI invocation and its expectation. */
export interface HostileCase {
  name: string;
  args: string[];
  expect: Expectation;
  /** What the one line (bad input) or the output (a failed seed) must mention. */
  mentions?: RegExp;
  /** The seed a failing case must name. */
  seed?: number;
  /** Wall-clock limit, ms; past it the case is killed and fails. */
  limitMs?: number;
}

/** What one case did. */
export interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  wallMs: number;
}

const DEFAULT_LIMIT_MS = 60_000;
const H = 'test/fixtures/hostile';
const TINY = 'test/fixtures/tiny.ts';
const RUNAWAY = 'test/fixtures/runaway.ts';
const PLANTED = 'scenarios/planted-bug.ts';

/** A scratch folder for outputs the cases may write (cleaned by the OS's tmp policy). */
const scratch = mkdtempSync(join(tmpdir(), 'sim-hostile-'));
writeFileSync(join(scratch, 'a-file'), 'not a folder\n');
const FILE = join(scratch, 'a-file');

const run = (...args: string[]) => ['run', ...args];
const sweep = (...args: string[]) => ['sweep', ...args];
const bad = (name: string, args: string[], mentions?: RegExp): HostileCase => ({ name, args, expect: 'bad-input', mentions });
const frame = (name: string, args: string[], mentions?: RegExp): HostileCase => ({ name, args, expect: 'bad-input-frame', mentions });
const fails = (name: string, args: string[], seed: number, mentions?: RegExp, limitMs?: number): HostileCase => ({ name, args, expect: 'seed-fails', seed, mentions, limitMs });

/** Every case of the hostile-input run. */
export const HOSTILE_CASES: HostileCase[] = [
  // Seeds, ranges and counts.
  bad('run --seed text', run(TINY, '--seed', 'abc'), /seed/),
  bad('run --seed negative', run(TINY, '--seed', '-1'), /seed/),
  bad('run --seed fraction', run(TINY, '--seed', '1.5'), /seed/),
  bad('run --seed huge', run(TINY, '--seed', '99999999999999999999999'), /seed/),
  bad('run unknown variant', run(TINY, '--seed', '1', '--variant', 'nope'), /nope/),
  bad('run unknown flag', run(TINY, '--frobnicate'), /frobnicate/),
  bad('run --seed-timeout negative', run(TINY, '--seed', '1', '--seed-timeout', '-2'), /seed-timeout/),
  bad('run --seed-timeout text', run(TINY, '--seed', '1', '--seed-timeout', 'soon'), /seed-timeout/),
  bad('run --max-heap-mb negative', run(TINY, '--seed', '1', '--max-heap-mb', '-5'), /max-heap-mb/),
  bad('run --max-heap-mb text', run(TINY, '--seed', '1', '--max-heap-mb', 'lots'), /max-heap-mb/),
  bad('sweep --seeds reversed', sweep(TINY, '--seeds', '9..1'), /seeds/),
  bad('sweep --seeds text', sweep(TINY, '--seeds', 'all'), /seeds/),
  bad('sweep --seeds open range', sweep(TINY, '--seeds', '1..'), /seeds/),
  bad('sweep --seeds negative', sweep(TINY, '--seeds', '-3..4'), /seeds/),
  bad('sweep --workers 0', sweep(TINY, '--seeds', '1..2', '--workers', '0'), /workers/),
  bad('sweep --workers text', sweep(TINY, '--seeds', '1..2', '--workers', 'many'), /workers/),
  bad('sweep --workers fraction', sweep(TINY, '--seeds', '1..2', '--workers', '1.5'), /workers/),
  bad('sweep --shard 3/2', sweep(TINY, '--seeds', '1..4', '--shard', '3/2'), /shard/),
  bad('sweep --shard 0/2', sweep(TINY, '--seeds', '1..4', '--shard', '0/2'), /shard/),
  bad('sweep --shard text', sweep(TINY, '--seeds', '1..4', '--shard', 'half'), /shard/),
  bad('sweep --shard-count 0', sweep(TINY, '--seeds', '1..4', '--shard-count', '0'), /shard/),
  bad('sweep --checkpoint-every 0', sweep(TINY, '--seeds', '1..2', '--out', join(scratch, 'c.json'), '--checkpoint-every', '0'), /checkpoint-every/),
  bad('sweep --checkpoint-every text', sweep(TINY, '--seeds', '1..2', '--out', join(scratch, 'c.json'), '--checkpoint-every', 'often'), /checkpoint-every/),
  bad('sweep --seed-timeout negative', sweep(TINY, '--seeds', '1..2', '--seed-timeout', '-1'), /seed-timeout/),
  bad('sweep --max-heap-mb 0', sweep(TINY, '--seeds', '1..2', '--max-heap-mb', '0'), /max-heap-mb/),
  bad('sweep --shrink-limit text', sweep(TINY, '--seeds', '1..2', '--shrink', '--shrink-limit', 'x'), /shrink-limit/),
  bad('sweep --resume missing file', sweep(TINY, '--seeds', '1..2', '--resume', join(scratch, 'none.json')), /resume|none\.json/),
  bad('shrink without --seed', ['shrink', PLANTED], /seed/),
  bad('shrink --seed-timeout text', ['shrink', PLANTED, '--seed', '1', '--seed-timeout', 'later'], /seed-timeout/),
  bad('shrink --max-runs 0', ['shrink', PLANTED, '--seed', '1', '--max-runs', '0'], /max-runs/),
  bad('shrink unknown check', ['shrink', PLANTED, '--seed', '1', '--check', 'no such check'], /check/),
  bad('compare --seeds one seed', ['compare', TINY, '--seeds', '1..1'], /seeds/),
  bad('compare --seed', ['compare', TINY, '--seed', '1'], /seed/),
  bad('compare --confidence 1', ['compare', TINY, '--seeds', '1..3', '--confidence', '1'], /confidence/),
  bad('compare --confidence text', ['compare', TINY, '--seeds', '1..3', '--confidence', 'high'], /confidence/),
  bad('compare --precision 0', ['compare', TINY, '--seeds', '1..3', '--precision', '0'], /precision/),
  bad('compare --precision negative', ['compare', TINY, '--seeds', '1..3', '--precision', '-0.1'], /precision/),
  bad('compare unknown baseline', ['compare', TINY, '--seeds', '1..3', '--baseline', 'nope'], /nope/),
  bad('unknown command', ['frobnicate'], /frobnicate/),
  bad('model unknown subcommand', ['model', 'from-nothing'], /from-nothing/),

  // Output paths.
  bad('run --report under /proc', run(TINY, '--seed', '1', '--report', '/proc/x'), /\/proc/),
  bad('run --trace under /sys', run(TINY, '--seed', '1', '--trace', '/sys/x/t.json'), /\/sys/),
  bad('run --otlp under a file', run(TINY, '--seed', '1', '--otlp', `${FILE}/t.json`), /is a file/),
  bad('run --trace is a folder', run(TINY, '--seed', '1', '--trace', scratch), /folder/),
  bad('sweep --junit under /proc', sweep(TINY, '--seeds', '1..2', '--junit', '/proc/x/j.xml'), /\/proc/),
  bad('sweep --out is a folder', sweep(TINY, '--seeds', '1..2', '--out', scratch), /folder/),
  bad('sweep --replay-dir under a file', sweep(TINY, '--seeds', '1..2', '--shrink', '--replay-dir', `${FILE}/r`), /is a file/),
  bad('shrink --out under /sys', ['shrink', PLANTED, '--seed', '1', '--out', '/sys/r.json'], /\/sys/),
  bad('compare --report under a file', ['compare', TINY, '--seeds', '1..3', '--report', `${FILE}/c`], /is a file/),
  bad('report --html under /proc', ['report', `${H}/shard-1-3.json`, '--html', '/proc/r.html'], /\/proc/),
  bad('merge --junit is a folder', ['merge', `${H}/shard-1-of-2.json`, '--junit', scratch], /folder/),
  bad('model from-traces --out under a file', ['model', 'from-traces', 'models/fixtures/none.json', '--out', `${FILE}/m.yaml`], /is a file|none\.json/),
  bad('init into a file', ['init', FILE], /a-file/),

  // Malformed input files.
  bad('report of a missing file', ['report', join(scratch, 'missing.json'), '--html', join(scratch, 'r.html')], /missing\.json/),
  bad('report of an empty file', ['report', `${H}/empty.json`, '--html', join(scratch, 'r.html')], /empty\.json/),
  bad('report of truncated JSON', ['report', `${H}/truncated.json`, '--html', join(scratch, 'r.html')], /truncated\.json/),
  bad('report of a JSON array', ['report', `${H}/array.json`, '--html', join(scratch, 'r.html')], /array\.json/),
  bad('report of a run result with a bad figure', ['report', `${H}/result-bad-figure.json`, '--html', join(scratch, 'r.html')], /result-bad-figure\.json/),
  bad('report of a folder', ['report', H, '--html', join(scratch, 'r.html')], /hostile/),
  bad('run --replay of a missing fault node', run(PLANTED, '--replay', `${H}/replay-fault-no-node.json`), /fault/),
  bad('run --replay of an unknown fault kind', run(PLANTED, '--replay', `${H}/replay-fault-kind.json`), /fault|meteor/),
  bad('run --replay with faults as text', run(PLANTED, '--replay', `${H}/replay-faults-string.json`), /faults/),
  bad('run --replay of a negative fault time', run(PLANTED, '--replay', `${H}/replay-fault-negative.json`), /atMs|fault/),
  bad('run --replay of truncated JSON', run(PLANTED, '--replay', `${H}/truncated.json`), /truncated\.json/),
  bad('merge of overlapping shards', ['merge', `${H}/shard-1-3.json`, `${H}/shard-3-4.json`], /overlap|seed 3/),
  bad('merge of a shard that leaves seeds out', ['merge', `${H}/shard-1-of-2.json`], /cover|missing|shard|allow-partial/),
  bad('merge of a result with the wrong shape', ['merge', `${H}/result-results-string.json`], /results/),
  bad('merge of a missing file', ['merge', join(scratch, 'missing.json')], /missing\.json/),
  bad('run of a YAML model with a syntax error', run(`${H}/model-syntax.yaml`, '--seed', '1'), /model-syntax\.yaml/),
  bad('run of a YAML model calling an unknown service', run(`${H}/model-unknown-call.yaml`, '--seed', '1'), /ghost/),
  bad('run of a YAML model with a wrong type', run(`${H}/model-bad-type.yaml`, '--seed', '1'), /replicas/),
  bad('model from-traces of a wrong shape', ['model', 'from-traces', `${H}/otlp-bad-shape.json`], /resourceSpans|otlp-bad-shape/),
  bad('model from-traces of an empty file', ['model', 'from-traces', `${H}/empty.json`], /empty\.json/),

  // Scenario files broken in every way.
  frame('run of a syntax error', run('test/fixtures/syntax-error.ts', '--seed', '1')),
  frame('run of a missing package', run('test/fixtures/missing-package.ts', '--seed', '1'), /left-pad-not-installed/),
  bad('run of a missing file', run(join(scratch, 'nope.ts'), '--seed', '1'), /nope\.ts/),
  bad('run of a folder', run('test/fixtures', '--seed', '1'), /fixtures/),
  bad('run of a folder named .ts', run(`${H}/scenario-folder.ts`, '--seed', '1'), /scenario-folder/),
  bad('run of no default export', run('test/fixtures/no-default.ts', '--seed', '1'), /default/),
  bad('run of a default that is a number', run(`${H}/default-number.ts`, '--seed', '1'), /default|scenario/),
  bad('run of a plain object', run('test/fixtures/not-scenario.ts', '--seed', '1'), /scenario/),
  frame('run of a module that throws at load', run('test/fixtures/throws-on-load.ts', '--seed', '1')),
  frame('sweep of a missing package', sweep('test/fixtures/missing-package.ts', '--seeds', '1..2'), /left-pad-not-installed/),
  bad('list of a missing folder', ['list', join(scratch, 'no-such-dir')], /no-such-dir/),
  bad('list of a file', ['list', FILE], /a-file/),

  // Runaway and buggy seeds: exit 1, the seed named.
  fails('run of an infinite loop', run(RUNAWAY, '--seed', '3', '--seed-timeout', '2'), 3, /seed-timeout|still running/),
  fails('run of a memory hog', run(RUNAWAY, '--seed', '5', '--max-heap-mb', '64'), 5, /heap|memory/),
  fails('run of an unhandled rejection', run(RUNAWAY, '--seed', '11'), 11, /nobody awaits this/),
  fails('run of a handler TypeError', run('test/fixtures/bugs/type-error.ts', '--seed', '4'), 4, /TypeError/),
  fails('run of setTimeout in a handler', run('test/fixtures/bugs/guard-handler.ts', '--seed', '2'), 2, /setTimeout/),
  fails('run of fetch in a handler', run(`${H}/fetch.ts`, '--seed', '2'), 2, /fetch/),
  fails('run of a build() TypeError', run(`${H}/build-throws.ts`, '--seed', '6'), 6, /count/),
  fails('run of a thrown value without a String()', run(`${H}/unstringifiable.ts`, '--seed', '2'), 2, /cannot be turned into text/),
  fails('run --json of a hostile Proxy thrown', run(`${H}/unstringifiable-proxy.ts`, '--seed', '2', '--json'), 2, /cannot be turned into text/),
  fails('sweep over an infinite loop and a memory hog', sweep(RUNAWAY, '--seeds', '2..6', '--workers', '2', '--seed-timeout', '2', '--max-heap-mb', '64'), 3, /seed 5|seed=5|--seed 5/, 90_000),
  fails('sweep of process.exit in a handler', sweep(RUNAWAY, '--seeds', '7..7', '--workers', '1'), 7),
  fails('sweep of a thrown value without a String()', sweep(`${H}/unstringifiable.ts`, '--seeds', '1..2', '--workers', '1'), 1, /cannot be turned into text/),
  fails('shrink of a seed that loops', ['shrink', RUNAWAY, '--seed', '3', '--max-runs', '5', '--seed-timeout', '2'], 3, /seed-timeout|still running/),

  // A mapped host source: fine, and deterministic.
  { name: 'run --check-determinism of process.hrtime', args: run(`${H}/hrtime.ts`, '--seed', '2', '--check-determinism'), expect: 'ok' },
];

/** Runs one case: `node bin/sim.js …` with NO_COLOR, killed (and failed) past its limit. */
export function runCase(testCase: HostileCase): Promise<Outcome> {
  const startedMs = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/sim.js', ...testCase.args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, testCase.limitMs ?? DEFAULT_LIMIT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, timedOut, wallMs: Date.now() - startedMs });
    });
  });
}

/** What is wrong with an outcome, or '' when it meets the case's expectation. */
export function judge(testCase: HostileCase, outcome: Outcome): string {
  if (outcome.timedOut) return `hung: killed after ${Math.round((testCase.limitMs ?? DEFAULT_LIMIT_MS) / 1000)} s`;
  if (outcome.status === 4) return `exit 4: ${firstLine(outcome.stderr)}`;
  if (/\n\s+at .+[:(]\d+|^\s+at .+:\d+:\d+\)?$/m.test(outcome.stderr + '\n' + outcome.stdout)) return `stack trace: ${firstLine(outcome.stderr)}`;
  const lines = outcome.stderr.trimEnd().split('\n');
  switch (testCase.expect) {
    case 'bad-input': {
      if (outcome.status !== 2) return `exit ${outcome.status}, not 2: ${firstLine(outcome.stderr) || firstLine(outcome.stdout)}`;
      if (lines.length !== 1) return `${lines.length} lines on stderr, not 1: ${firstLine(outcome.stderr)}`;
      if (!lines[0]!.startsWith('sim: ')) return `stderr does not start with 'sim: ': ${lines[0]}`;
      if (testCase.mentions && !testCase.mentions.test(lines[0]!)) return `message does not mention ${testCase.mentions}: ${lines[0]}`;
      return '';
    }
    case 'bad-input-frame': {
      if (outcome.status !== 2) return `exit ${outcome.status}, not 2: ${firstLine(outcome.stderr)}`;
      const [first, ...rest] = lines;
      if (!/^sim: \S+:\d+:\d+: /.test(first ?? '')) return `first line names no file:line:col: ${first}`;
      if (rest.length === 0 || !rest.every((line) => /^[> ] +\d* \|/.test(line))) return `not only a code frame after the message: ${rest[0] ?? '(nothing)'}`;
      if (testCase.mentions && !testCase.mentions.test(first!)) return `message does not mention ${testCase.mentions}: ${first}`;
      return '';
    }
    case 'seed-fails': {
      const all = `${outcome.stdout}\n${outcome.stderr}`;
      if (outcome.status !== 1) return `exit ${outcome.status}, not 1: ${firstLine(outcome.stderr) || firstLine(outcome.stdout)}`;
      const seed = testCase.seed!;
      if (!new RegExp(`seed[= ]${seed}\\b|--seed ${seed}\\b|"seed": ${seed}\\b`).test(all)) return `seed ${seed} not named`;
      if (testCase.mentions && !testCase.mentions.test(all)) return `output does not mention ${testCase.mentions}`;
      return '';
    }
    case 'ok':
      return outcome.status === 0 ? '' : `exit ${outcome.status}, not 0: ${firstLine(outcome.stderr)}`;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 160) ?? '';
}

/** A short label of an expectation, for the table. */
export function expectationLabel(testCase: HostileCase): string {
  if (testCase.expect === 'bad-input') return 'exit 2, one line';
  if (testCase.expect === 'bad-input-frame') return 'exit 2, line + frame';
  if (testCase.expect === 'seed-fails') return `exit 1, seed ${testCase.seed}`;
  return 'exit 0';
}
