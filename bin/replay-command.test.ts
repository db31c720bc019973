// Replay lines survive a real shell: bash splits every quoted line back into the exact words.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { parse } from 'shell-quote';
import { replayCommand, shellLine, withReplayLines } from './replay-command.ts';
import { resumeCommand } from './commands/sweep.ts';
import type { SweepResult } from './sweep-summary.ts';

/** The words bash passes to a command when it reads `line` (each printed NUL-terminated). */
function bashWords(lines: string[]): string[][] {
  const script = lines.map((line) => `printf '%s\\0' ${line}; printf '\\1'`).join('\n');
  const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  expect(run.status).toBe(0);
  return run.stdout.split('\u0001').slice(0, -1).map((words) => words.split('\0').slice(0, -1));
}

describe('replay lines', () => {
  it('leaves plain words alone', () => {
    expect(replayCommand('scenarios/payment-outage.ts', 42, 'sync+breaker')).toBe('sim run scenarios/payment-outage.ts --seed 42 --variant sync+breaker');
    expect(replayCommand('scenarios/x.ts', 7, undefined, ['--swarm'])).toBe('sim run scenarios/x.ts --seed 7 --swarm');
  });

  it('quotes variant names and paths with spaces, parentheses, quotes and $', () => {
    expect(replayCommand('my scenarios/x.ts', 1, 'orchestrated saga')).toBe("sim run 'my scenarios/x.ts' --seed 1 --variant 'orchestrated saga'");
    expect(replayCommand('x.ts', 1, 'sync (Pattern 1)')).toBe("sim run x.ts --seed 1 --variant 'sync (Pattern 1)'");
    expect(replayCommand('x.ts', 1, '$HOME')).toBe('sim run x.ts --seed 1 --variant \\$HOME');
  });

  it('bash reads every line back as the same words, for any text (400 cases)', () => {
    // NUL cannot be in an argument; \u0001 separates the cases in bashWords.
    const word = fc.string({ unit: 'binary', minLength: 0, maxLength: 12 }).filter((text) => !/[\0\u0001]/.test(text));
    const cases = fc.sample(fc.array(word, { minLength: 1, maxLength: 4 }), { numRuns: 400, seed: 20261202 });
    expect(bashWords(cases.map((words) => shellLine(words)))).toEqual(cases);
  });

  it('bash reads a replay and a resume line back as the words the CLI needs', () => {
    const resume = resumeCommand({ file: 'odd dir/x.ts', seeds: { first: 1, last: 9 }, variant: "it's (1)", swarm: true } as SweepResult, 'out dir/partial $1.json');
    const [replayWords, resumeWords] = bashWords([replayCommand('a b/x.ts', 3, 'cost $HOME & `id`!', ['--swarm']), resume]);
    expect(replayWords).toEqual(['sim', 'run', 'a b/x.ts', '--seed', '3', '--variant', 'cost $HOME & `id`!', '--swarm']);
    expect(resumeWords).toEqual(['sim', 'sweep', 'odd dir/x.ts', '--seeds', '1..9', '--variant', "it's (1)", '--swarm', '--resume', 'out dir/partial $1.json', '--out', 'out dir/partial $1.json']);
    expect(parse(resume)).toEqual(resumeWords);
  });

  it('adds a replay line to failing variants of a JSON result only', () => {
    const json = { seed: 1, variants: [{ name: 'ok one', ok: true }, { name: 'bad one', ok: false }] };
    expect(withReplayLines(json, (variant) => replayCommand('x.ts', 1, variant))).toEqual({
      seed: 1,
      variants: [{ name: 'ok one', ok: true }, { name: 'bad one', ok: false, replay: "sim run x.ts --seed 1 --variant 'bad one'" }],
    });
  });
});
