// The user's path, end to end: `npm pack` this repository, install the tarball into a fresh
// project outside it with no network (npm's cache only), `sim init` there, run the starter
// scenario with `npx sim run`, run its vitest test, sweep it as the CI workflow does, load a .js
// scenario from a folder with no package.json, and type-check against the shipped declarations.
// One pack, one install and one init serve every case (they are the slow part); the cases then
// run side by side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeOfflineProject } from './kit/offline-project.ts';

/** How a command ended. */
interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

const REPO = resolve('.');
/** Longest any one command may take (an install on a loaded machine). */
const COMMAND_TIMEOUT_MS = 180_000;

/** The environment of a user's shell: no vitest variables of this run, no colour, npm offline. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(VITEST|TEST$|NODE_ENV$|NODE_OPTIONS$)/.test(key)) env[key] = value;
  return { ...env, NO_COLOR: '1', npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

/** Runs `command args` in `cwd` as a user would, and resolves with how it ended (never rejects on a non-zero exit). */
function run(cwd: string, command: string, args: string[]): Promise<Outcome> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd, env: userEnv(), timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
      if (status === undefined) fail(new Error(`${command} ${args.join(' ')} in ${cwd} did not finish: ${error?.message}\n${stderr}`));
      else done({ status, stdout, stderr });
    });
  });
}

/** Fails with the command's output when it did not exit 0. */
function expectSuccess(outcome: Outcome): void {
  expect(outcome.status, `stdout:\n${outcome.stdout}\nstderr:\n${outcome.stderr}`).toBe(0);
}

describe.concurrent('the packed package in a fresh project, offline', () => {
  let work: string;
  let project: string;
  let init: Outcome;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'dsim-e2e-'));
    const packed = await run(REPO, 'npm', ['pack', '--pack-destination', work, '--json']);
    expectSuccess(packed);
    const tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    project = join(work, 'project');
    mkdirSync(project);
    writeOfflineProject(project, tarball, ['vitest']);
    expectSuccess(await run(project, 'npm', ['ci', '--offline']));
    init = await run(project, 'npx', ['sim', 'init']);
  }, 3 * COMMAND_TIMEOUT_MS);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('sim --version prints the version of the installed package', async () => {
    const outcome = await run(project, 'npx', ['sim', '--version']);
    expectSuccess(outcome);
    expect(outcome.stdout).toBe(`${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`);
  });

  it('sim init writes the starter, and the starter scenario runs with npx sim run', async () => {
    expectSuccess(init);
    expect(init.stdout).toContain('scenarios/checkout.ts');
    const outcome = await run(project, 'npx', ['sim', 'run', 'scenarios/checkout.ts', '--seed', '1']);
    expectSuccess(outcome);
    expect(outcome.stdout.split('\n')[0]).toBe('seed=1');
    expect(outcome.stdout).toMatch(/checkout {2}seed=1 {2}✓ all checks hold {2}2 variants/);
    expect(outcome.stdout).toContain('crash payments');
  });

  it("the starter's vitest test passes over its seeds", async () => {
    const outcome = await run(project, 'npx', ['vitest', 'run']);
    expectSuccess(outcome);
    expect(outcome.stdout).toMatch(/Tests +21 passed \(21\)/);
  });

  it("the CI workflow's sweep passes and writes JUnit", async () => {
    const outcome = await run(project, 'npx', ['sim', 'sweep', 'scenarios/checkout.ts', '--seeds', '1..4', '--workers', '2', '--junit', 'sim-results/junit.xml']);
    expectSuccess(outcome);
    expect(outcome.stdout).toContain('all 4 seeds passed');
    expect(readFileSync(join(project, 'sim-results/junit.xml'), 'utf8')).toMatch(/<testsuites[^>]* tests="8"/);
  });

  it('a .js scenario in a folder with no package.json runs', async () => {
    mkdirSync(join(project, 'sims'));
    writeFileSync(
      join(project, 'sims/echo.js'),
      `import { scenario, always } from 'dsim';
export default scenario({
  name: 'echo', description: 'An echo service.', durationMs: 1000,
  workload: { kind: 'open', ratePerSec: 20, request: (rng, index) => ({ endpoint: 'echo', method: 'echo', payload: index }) },
  variants: [{ name: 'only', build: (world) => { world.addNode('echo', () => ({ handlers: { echo: (payload) => payload } })); return { entry: 'echo' }; } }],
  checks: [always('answers', () => true)],
});
`,
    );
    const outcome = await run(project, 'npx', ['sim', 'run', 'sims/echo.js', '--seed', '2', '--json']);
    expectSuccess(outcome);
    expect(JSON.parse(outcome.stdout)).toMatchObject({ scenario: 'echo', seed: 2, ok: true });
  });

  it('a syntax error in a scenario names file:line:column with a code frame', async () => {
    mkdirSync(join(project, 'broken'));
    writeFileSync(join(project, 'broken/scenario.mjs'), `import { scenario } from 'dsim';\nexport default scenario({ name: 'x'\n  durationMs: 1000 });\n`);
    const outcome = await run(project, 'npx', ['sim', 'run', 'broken/scenario.mjs', '--seed', '1']);
    expect(outcome.status, outcome.stderr).toBe(2);
    expect(outcome.stderr).toMatch(/^sim: broken\/scenario\.mjs:3:3: syntax error: .*durationMs.* \(fix the file and run again\)\n/);
    expect(outcome.stderr).toContain('> 3 |   durationMs: 1000 });');
  });

  it("TypeScript type-checks the starter against the package's declarations for 'dsim' and 'dsim/services'", async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: false, types: [] }, include: ['scenarios'] }),
    );
    expectSuccess(await run(project, process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', project]));
  });
});
