// Exit 4 is for dsim's own bugs only, and names the seed and the replay line; a thrown value that
// can't be turned into text still fails its run loudly (issue 14, "inputs validated at the edge").
import { describe, expect, it } from 'vitest';
import { runSim } from './run-cli.ts';

const INVARIANT = 'test/fixtures/hostile/engine-invariant.ts';

describe.concurrent("dsim's own bugs", () => {
  it('an engine invariant broken in sim run: exit 4, the seed and the replay line', async () => {
    const run = await runSim(['run', INVARIANT, '--seed', '2']);
    expect(run.status).toBe(4);
    const [first, second] = run.stderr.split('\n');
    expect(first).toMatch(/^sim: internal error at seed 2, variant v \(a bug in the simulator; please report it with this replay line\): EngineInvariantError: cannot schedule at /);
    expect(second).toBe(`replay: sim run ${INVARIANT} --seed 2 --variant v`);
    expect(run.stdout).not.toMatch(/"ok": true/);
  });

  it('an engine invariant broken in a sweep: exit 4, the seed and the replay line', async () => {
    const run = await runSim(['sweep', INVARIANT, '--seeds', '1..1', '--workers', '1']);
    expect(run.status).toBe(4);
    const [first, second] = run.stderr.split('\n');
    expect(first).toMatch(/^sim: internal error at seed 1, variant v \(a bug in the simulator; please report it with this replay line\): .*EngineInvariantError: cannot schedule at /);
    expect(second).toBe(`replay: sim run ${INVARIANT} --seed 1 --variant v`);
  });

  it('an engine invariant broken with --seed-timeout 0 (the run in the main thread) is exit 4 too', async () => {
    const run = await runSim(['run', INVARIANT, '--seed', '2', '--seed-timeout', '0']);
    expect(run.status).toBe(4);
    const [first, second] = run.stderr.split('\n');
    expect(first).toMatch(/^sim: internal error at seed 2, variant v \(a bug in the simulator; please report it with this replay line\): EngineInvariantError: /);
    expect(second).toBe(`replay: sim run ${INVARIANT} --seed 2 --variant v`);
  });
});

describe.concurrent('a thrown value that cannot be turned into text', () => {
  for (const fixture of ['unstringifiable', 'unstringifiable-proxy']) {
    it(`${fixture}: the run fails (exit 1) with a placeholder, no raw stack`, async () => {
      const run = await runSim(['run', `test/fixtures/hostile/${fixture}.ts`, '--seed', '2', '--json']);
      expect(run.status).toBe(1);
      const result = JSON.parse(run.stdout);
      expect(result.ok).toBe(false);
      expect(result.variants[0].failures[0]).toMatchObject({ kind: 'crash', check: 'svc.get' });
      expect(result.variants[0].failures[0].message).toMatch(/^object: \(a thrown value that cannot be turned into text: its toString or a property access threw\) — thrown once in svc\.get/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
