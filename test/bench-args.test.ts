// `npm run bench` refuses arguments it does not know and an --only that names nothing, with one
// line and exit 2, before running any case (a typo must not run the whole five-minute bench).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function bench(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run bench arguments', () => {
  it('an --only that names no case or figure fails with one line listing the cases', () => {
    const run = bench('--only=nosuchcase');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^npm run bench: --only=nosuchcase names no case or figure: use one of .*\bmm1\b.*\bsweep1000\b/);
  });

  it('an unknown argument fails with one line naming it and the arguments there are', () => {
    const run = bench('--onyl=mm1');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("npm run bench: unknown argument '--onyl=mm1': use --json, --source and/or --only=NAME (a case or figure name, or part of one)\n");
  });
});

describe('npm run bench compiles the cases', () => {
  it('tsconfig.bench.json compiles every case, and the compiled sweep cases find the compiled scenario', async () => {
    // Inside the project, as .bench-build is: the compiled files import its node_modules.
    const outDir = mkdtempSync(join(root, '.bench-build-test-'));
    try {
      const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.bench.json'), '--outDir', outDir], { encoding: 'utf8', timeout: 120_000 });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
      const sources = readdirSync(join(root, 'bench', 'cases')).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
      expect(sources.length).toBeGreaterThan(5);
      for (const source of sources) expect(existsSync(join(outDir, 'bench', 'cases', source.replace(/\.ts$/, '.js'))), source).toBe(true);
      const compiled = (await import(pathToFileURL(join(outDir, 'bench', 'cases', 'sweep-scenario.js')).href)) as { sweepScenarioFile(): string };
      expect(join(root, compiled.sweepScenarioFile())).toBe(join(outDir, 'scenarios', 'payment-outage.js'));
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
