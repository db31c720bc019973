// Every host source the guard covers (docs/determinism.md): each mapped one reads the simulation,
// each refused one throws a NondeterminismError naming itself and the caller's line, and no run
// ever opens a real socket. The calls below sit in this file, so they count as simulated code.
import { afterEach, describe, expect, it } from 'vitest';
import * as nodeCrypto from 'node:crypto';
import * as timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as http from 'node:http';
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import * as childProcess from 'node:child_process';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installGuard } from './guard.ts';
import { NondeterminismError } from './errors.ts';
import { scenario } from '../harness/scenario.ts';
import { runScenario } from '../harness/runner.ts';

const EPOCH_MS = Date.UTC(2030, 0, 1);

/** A guard whose randomness is always 0.5 and whose clock reads `clock.nowMs`. */
function guard(refusals: Error[] = []) {
  const clock = { nowMs: 0 };
  const uninstall = installGuard({ random: () => 0.5, nowMs: () => clock.nowMs, epochMs: EPOCH_MS, onRefusal: (error) => refusals.push(error) });
  return { clock, uninstall };
}

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

describe('mapped sources read the simulation', () => {
  it('process.hrtime, hrtime.bigint and process.uptime read virtual time', () => {
    const held = guard();
    uninstall = held.uninstall;
    held.clock.nowMs = 1500.25;
    expect(process.hrtime()).toEqual([1, 500_250_000]);
    expect(process.hrtime([1, 0])).toEqual([0, 500_250_000]);
    expect(process.hrtime.bigint()).toBe(1_500_250_000n);
    expect(process.uptime()).toBe(1.50025);
  });

  it('Date() without new is the virtual date as a string; performance.timeOrigin is the epoch', () => {
    const held = guard();
    uninstall = held.uninstall;
    held.clock.nowMs = 3_600_000;
    expect(Date()).toBe('Tue Jan 01 2030 01:00:00 GMT+0000 (Coordinated Universal Time)');
    expect(new Date()).toBeInstanceOf(Date);
    class Stamp extends Date {}
    expect(new Stamp().getTime()).toBe(EPOCH_MS + 3_600_000);
    expect(performance.timeOrigin).toBe(EPOCH_MS);
  });

  it('a Date.now, Date or Math.random kept from an earlier guard (a module top level) follows the guard in force', () => {
    const first = guard();
    first.clock.nowMs = 5;
    const keptNow = Date.now;
    const KeptDate = Date;
    const keptRandom = Math.random;
    const keptPerformanceNow = performance.now;
    first.uninstall();
    const second = guard();
    uninstall = second.uninstall;
    second.clock.nowMs = 99;
    expect(keptNow()).toBe(EPOCH_MS + 99);
    expect(new KeptDate().getTime()).toBe(EPOCH_MS + 99);
    expect(keptRandom()).toBe(0.5);
    expect(keptPerformanceNow()).toBe(99);
    uninstall();
    uninstall = undefined;
    // With no guard, the host's clock again.
    expect(Math.abs(keptNow() - (performance.timeOrigin + performance.now()))).toBeLessThan(1000);
  });

  it('global crypto and node:crypto random functions draw from the seed', () => {
    uninstall = guard().uninstall;
    expect([...crypto.getRandomValues(new Uint8Array(3))]).toEqual([128, 128, 128]);
    expect(new Uint16Array(crypto.getRandomValues(new Uint16Array(1)).buffer)[0]).toBe(0x8080);
    expect([...nodeCrypto.randomBytes(2)]).toEqual([128, 128]);
    expect([...nodeCrypto.randomFillSync(new Uint8Array(2))]).toEqual([128, 128]);
    expect(nodeCrypto.randomInt(10)).toBe(5);
    expect(nodeCrypto.randomInt(10, 20)).toBe(15);
    expect(nodeCrypto.randomUUID()).toBe('88888888-8888-4888-8888-888888888888');
    expect(crypto.randomUUID()).toBe('88888888-8888-4888-8888-888888888888');
    expect([...nodeCrypto.getRandomValues(new Uint8Array(1))]).toEqual([128]);
  });

  it('the time zone is UTC and the default locale en-US, whatever TZ and LANG say', () => {
    const hostTimeZone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const held = guard();
      uninstall = held.uninstall;
      held.clock.nowMs = 90 * 60_000;
      expect(new Date().getHours()).toBe(1);
      expect(new Date().getTimezoneOffset()).toBe(0);
      expect(new Date().toLocaleString()).toBe('1/1/2030, 1:30:00 AM');
      expect((1234.5).toLocaleString()).toBe('1,234.5');
      expect(new Intl.DateTimeFormat().resolvedOptions()).toMatchObject({ locale: 'en-US', timeZone: 'UTC' });
      // format() without a date formats the virtual now, not the host's.
      expect(new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }).format()).toBe('1:30 AM');
      expect(new Intl.NumberFormat().format(1e6)).toBe('1,000,000');
      expect(new Intl.DateTimeFormat()).toBeInstanceOf(Intl.DateTimeFormat);
      uninstall();
      uninstall = undefined;
      expect(process.env.TZ).toBe('America/New_York');
    } finally {
      if (hostTimeZone === undefined) delete process.env.TZ;
      else process.env.TZ = hostTimeZone;
    }
  });

  it('WeakRef holds its target and FinalizationRegistry never calls back', () => {
    uninstall = guard().uninstall;
    const target = { id: 1 };
    expect(new WeakRef(target).deref()).toBe(target);
    const calls: unknown[] = [];
    const registry = new FinalizationRegistry((held) => calls.push(held));
    registry.register({}, 'token');
    expect(registry.unregister({})).toBe(false);
    expect(calls).toEqual([]);
  });

  it('queueMicrotask and await stay allowed: microtasks run before the clock moves', async () => {
    uninstall = guard().uninstall;
    const order: string[] = [];
    queueMicrotask(() => order.push('microtask'));
    await Promise.resolve();
    order.push('after await');
    expect(order).toEqual(['microtask', 'after await']);
  });
});

