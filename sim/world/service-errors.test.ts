// Tests for the record of errors thrown by service code (sim/world/service-errors.ts) and how the
// world fills it: grouping, deliberate versus programmer errors, name suggestions, caught bugs,
// hung requests, and engine invariants that stop the run.
import { describe, expect, it } from 'vitest';
import { World } from './world.ts';
import { EngineInvariantError, RpcError, ServiceError } from '../engine/errors.ts';
import { ServiceErrorLog, editDistance, isDsimOwnError, nearestName, userFrame } from './service-errors.ts';
import { fileURLToPath } from 'node:url';

describe('ServiceErrorLog', () => {
  it('groups by node, method, code and message, counts each, keeps the first time, lists the most frequent first', () => {
    const log = new ServiceErrorLog();
    log.record('a', 'get', new TypeError('x is undefined'), 5);
    log.record('a', 'get', new TypeError('x is undefined'), 9);
    log.record('a', 'put', new ServiceError('declined', 'no money'), 7);
    expect(log.list().map(({ code, node, method, count, firstAtMs, bug }) => ({ code, node, method, count, firstAtMs, bug }))).toEqual([
      { code: 'TypeError', node: 'a', method: 'get', count: 2, firstAtMs: 5, bug: true },
      { code: 'declined', node: 'a', method: 'put', count: 1, firstAtMs: 7, bug: false },
    ]);
    expect(log.bugs().map((group) => group.method)).toEqual(['get']);
  });

  it('a plain Error and a thrown string are bugs; RpcError and ServiceError are deliberate', () => {
    const log = new ServiceErrorLog();
    log.record('n', 'm', new Error('oops'), 0);
    log.record('n', 'm', 'text', 0);
    log.record('n', 'm', new RpcError('timeout', 'slow'), 0);
    expect(log.list().map((group) => [group.code, group.bug])).toEqual([
      ['Error', true],
      ['string', true],
      ['timeout', false],
    ]);
  });
});

