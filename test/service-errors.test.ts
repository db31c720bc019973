// End-to-end tests of "a bug in service code is never silent" (issue 10, part 4), run as a user
// would: each fixture in test/fixtures/bugs plants one kind of bug; the run must exit 1 with the
// node, the method, the message and the user's file:line, on screen and in --json.
import { describe, expect, it } from 'vitest';
import { runSim, type CliRun } from './run-cli.ts';
import type { ServiceErrorGroup } from '../sim/world/service-errors.ts';

const sim = (...args: string[]): Promise<CliRun> => runSim(args);

/** An error group as the JSON result carries it. */
type ErrorGroup = ServiceErrorGroup;

/** Runs a bug fixture on screen and as JSON; returns both and the first variant's JSON. */
async function runBug(name: string) {
  const file = `test/fixtures/bugs/${name}.ts`;
  const [screen, json] = await Promise.all([sim('run', file, '--seed', '1'), sim('run', file, '--seed', '1', '--json')]);
  const variant = JSON.parse(json.stdout).variants[0] as { ok: boolean; failures: { kind: string; check: string; message: string }[]; errors: ErrorGroup[]; hungRequests: unknown[]; metrics: { requests: { failed: number } } };
  return { file, screen, json, variant };
}

/** Exit 1, a crash failure of `node.method` whose message holds `message` and `file:line`, on screen and in JSON. */
async function expectLoudBug(name: string, expected: { node: string; method: string; code: string; message: string; line: number }) {
  const { file, screen, json, variant } = await runBug(name);
  const where = `${file}:${expected.line}`;
  expect(screen.status).toBe(1);
  expect(json.status).toBe(1);
  expect(variant.ok).toBe(false);
  expect(variant.failures[0]).toMatchObject({ kind: 'crash', check: `${expected.node}.${expected.method}` });
  expect(variant.failures[0]!.message).toContain(`${expected.code}: ${expected.message} at ${where}`);
  expect(variant.errors[0]).toMatchObject({ code: expected.code, node: expected.node, method: expected.method, message: expected.message, where, bug: true });
  expect(screen.stdout).toContain(`crash failure of ${expected.node}.${expected.method}`);
  expect(screen.stdout).toContain(`${expected.code}: ${expected.message} at ${where}`);
  expect(screen.stdout).toContain(`replay: sim run ${file} --seed 1 --variant v`);
  return variant;
}

describe.concurrent('a bug in service code fails the run', () => {
  it('a TypeError in a handler: exit 1, the message and file:line on screen and in --json, counted per request', async () => {
    const variant = await expectLoudBug('type-error', { node: 'orders', method: 'place', code: 'TypeError', message: "Cannot read properties of undefined (reading 'name')", line: 15 });
    // Every request failed with the same bug: one group, counted once per request, one failure.
    expect(variant.errors).toHaveLength(1);
    expect(variant.errors[0]!.count).toBe(variant.metrics.requests.failed);
    expect(variant.errors[0]!.count).toBeGreaterThan(1);
    expect(variant.failures).toHaveLength(1);
  });

  it('a guard violation in a handler (setTimeout)', async () => {
    await expectLoudBug('guard-handler', {
      node: 'cache',
      method: 'get',
      code: 'NondeterminismError',
      message: 'setTimeout was called by simulated code during a run at test/fixtures/bugs/guard-handler.ts:11: real timers fire in host time, outside the simulation; use ctx.sleep(ms) or ctx.setTimer(ms, fn) from the node context',
      line: 11,
    });
  });

  it('a guard violation in a node factory (setInterval)', async () => {
    await expectLoudBug('guard-factory', {
      node: 'stats',
      method: 'factory',
      code: 'NondeterminismError',
      message: 'setInterval was called by simulated code during a run at test/fixtures/bugs/guard-factory.ts:14: real timers fire in host time, outside the simulation; use ctx.sleep(ms) or ctx.setTimer(ms, fn) from the node context',
      line: 14,
    });
  });

  it('a call to an unknown method names it and suggests the nearest one', async () => {
    await expectLoudBug('unknown-method', { node: 'shop', method: 'call', code: 'ReferenceError', message: "shop calls payments.chrage, but payments has no method 'chrage' (did you mean 'charge'?)", line: 12 });
  });

  it('an error in onStart', async () => {
    await expectLoudBug('on-start', { node: 'api', method: 'onStart', code: 'TypeError', message: "Cannot read properties of undefined (reading 'port')", line: 15 });
  });

  it('an error in a spawned process', async () => {
    await expectLoudBug('spawn', { node: 'reporter', method: 'spawn', code: 'RangeError', message: 'Division by zero', line: 16 });
  });

  it('a handler that never resolves: exit 1, the hung requests counted per node and method', async () => {
    const { screen, json, variant } = await runBug('never-resolves');
    expect(screen.status).toBe(1);
    expect(json.status).toBe(1);
    expect(variant.hungRequests).toEqual([{ node: 'locks', method: 'acquire', count: 6, oldestStartMs: 424.294 }]);
    expect(variant.failures).toEqual([
      expect.objectContaining({ kind: 'liveness', check: 'hung requests', message: expect.stringContaining('locks.acquire: 6 (oldest started at 424 ms)') }),
    ]);
    expect(screen.stdout).toContain('v: 6 hung requests in locks.acquire');
  });

  it('a scenario that tolerates service errors says so: exit 0, the errors still listed', async () => {
    const { screen, json, variant } = await runBug('tolerated');
    expect(screen.status).toBe(0);
    expect(json.status).toBe(0);
    expect(variant.failures).toEqual([]);
    expect(variant.errors).toEqual([
      expect.objectContaining({ code: 'TypeError', node: 'svc', method: 'work', message: "Cannot read properties of undefined (reading 'id')", where: 'test/fixtures/bugs/tolerated.ts:12', bug: true }),
    ]);
    expect(screen.stdout).toMatch(/\d+× svc\.work bug TypeError: Cannot read properties of undefined \(reading 'id'\) at test\/fixtures\/bugs\/tolerated\.ts:12/);
  });
});
