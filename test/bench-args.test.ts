// `npm run bench` refuses arguments it does not know and an --only that names nothing, with one
// line and exit 2, before running any case (a typo must not run the whole five-minute bench).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
    expect(run.stderr).toBe("npm run bench: unknown argument '--onyl=mm1': use --json and/or --only=NAME (a case or figure name, or part of one)\n");
  });
});
