// Bad input for cores, concurrency, link semantics and per-call faults, through the CLI as a user
// meets it: one line on stderr naming the problem and the fix, exit 2, no stack trace.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSim, expectBadInput } from './run-cli.ts';

const run = (fixture: string) => runSim(['run', `test/fixtures/${fixture}.ts`, '--seed', '1']);

describe.concurrent('sim run: bad resource and per-call fault input', () => {
  it('cores <= 0', async () => expectBadInput(await run('bad-cores-zero'), /node real: cores is 0; use a finite number > 0/));
  it('cores that is not a number', async () => expectBadInput(await run('bad-cores-text'), /node real: cores is "four"; use a finite number > 0/));
  it('both threads and eventLoop', async () => expectBadInput(await run('bad-threads-and-event-loop'), /node real: both threads and eventLoop are set; .*choose one/));
  it('an unknown link ordering', async () => expectBadInput(await run('bad-ordering'), /ordering is "lifo": use 'fifo' or 'independent'/));
  it('a bandwidth <= 0', async () => expectBadInput(await run('bad-bandwidth'), /bandwidthBytesPerSec is 0: use a number of bytes per second > 0/));
  it('an injection rate outside [0, 1]', async () => expectBadInput(await run('bad-injection-rate'), /call-error real\.x unavailable rate 1\.5.*injection rate is 1\.5; use a share between 0 and 1/));
  it('a per-call fault naming a method the node does not have', async () => expectBadInput(await run('bad-call-method'), /node 'real' has no method 'charge'; its methods are x/));
});

describe('sim shrink and --replay with per-call faults', () => {
  it('shrinks to the per-call fault alone, at a lower rate, and the replay file reproduces the failure', async () => {
    const replayPath = join(mkdtempSync(join(tmpdir(), 'sim-call-faults-')), 'bug.replay.json');
    const shrink = await runSim(['shrink', 'test/fixtures/call-fault-bug.ts', '--seed', '1', '--out', replayPath]);
    expect(shrink.status).toBe(0);
    const replay = JSON.parse(readFileSync(replayPath, 'utf8'));
    expect(replay.plan.faults).toHaveLength(1);
    const fault = replay.plan.faults[0].fault;
    expect(fault).toMatchObject({ kind: 'call-error', target: { node: 'pay', method: 'charge' }, code: 'unavailable' });
    expect(fault.rate).toBeLessThan(0.5);
    const rerun = await runSim(['run', 'test/fixtures/call-fault-bug.ts', '--replay', replayPath, '--json']);
    expect(rerun.status).toBe(1);
    expect(JSON.parse(rerun.stdout).replay).toMatchObject({ check: 'no charge fails', reproduced: true });
  });
});