describe('names and places', () => {
  it('edit distance counts inserts, deletes and substitutions', () => {
    expect(editDistance('charge', 'chrage')).toBe(2);
    expect(editDistance('get', 'gett')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the nearest name only when it is close', () => {
    expect(nearestName('chrage', ['refund', 'charge'])).toBe('charge');
    expect(nearestName('zzzzzz', ['refund', 'charge'])).toBeUndefined();
  });

  it("finds the user's file:line: the first frame outside dsim's folders and node_modules", () => {
    const error = new Error('boom');
    error.stack = [
      'Error: boom',
      `    at guard (${process.cwd()}/sim/engine/guard.ts:40:11)`,
      '    at lib (/home/u/project/node_modules/some-lib/index.js:3:1)',
      `    at handler (${process.cwd()}/scenarios/mine.ts:12:7)`,
      '    at node:internal/process/task_queues:95:5',
    ].join('\n');
    expect(userFrame(error)).toBe('scenarios/mine.ts:12');
    expect(userFrame('not an error')).toBe('');
  });
});

describe('the world records bugs in service code', () => {
  it('a pattern that catches a bug and goes on (a fallback) still records it with reportCaught', async () => {
    const world = new World(1);
    world.addNode('svc', (ctx) => ({
      onStart: () => {
        ctx.reportCaught(new TypeError('bad field'), 'fallback');
        ctx.reportCaught(new ServiceError('declined', 'no'), 'fallback');
      },
    }));
    await world.sim.run();
    expect(world.serviceErrors.bugs().map((group) => [group.node, group.method, group.code, group.message])).toEqual([['svc', 'fallback', 'TypeError', 'bad field']]);
    expect(world.serviceErrors.list()).toHaveLength(1);
  });

  it('the same error object rethrown through several catch sites counts once', async () => {
    const world = new World(1);
    const shared = new RangeError('once');
    world.addNode('svc', (ctx) => ({
      onStart: () => {
        ctx.reportCaught(shared, 'step');
        throw shared;
      },
    }));
    await world.sim.run();
    expect(world.serviceErrors.bugs().map((group) => [group.method, group.count])).toEqual([['step', 1]]);
  });

  it('counts requests still running long after their deadline, per node and method', async () => {
    const world = new World(1);
    world.addNode('locks', () => ({ handlers: { acquire: () => new Promise(() => undefined), free: () => 'ok' } }), { workers: 8 });
    const outcomes: string[] = [];
    for (const method of ['acquire', 'acquire', 'free']) world.request('locks', method, undefined, { timeoutMs: 100 }, (outcome) => outcomes.push(outcome.ok ? 'ok' : outcome.code));
    world.sim.schedule(5_000, () => undefined);
    await world.sim.run();
    expect(outcomes).toEqual(['ok', 'timeout', 'timeout']);
    expect(world.hungRequests(1_000)).toEqual([{ node: 'locks', method: 'acquire', count: 2, oldestStartMs: 0 }]);
    expect(world.hungRequests(10_000)).toEqual([]);
  });

  it('a crash forgets the requests that were running', async () => {
    const world = new World(1);
    world.addNode('locks', () => ({ handlers: { acquire: () => new Promise(() => undefined) } }));
    world.request('locks', 'acquire', undefined, { timeoutMs: 10 }, () => undefined);
    world.sim.schedule(50, () => world.crash('locks'));
    world.sim.schedule(5_000, () => undefined);
    await world.sim.run();
    expect(world.hungRequests(0)).toEqual([]);
  });
});

describe('engine invariants', () => {
  it('a node admitting a request while down throws EngineInvariantError with seed and time', () => {
    const world = new World(42);
    const node = world.addNode('svc', () => ({}));
    world.crash('svc');
    expect(() => node.admit({ method: 'get' } as never)).toThrow(new EngineInvariantError('svc admitted get while down', 42, 0));
    expect(() => node.admit({ method: 'get' } as never)).toThrow('svc admitted get while down (seed 42, at 0 ms)');
  });

  it('a reply to a call the context is not waiting for (and never settled) throws EngineInvariantError', () => {
    const world = new World(7);
    const node = world.addNode('caller', () => ({}));
    const stray = { callId: 999, to: 'db', method: 'get', settled: false, original: undefined };
    expect(() => node.ctx.receiveResponse(stray as never)).toThrow("caller got a reply to call 999 (db.get) it is not waiting for (seed 7, at 0 ms)");
    // A late reply to a call that timed out is normal: ignored.
    expect(() => node.ctx.receiveResponse({ ...stray, settled: true } as never)).not.toThrow();
  });
});

describe("isDsimOwnError: an error from dsim's own engine code", () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const withStack = (...files: string[]): Error => Object.assign(new TypeError('x is undefined'), { stack: ['TypeError: x is undefined', ...files.map((file) => `    at fn (${file}:10:5)`)].join('\n') });

  it('is true when every frame is in sim/, bin/ or reports/ (or Node itself)', () => {
    expect(isDsimOwnError(withStack(`${root}sim/world/node.ts`, 'node:internal/process/task_queues', `${root}sim/engine/simulation.ts`))).toBe(true);
  });

  it("is false when a frame is the user's, a pattern's or a package's", () => {
    expect(isDsimOwnError(withStack(`${root}sim/world/node.ts`, '/home/user/scenario.ts'))).toBe(false);
    expect(isDsimOwnError(withStack(`${root}services/resilience/breaker.ts`))).toBe(false);
    expect(isDsimOwnError(withStack(`${root}sim/engine/simulation.ts`, `${root}sim/harness/runner.test.ts`))).toBe(false);
  });

  it('is false without a stack or for a value that is no Error', () => {
    expect(isDsimOwnError(withStack())).toBe(false);
    expect(isDsimOwnError('a string')).toBe(false);
    expect(isDsimOwnError(new Proxy({}, { getPrototypeOf() { throw new Error('trap'); } }))).toBe(false);
  });
});