const scratch = join(tmpdir(), `dsim-guard-${process.pid}`);

/** Each refused source, called as a handler would call it. */
const refusedCalls: [string, () => unknown][] = [
  ['setTimeout', () => setTimeout(() => undefined, 1)],
  ['util.promisify(setTimeout)', () => promisify(setTimeout)(1)],
  ['timers/promises.setTimeout', () => timersPromises.setTimeout(1)],
  ['timers/promises.setImmediate', () => timersPromises.setImmediate()],
  ['timers/promises.scheduler.wait', () => timersPromises.scheduler.wait(1)],
  ['AbortSignal.timeout', () => AbortSignal.timeout(10)],
  ['process.nextTick', () => process.nextTick(() => undefined)],
  ['process.memoryUsage', () => process.memoryUsage()],
  ['process.memoryUsage.rss', () => process.memoryUsage.rss()],
  ['process.cpuUsage', () => process.cpuUsage()],
  ['performance.mark', () => performance.mark('x')],
  ['MessageChannel', () => new MessageChannel()],
  ['fetch', () => fetch('http://127.0.0.1:9/')],
  ['net.connect', () => net.connect(9, '127.0.0.1')],
  ['net.Socket.connect', () => new net.Socket().connect(9, '127.0.0.1')],
  ['net.createServer', () => net.createServer()],
  ['http.get', () => http.get('http://127.0.0.1:9/')],
  ['http.request', () => http.request('http://127.0.0.1:9/')],
  ['dgram.createSocket', () => dgram.createSocket('udp4')],
  ['dns.lookup', () => dns.lookup('localhost', () => undefined)],
  ['dns.promises.resolve4', () => dns.promises.resolve4('localhost')],
  ['fs.writeFileSync', () => fs.writeFileSync(scratch, 'x')],
  ['fs.openSync', () => fs.openSync(scratch, 'w')],
  ['fs.promises.writeFile', () => fs.promises.writeFile(scratch, 'x')],
  ['fs.promises.readFile', () => fs.promises.readFile('package.json')],
  ['fs.readFile', () => fs.readFile('package.json', () => undefined)],
  ['fs.mkdirSync', () => fs.mkdirSync(scratch)],
  ['child_process.spawn', () => childProcess.spawn('true')],
  ['child_process.execSync', () => childProcess.execSync('true')],
  ['worker_threads.Worker', () => new Worker('', { eval: true })],
  ['crypto.randomBytes with a callback', () => nodeCrypto.randomBytes(4, () => undefined)],
  ['crypto.generateKeyPairSync', () => nodeCrypto.generateKeyPairSync('ed25519')],
  ['os.uptime', () => os.uptime()],
  ['os.loadavg', () => os.loadavg()],
];

