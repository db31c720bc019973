// The guard's hold on Node's built-in modules: randomness in node:crypto maps to the run's seed;
// timers, network, child processes, worker threads, asynchronous and writing file-system calls are
// refused to simulated code. Patched once per thread; every wrapper passes through when no guard is
// installed, so the host (and dsim's own output files) never notices.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { guardState } from './guard-state.ts';
import { refused, refusal, simulatedCaller } from './guard-caller.ts';

const require = createRequire(import.meta.url);

type Patchable = Record<string, unknown>;

const TIMER_ADVICE = 'host timers fire in host time, outside the simulation; use ctx.sleep(ms) or ctx.setTimer(ms, fn) from the node context';
const NETWORK_ADVICE = 'a run never opens a real socket; model the remote side as a node (world.addNode) and call it with ctx.call';
const FS_ASYNC_ADVICE = 'an asynchronous file-system call completes in host time, outside the simulation; read input files before the run (or with the *Sync functions), keep state in the node (ctx.durable)';
const FS_WRITE_ADVICE = 'a run writes no files; keep state in the node (ctx.durable) and let the report or trace export write results';
const PROCESS_ADVICE = 'a run starts no process or thread; model the other program as a node (world.addNode)';
const HOST_STATE_ADVICE = 'host state differs from machine to machine; use the simulation (world, ctx) for what you need to measure';
const ASYNC_CRYPTO_ADVICE = 'asynchronous crypto completes on a host thread, outside virtual time; use the *Sync form';

/** Functions of node:fs that write or delete even in their synchronous form. */
const FS_SYNC_WRITES = [
  'appendFileSync', 'chmodSync', 'chownSync', 'copyFileSync', 'cpSync', 'fchmodSync', 'fchownSync', 'ftruncateSync', 'futimesSync',
  'lchownSync', 'linkSync', 'lutimesSync', 'mkdirSync', 'mkdtempSync', 'renameSync', 'rmSync', 'rmdirSync', 'symlinkSync',
  'truncateSync', 'unlinkSync', 'utimesSync', 'writeFileSync',
];

/** Read-only flags of open(): anything else may create, truncate or write a file. */
const READ_ONLY_FLAGS = new Set([undefined, 'r', 'rs', 'sr', 0]);

let patched = false;

/** Patches the built-in modules once per thread (idempotent). */
export function patchBuiltinModules(): void {
  if (patched) return;
  patched = true;
  patchCrypto();
  patchTimers();
  patchNetwork();
  patchFileSystem();
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) refuse(require('node:child_process'), name, `child_process.${name}`, PROCESS_ADVICE);
  refuse(require('node:worker_threads'), 'Worker', 'worker_threads.Worker', PROCESS_ADVICE);
  for (const name of ['uptime', 'freemem', 'loadavg', 'cpus']) refuse(require('node:os'), name, `os.${name}`, HOST_STATE_ADVICE);
  // ESM imports (`import { randomBytes } from 'node:crypto'`) see the patched functions from now on.
  syncBuiltinESMExports();
}

function refuse(module: Patchable, key: string, name: string, advice: string): void {
  const real = module[key];
  if (typeof real === 'function') module[key] = refused(real, name, advice);
}

/** Replaces `module[key]` with `mapped` while a guard is installed; the host function otherwise. */
function mapWhileGuarded(module: Patchable, key: string, mapped: (...args: never[]) => unknown): void {
  const real = module[key] as (...args: unknown[]) => unknown;
  const guarded = function (this: unknown, ...args: unknown[]): unknown {
    return guardState.active ? (mapped as (...args: unknown[]) => unknown).apply(this, args) : real.apply(this, args);
  };
  Object.defineProperty(guarded, 'name', { value: real.name });
  module[key] = guarded;
}

function patchCrypto(): void {
  const crypto = require('node:crypto') as Patchable;
  const random = (): number => guardState.active!.random();
  const refuseCallback = (name: string, callback: unknown, callee: Function): void => {
    if (typeof callback !== 'function') return;
    const location = simulatedCaller();
    if (location !== undefined) throw refusal(`crypto.${name} with a callback`, location, ASYNC_CRYPTO_ADVICE, callee);
  };
  mapWhileGuarded(crypto, 'randomBytes', function randomBytes(size: number, callback?: unknown) {
    refuseCallback('randomBytes', callback, randomBytes);
    return fillRandom(Buffer.alloc(size), random);
  });
  mapWhileGuarded(crypto, 'randomFillSync', (buffer: ArrayBufferView, offset = 0, size?: number) => {
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    fillRandom(bytes.subarray(offset, size === undefined ? undefined : offset + size), random);
    return buffer;
  });
  mapWhileGuarded(crypto, 'randomInt', function randomInt(minOrMax: number, maxOrCallback?: unknown, callback?: unknown) {
    refuseCallback('randomInt', typeof maxOrCallback === 'function' ? maxOrCallback : callback, randomInt);
    const [min, max] = typeof maxOrCallback === 'number' ? [minOrMax, maxOrCallback] : [0, minOrMax];
    return min + Math.floor(random() * (max - min));
  });
  mapWhileGuarded(crypto, 'randomUUID', () => seededUuid(random));
  // crypto.getRandomValues of node:crypto is a getter for the global crypto's, which the guard maps.
  for (const name of ['randomFill', 'generateKey', 'generateKeyPair', 'generatePrime', 'checkPrime', 'pbkdf2', 'scrypt', 'hkdf']) {
    refuse(crypto, name, `crypto.${name}`, ASYNC_CRYPTO_ADVICE);
  }
  for (const name of ['generateKeySync', 'generateKeyPairSync', 'generatePrimeSync']) {
    refuse(crypto, name, `crypto.${name}`, 'keys and primes are drawn from host randomness; derive them from ctx.rng or fixed test keys');
  }
}

