// `sim init [DIR]`: writes the starter (scenario, vitest test, CI workflow, .gitignore entry) and
// never overwrites a file. Running the starter itself is test/package-e2e.test.ts's job.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSim, expectBadInput, type CliRun } from './run-cli.ts';

const sim = (...args: string[]): Promise<CliRun> => runSim(args);
const emptyDir = (): string => mkdtempSync(join(tmpdir(), 'sim-init-'));
const STARTER = ['scenarios/checkout.ts', 'scenarios/checkout.test.ts', '.github/workflows/sim.yml'];

describe.concurrent('sim init', () => {
  it('writes the scenario, its test, the CI workflow and a .gitignore for .dsim/, and says what to run next', async () => {
    const dir = emptyDir();
    const run = await sim('init', dir);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(readFileSync(join(dir, 'scenarios/checkout.ts'), 'utf8')).toBe(readFileSync('templates/starter/scenarios/checkout.ts', 'utf8'));
    expect(readFileSync(join(dir, 'scenarios/checkout.test.ts'), 'utf8')).toContain("from 'dsim'");
    expect(readFileSync(join(dir, '.github/workflows/sim.yml'), 'utf8')).toMatch(/npx sim sweep scenarios\/checkout\.ts --seeds 1\.\.500 --junit \S+/);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8').split('\n')).toContain('.dsim/');
    for (const file of [...STARTER, '.gitignore']) expect(run.stdout).toContain(join(dir, file));
    expect(run.stdout).toContain('npx sim run scenarios/checkout.ts --seed 1');
  });

  it('adds .dsim/ to an existing .gitignore, keeping its lines, and only once', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.gitignore'), 'node_modules/');
    expect((await sim('init', dir)).status).toBe(0);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.dsim/\n');
  });

  it('leaves a .gitignore that already covers .dsim/ alone', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.gitignore'), '/.dsim\n');
    expect((await sim('init', dir)).status).toBe(0);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('/.dsim\n');
  });
});

describe.concurrent('sim init: bad input', () => {
  it('a folder where a starter file exists: one line naming it, and nothing written', async () => {
    const dir = emptyDir();
    mkdirSync(join(dir, 'scenarios'));
    writeFileSync(join(dir, 'scenarios/checkout.test.ts'), '// mine\n');
    expectBadInput(await sim('init', dir), new RegExp(`^sim: ${join(dir, 'scenarios/checkout.test.ts')} already exists: sim init writes only new files`));
    expect(readFileSync(join(dir, 'scenarios/checkout.test.ts'), 'utf8')).toBe('// mine\n');
    expect(existsSync(join(dir, 'scenarios/checkout.ts'))).toBe(false);
    expect(existsSync(join(dir, '.gitignore'))).toBe(false);
  });

  it('a second init into the same folder', async () => {
    const dir = emptyDir();
    expect((await sim('init', dir)).status).toBe(0);
    expectBadInput(await sim('init', dir), /scenarios\/checkout\.ts already exists/);
  });

  it('a file given as the folder', async () => {
    const file = join(emptyDir(), 'notes.txt');
    writeFileSync(file, '');
    expectBadInput(await sim('init', file), /notes\.txt is a file: give sim init a folder/);
  });
});