describe('refused sources throw a NondeterminismError naming the source and the line', () => {
  it.each(refusedCalls)('%s', (name, call) => {
    const refusals: Error[] = [];
    uninstall = guard(refusals).uninstall;
    let thrown: unknown;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NondeterminismError);
    const message = (thrown as Error).message;
    expect(message.startsWith(`${name} was called by simulated code during a run at sim/engine/guard-sources.test.ts:`)).toBe(true);
    // The run is told, so catching the error cannot hide the refusal.
    expect(refusals).toEqual([thrown]);
    expect(fs.existsSync(scratch)).toBe(false);
  });

  it('synchronous reads stay allowed (input files, like the scenario itself)', () => {
    uninstall = guard().uninstall;
    expect(JSON.parse(fs.readFileSync('package.json', 'utf8')).name).toBe('dsim');
  });

  it('every refused function works again once the guard is removed', async () => {
    guard().uninstall();
    await timersPromises.setTimeout(1);
    expect(process.memoryUsage().rss).toBeGreaterThan(0);
    expect(os.uptime()).toBeGreaterThan(0);
    expect(nodeCrypto.randomBytes(8).equals(nodeCrypto.randomBytes(8))).toBe(false);
  });
});

/** A one-node scenario whose handler calls `attempt` inside a try/catch, as careless code might. */
function swallowing(attempt: () => unknown) {
  return scenario({
    name: 'swallowing',
    description: 'catches whatever its host call throws',
    durationMs: 100,
    quiesceMs: 0,
    workload: { kind: 'open', ratePerSec: 100, maxRequests: 2, request: () => ({ endpoint: 'call', method: 'call' }) },
    variants: [
      {
        name: 'only',
        build: (world) => {
          world.addNode('svc', () => ({
            handlers: {
              call: async () => {
                try {
                  await attempt();
                } catch {
                  // swallowed: the guard must still fail the run
                }
                return 'ok';
              },
            },
          }));
          return { entry: 'svc' };
        },
      },
    ],
  });
}

describe('no run ever opens a real socket', () => {
  it.each([
    ['fetch', (port: number) => fetch(`http://127.0.0.1:${port}/from-sim`)],
    ['net.connect', (port: number) => net.connect(port, '127.0.0.1')],
    ['http.get', (port: number) => http.get(`http://127.0.0.1:${port}/from-sim`)],
  ])('%s from a handler, even caught, fails the run as a crash and reaches no listener', async (name, open) => {
    const connections: string[] = [];
    const server = net.createServer((socket) => {
      connections.push('connection');
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const result = await runScenario(swallowing(() => open(port)), 1);
      const variant = result.variants[0]!;
      expect(variant.ok).toBe(false);
      expect(variant.failures).toHaveLength(1);
      expect(variant.failures[0]!.kind).toBe('crash');
      expect(variant.failures[0]!.message).toMatch(new RegExp(`^${name.replace('.', '\\.')} was called by simulated code during a run at sim/engine/guard-sources\\.test\\.ts:\\d+: a run never opens a real socket`));
      // A connection attempt would reach the listener within milliseconds; give it ample time.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(connections).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the guard covers the whole run', () => {
  it("the system's metrics() runs under the guard: Date.now() there is virtual time", async () => {
    const definition = scenario({
      name: 'metrics-clock',
      description: 'reads the clock in metrics()',
      durationMs: 250,
      quiesceMs: 0,
      workload: { kind: 'open', ratePerSec: 10, maxRequests: 1, request: () => ({ endpoint: 'x', method: 'x' }) },
      variants: [
        {
          name: 'only',
          build: (world) => {
            world.addNode('svc', () => ({ handlers: { x: () => 'ok' } }));
            return { entry: 'svc', metrics: () => ({ clockMs: Date.now() - EPOCH_MS }) };
          },
        },
      ],
    });
    const variant = (await runScenario(definition, 1)).variants[0]!;
    expect(variant.metrics.consistency).toEqual({ clockMs: Math.floor(variant.simulatedMs) });
  });
});
