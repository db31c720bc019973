// `sim init [DIR]`: writes a starter into a user's project: a scenario on dsim's services, a vitest
// test over seeds, a CI workflow that sweeps seeds with JUnit output, and `.dsim/` in .gitignore.
// It never overwrites a file: one that exists stops it before anything is written (exit 2).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UsageError } from '../cli-errors.ts';
import { packageRoot } from '../package-root.ts';
import { writeFileAtomic } from '../../reports/atomic-write.ts';

/** One file of the starter: where its template is (under templates/starter) and where it goes. */
interface StarterFile {
  template: string;
  target: string;
  about: string;
}

/** Templates are stored under plain names: npm would drop a `.gitignore` from the package. */
const STARTER_FILES: readonly StarterFile[] = [
  { template: 'scenarios/checkout.ts', target: 'scenarios/checkout.ts', about: 'the scenario: gateway → checkout (circuit breaker) → payments (crashes)' },
  { template: 'scenarios/checkout.test.ts', target: 'scenarios/checkout.test.ts', about: 'a vitest test: every check on seeds 1..20' },
  { template: 'github-workflows/sim.yml', target: '.github/workflows/sim.yml', about: 'CI: the tests, then sim sweep with JUnit output' },
];

/** The folder `sim shrink` writes replay files into by default; the starter's .gitignore covers it. */
const REPLAY_FOLDER = '.dsim/';

/** Runs the command; returns the exit code. */
export async function initCommand(dir: string): Promise<number> {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${dir} is a file: give sim init a folder (default: the current one)`);
  for (const file of STARTER_FILES) {
    const path = join(dir, file.target);
    if (existsSync(path)) throw new UsageError(`${path} already exists: sim init writes only new files (move it away, or run sim init in another folder)`);
  }
  const templates = new URL('templates/starter/', packageRoot());
  const written: [string, string][] = [];
  for (const file of STARTER_FILES) {
    const path = join(dir, file.target);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, readFileSync(new URL(file.template, templates), 'utf8'));
    written.push([path, file.about]);
  }
  const gitignore = await ignoreReplayFolder(dir, fileURLToPath(new URL('gitignore', templates)));
  if (gitignore) written.push(gitignore);
  const width = Math.max(...written.map(([path]) => path.length));
  process.stdout.write(
    [
      'sim init: wrote',
      ...written.map(([path, about]) => `  ${path.padEnd(width)}  ${about}`),
      'next:',
      ...(dir === '.' ? [] : [`  cd ${dir}`]),
      '  npm install --save-dev vitest            (the test runs under vitest)',
      `  npx sim run ${STARTER_FILES[0]!.target} --seed 1`,
      '  npx vitest run',
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

/** Adds `.dsim/` to DIR/.gitignore (creating it from the template when absent); undefined when already there. */
async function ignoreReplayFolder(dir: string, templatePath: string): Promise<[string, string] | undefined> {
  const path = join(dir, '.gitignore');
  if (!existsSync(path)) {
    await writeFileAtomic(path, readFileSync(templatePath, 'utf8'));
    return [path, `ignores ${REPLAY_FOLDER} (replay files of sim shrink)`];
  }
  const current = readFileSync(path, 'utf8');
  const covered = current.split('\n').some((line) => /^\/?\.dsim\/?\s*$/.test(line.trim()));
  if (covered) return undefined;
  await writeFileAtomic(path, `${current}${current === '' || current.endsWith('\n') ? '' : '\n'}${REPLAY_FOLDER}\n`);
  return [path, `${REPLAY_FOLDER} added (replay files of sim shrink)`];
}
