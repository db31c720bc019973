// Sweep scaling benchmark: `node --import tsx bench/cases/sweep-speedup.ts <seeds>` sweeps the same
// seeds with one worker, then with two, and prints {"speedup", "oneWorkerMs", "twoWorkersMs"}.
import { sweepWallMs } from './sweep.ts';
import { sweepScenarioFile } from './sweep-scenario.ts';

const seeds = Number(process.argv[2] ?? 200);
const file = sweepScenarioFile();
process.stderr.write(`sweep speedup benchmark: ${file}, seeds 1..${seeds}, 1 worker then 2\n`);
const one = await sweepWallMs(file, seeds, 1);
const two = await sweepWallMs(file, seeds, 2);
process.stdout.write(`${JSON.stringify({ speedup: one.wallMs / two.wallMs, oneWorkerMs: one.wallMs, twoWorkersMs: two.wallMs, seeds })}\n`);
