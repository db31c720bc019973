// Runs the `sim` bin as a user would, for the end-to-end tests: `node bin/sim.js …` with NO_COLOR,
// collecting stdout, stderr and the exit status; async so a file's tests can run side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';

/** What one CLI run printed and how it ended. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sim <args>`; `env` adds variables; `onSpawn` may signal the child (Ctrl-C tests). */
export function runSim(args: string[], env: Record<string, string> = {}, onSpawn?: (child: ChildProcess) => void): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/sim.js', ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    onSpawn?.(child);
  });
}

/** Bad input: exit 2, exactly one line on stderr naming the problem, no stack trace. */
export function expectBadInput(run: CliRun, mentions: RegExp): void {
  expect(run.status).toBe(2);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^sim: /);
  expect(lines[0]).toMatch(mentions);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

/**
 * Bad input in a file: exit 2, one line on stderr naming the problem at `file:line:column`, then
 * only the code frame of that spot (`> 3 | …` and `  | ^` lines), no stack trace.
 */
export function expectBadInputWithFrame(run: CliRun, mentions: RegExp): void {
  expect(run.status).toBe(2);
  const [first, ...frame] = run.stderr.trimEnd().split('\n');
  expect(first).toMatch(/^sim: \S+:\d+:\d+: /);
  expect(first).toMatch(mentions);
  expect(frame.length).toBeGreaterThan(0);
  for (const line of frame) expect(line).toMatch(/^[> ] +\d* \|/);
  expect(frame.some((line) => /^\s+\| +\^/.test(line))).toBe(true);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}
