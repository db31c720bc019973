// A representative part of the hostile-input run (test/hostile.ts runs every case): bad flags, bad
// output paths, malformed input files, broken scenario files and runaway or buggy seeds, each
// judged exactly as the script judges it (exit 2 with one line, exit 1 naming the seed; never
// exit 4, a stack trace or a hang).
import { describe, expect, it } from 'vitest';
import { HOSTILE_CASES, judge, runCase } from './hostile-cases.ts';

/** One or two cases of each kind, cheap ones: the whole set is test/hostile.ts. */
const SUBSET = [
  'run --seed text',
  'sweep --seeds reversed',
  'sweep --shard 3/2',
  'compare --confidence 1',
  'run --max-heap-mb text',
  'sweep --junit under /proc',
  'run --otlp under a file',
  'report of truncated JSON',
  'run --replay of a missing fault node',
  'merge of overlapping shards',
  'run of a YAML model calling an unknown service',
  'run of a syntax error',
  'run of a folder',
  'run of an infinite loop',
  'run of a handler TypeError',
  'run of fetch in a handler',
  'run of a thrown value without a String()',
];

describe.concurrent('hostile inputs (a subset of test/hostile.ts)', () => {
  it('names only cases that exist, and the full run has at least 60', () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(60);
    for (const name of SUBSET) expect(HOSTILE_CASES.map((testCase) => testCase.name)).toContain(name);
  });

  for (const name of SUBSET) {
    const testCase = HOSTILE_CASES.find((candidate) => candidate.name === name)!;
    it(name, async () => {
      // '' is the script's verdict for "met its expectation"; otherwise the problem is shown.
      expect(judge(testCase, await runCase(testCase))).toBe('');
    }, 60_000);
  }
});
