// How `sim` loads scenario files: any of .ts, .mts, .js and .mjs, from a folder with no
// package.json; and each way a file can be broken gets one line naming it (with a code frame of
// the spot when there is one), exit 2, no stack trace.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runSim, expectBadInput, expectBadInputWithFrame, type CliRun } from './run-cli.ts';

const sim = (...args: string[]): Promise<CliRun> => runSim(args);

/** The engine's entry point as a URL, so a scenario outside the repository can import it. */
const ENGINE = pathToFileURL(resolve('sim/index.ts')).href;

/** An echo scenario in plain JavaScript (valid TypeScript too). */
const ECHO_SCENARIO = `import { scenario, always } from '${ENGINE}';
export default scenario({
  name: 'echo',
  description: 'An echo service.',
  durationMs: 1000,
  workload: { kind: 'open', ratePerSec: 20, request: (rng, index) => ({ endpoint: 'echo', method: 'echo', payload: index }) },
  variants: [{ name: 'only', build: (world) => { world.addNode('echo', () => ({ handlers: { echo: (payload) => payload } })); return { entry: 'echo' }; } }],
  checks: [always('nothing', () => true)],
});
`;

describe.concurrent('scenario files load from a folder without a package.json', () => {
  for (const extension of ['ts', 'mts', 'js', 'mjs']) {
    it(`as .${extension}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sim-load-'));
      const file = join(dir, `echo.${extension}`);
      writeFileSync(file, ECHO_SCENARIO);
      const run = await sim('run', file, '--seed', '3', '--json');
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ scenario: 'echo', seed: 3, ok: true });
    });
  }
});

describe.concurrent('scenario files: bad input', () => {
  it('a folder given as the scenario', async () =>
    expectBadInput(await sim('run', 'test/fixtures', '--seed', '1'), /^sim: test\/fixtures is a folder, not a scenario file: give the path of a scenario file \(\.ts, \.mts, \.js, \.mjs\)$/));

  it('a file that is not a script', async () => expectBadInput(await sim('run', 'README.md', '--seed', '1'), /README\.md is not a scenario file: scenario files end in \.ts, \.mts, \.js, \.mjs \(model files in \.yaml, \.yml, \.json\)/));

  it('a JSON file that is not a model names what a model needs', async () => expectBadInput(await sim('run', 'package.json', '--seed', '1'), /^sim: package\.json:\d+:\d+: /));

  it('an import of a package that is not installed names the package, the line and the fix', async () => {
    const run = await sim('run', 'test/fixtures/missing-package.ts', '--seed', '1');
    expectBadInputWithFrame(run, /^sim: test\/fixtures\/missing-package\.ts:3:25: imports the package 'left-pad-not-installed', which is not installed \(install it: npm install --save-dev left-pad-not-installed\)$/);
    expect(run.stderr).toContain("> 3 | import { leftPad } from 'left-pad-not-installed';");
  });

  it('an import of a relative file that does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-load-'));
    writeFileSync(join(dir, 'scenario.mjs'), `import { helper } from './helper.mjs';\nexport default helper;\n`);
    expectBadInputWithFrame(await sim('run', join(dir, 'scenario.mjs'), '--seed', '1'), /scenario\.mjs:1:24: imports '\.\/helper\.mjs', which does not exist/);
  });

  it('a syntax error in a .mjs file names its line and column (V8 gives none)', async () =>
    expectBadInputWithFrame(await sim('run', 'test/fixtures/syntax-error.mjs', '--seed', '1'), /^sim: test\/fixtures\/syntax-error\.mjs:4:3: syntax error: Unexpected identifier 'durationMs'/));

  it('an error thrown while the file loads names the line that threw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-load-'));
    writeFileSync(join(dir, 'throws.mjs'), `const settings = undefined;\nconst rate = settings.rate;\nexport default rate;\n`);
    expectBadInputWithFrame(await sim('run', join(dir, 'throws.mjs'), '--seed', '1'), /throws\.mjs:2:\d+: failed to load: Cannot read properties of undefined \(reading 'rate'\)/);
  });

  it('an error thrown while a .ts file loads names its line in the TypeScript source', async () =>
    expectBadInputWithFrame(await sim('run', 'test/fixtures/throws-on-load.ts', '--seed', '1'), /^sim: test\/fixtures\/throws-on-load\.ts:4:78: failed to load: Cannot read properties of undefined \(reading 'rate'\)$/));

  // Decision: a type-only import is erased when the file loads (as tsc's own output erases it), so
  // a missing package behind one is not an error at run time; `tsc --noEmit` reports the missing types.
  it('a .ts scenario whose type-only imports name a missing package runs', async () => {
    const run = await sim('run', 'test/fixtures/type-only-import.ts', '--seed', '1', '--json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ scenario: 'type-only-import', ok: true });
  });
});

describe('sim --version', () => {
  it("prints the package's version", async () => {
    const run = await sim('--version');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`);
  });
});
