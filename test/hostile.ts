// The hostile-input run of issue 14: every case of test/hostile-cases.ts, two at a time, then a
// table of case, expectation and outcome and one line `hostile: N passed, N failed`. Exits 1 if any
// case failed. Run it with `node --import tsx test/hostile.ts` (a few minutes).
import Table from 'cli-table3';
import { HOSTILE_CASES, expectationLabel, judge, runCase, type HostileCase } from './hostile-cases.ts';

/** Cases run side by side: the machine's two cores, and a sweep case starts threads of its own. */
const CONCURRENCY = 2;

interface Row {
  testCase: HostileCase;
  problem: string;
  outcome: string;
}

async function runAll(): Promise<Row[]> {
  const rows: Row[] = new Array(HOSTILE_CASES.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < HOSTILE_CASES.length) {
      const index = next++;
      const testCase = HOSTILE_CASES[index]!;
      const outcome = await runCase(testCase);
      const problem = judge(testCase, outcome);
      rows[index] = { testCase, problem, outcome: `${problem ? '✗ ' + problem : '✓'} (exit ${outcome.status ?? 'killed'}, ${(outcome.wallMs / 1000).toFixed(1)} s)` };
      process.stderr.write(problem ? 'F' : '.');
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  process.stderr.write('\n');
  return rows;
}

const startedMs = Date.now();
const rows = await runAll();
const table = new Table({ head: ['case', 'expected', 'outcome'], colWidths: [48, 22, 70], wordWrap: true, style: { head: [], border: [] } });
for (const row of rows) table.push([row.testCase.name, expectationLabel(row.testCase), row.outcome]);
console.log(table.toString());
const failed = rows.filter((row) => row.problem).length;
console.log(`wall time ${((Date.now() - startedMs) / 1000).toFixed(0)} s`);
console.log(`hostile: ${rows.length - failed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