function patchTimers(): void {
  const timers = require('node:timers') as Patchable;
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) refuse(timers, name, `timers.${name}`, TIMER_ADVICE);
  const promises = require('node:timers/promises') as Patchable;
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) refuse(promises, name, `timers/promises.${name}`, TIMER_ADVICE);
  const scheduler = promises.scheduler as Patchable | undefined;
  if (scheduler) for (const name of ['wait', 'yield']) refuse(scheduler, name, `timers/promises.scheduler.${name}`, TIMER_ADVICE);
}

function patchNetwork(): void {
  const net = require('node:net') as Patchable & { Socket: { prototype: Patchable } };
  for (const name of ['connect', 'createConnection', 'createServer']) refuse(net, name, `net.${name}`, NETWORK_ADVICE);
  refuse(net.Socket.prototype, 'connect', 'net.Socket.connect', NETWORK_ADVICE);
  for (const module of ['http', 'https']) {
    for (const name of ['request', 'get', 'createServer']) refuse(require(`node:${module}`), name, `${module}.${name}`, NETWORK_ADVICE);
  }
  for (const name of ['connect', 'createServer', 'createSecureServer']) refuse(require('node:http2'), name, `http2.${name}`, NETWORK_ADVICE);
  for (const name of ['connect', 'createServer']) refuse(require('node:tls'), name, `tls.${name}`, NETWORK_ADVICE);
  refuse(require('node:dgram'), 'createSocket', 'dgram.createSocket', NETWORK_ADVICE);
  const dns = require('node:dns') as Patchable & { promises: Patchable };
  for (const [module, prefix] of [[dns, 'dns'], [dns.promises, 'dns.promises']] as const) {
    for (const name of Object.keys(module)) {
      if (name === 'lookup' || name === 'lookupService' || name === 'reverse' || name.startsWith('resolve')) refuse(module, name, `${prefix}.${name}`, NETWORK_ADVICE);
    }
    const resolver = (module.Resolver as { prototype: Patchable } | undefined)?.prototype;
    if (resolver) {
      for (const name of Object.getOwnPropertyNames(resolver)) {
        if (name.startsWith('resolve') || name === 'reverse') refuse(resolver, name, `${prefix}.Resolver.${name}`, NETWORK_ADVICE);
      }
    }
  }
}

function patchFileSystem(): void {
  const fs = require('node:fs') as Patchable & { promises: Patchable };
  for (const name of Object.keys(fs)) {
    const value = fs[name];
    // Asynchronous calls (callbacks, streams, watchers) complete in host time; classes stay.
    if (typeof value !== 'function' || name.endsWith('Sync') || /^[A-Z_]/.test(name)) continue;
    refuse(fs, name, `fs.${name}`, FS_ASYNC_ADVICE);
  }
  for (const name of FS_SYNC_WRITES) refuse(fs, name, `fs.${name}`, FS_WRITE_ADVICE);
  const realOpenSync = fs.openSync as (path: unknown, flags?: unknown, mode?: unknown) => number;
  fs.openSync = function openSync(path: unknown, flags?: unknown, mode?: unknown): number {
    if (guardState.active !== undefined && !READ_ONLY_FLAGS.has(flags as string)) {
      const location = simulatedCaller();
      if (location !== undefined) throw refusal('fs.openSync', location, `flag '${String(flags)}' may write; ${FS_WRITE_ADVICE}`, openSync);
    }
    return realOpenSync(path, flags, mode);
  };
  for (const name of Object.keys(fs.promises)) {
    if (typeof fs.promises[name] === 'function') refuse(fs.promises, name, `fs.promises.${name}`, FS_ASYNC_ADVICE);
  }
}

/** Fills `bytes` with seeded random bytes. */
function fillRandom<T extends Uint8Array>(bytes: T, random: () => number): T {
  for (let index = 0; index < bytes.length; index++) bytes[index] = Math.floor(random() * 256);
  return bytes;
}

/** `crypto.getRandomValues` on the run's seed: any integer typed array, filled byte by byte. */
export function fillRandomView<T extends ArrayBufferView>(array: T, random: () => number): T {
  fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), random);
  return array;
}

/** A version-4 UUID drawn from `random`: same seed, same UUIDs. */
export function seededUuid(random: () => number): `${string}-${string}-${string}-${string}-${string}` {
  const hex: string[] = [];
  for (let index = 0; index < 32; index++) hex.push(Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}
