// Per-call faults as values (Toxiproxy's toxics, Simmy's chaos strategies): on a node's method or on
// a link, for a window, hitting a share of the calls. Printed, recorded, replayed and shrunk like
// every fault; applied by putting a CallInjection in effect in the world (sim/world/call-injection.ts).
import type { World } from '../world/world.ts';
import type { CallEffect, CallTarget } from '../world/call-injection.ts';
import { describeDistribution, validateDistribution, type Distribution } from '../engine/rng.ts';
import { ConfigError, registeredErrorCodes, type RpcErrorCode } from '../engine/errors.ts';

export type { CallTarget } from '../world/call-injection.ts';

/** Fields every per-call fault has. */
interface CallFaultBase {
  /** Calls to a node (one method, or all), or messages on a link (`*` matches any endpoint). */
  target: CallTarget;
  /** Share of the calls (link: messages) hit, in [0, 1]. */
  rate: number;
}

/** A per-call fault, as data; its window is the ScheduledFault's `atMs` and `durationMs`. */
export type CallFault =
  | (CallFaultBase & { kind: 'call-latency'; latencyMs: Distribution })
  | (CallFaultBase & { kind: 'call-error'; code: RpcErrorCode })
  | (CallFaultBase & { kind: 'call-blackhole' })
  | (CallFaultBase & { kind: 'call-bandwidth'; bytesPerSec: number })
  | (CallFaultBase & { kind: 'call-first-byte'; delayMs: Distribution });

/** The kinds of per-call faults. */
export const CALL_FAULT_KINDS = ['call-latency', 'call-error', 'call-blackhole', 'call-bandwidth', 'call-first-byte'] as const;
export type CallFaultKind = (typeof CALL_FAULT_KINDS)[number];


/** Calls to `node`'s `method` (every method when omitted), from any caller. */
export const onMethod = (node: string, method?: string): CallTarget => (method === undefined ? { node } : { node, method });
/** Messages on the link `from` → `to` (one direction; `*` matches any endpoint). */
export const onLink = (from: string, to: string): CallTarget => ({ from, to });

/** Adds latency to a share of the calls. */
export const callLatency = (target: CallTarget, latencyMs: Distribution, rate = 1): CallFault => ({ kind: 'call-latency', target, rate, latencyMs });
/** Fails a share of the calls with an error code (method: the handler never runs; link: requests only). */
export const callError = (target: CallTarget, code: RpcErrorCode, rate = 1): CallFault => ({ kind: 'call-error', target, rate, code });
/** Swallows a share of the calls: no answer, the caller times out. */
export const callBlackhole = (target: CallTarget, rate = 1): CallFault => ({ kind: 'call-blackhole', target, rate });
/** Limits bandwidth for a share of the calls (method: the answer is written at it; link: messages sent at it). */
export const callBandwidth = (target: CallTarget, bytesPerSec: number, rate = 1): CallFault => ({ kind: 'call-bandwidth', target, rate, bytesPerSec });
/** Holds the first byte of a share of the answers (method: the slot stays held; link: the link idles). */
export const slowFirstByte = (target: CallTarget, delayMs: Distribution, rate = 1): CallFault => ({ kind: 'call-first-byte', target, rate, delayMs });

/** True for a per-call fault. */
export function isCallFault(fault: { kind: string }): fault is CallFault {
  return (CALL_FAULT_KINDS as readonly string[]).includes(fault.kind);
}

/** `payments.charge`, `payments.*` or `orders->inventory`. */
export function describeTarget(target: CallTarget): string {
  return 'node' in target ? `${target.node}.${target.method ?? '*'}` : `${target.from}->${target.to}`;
}

/** One line, e.g. `call-error payments.charge unavailable rate 0.1`. */
export function describeCallFault(fault: CallFault): string {
  const on = describeTarget(fault.target);
  const rate = `rate ${fault.rate}`;
  switch (fault.kind) {
    case 'call-latency':
      return `call-latency ${on} +${describeDistribution(fault.latencyMs)} ${rate}`;
    case 'call-error':
      return `call-error ${on} ${fault.code} ${rate}`;
    case 'call-blackhole':
      return `call-blackhole ${on} ${rate}`;
    case 'call-bandwidth':
      return `call-bandwidth ${on} ${fault.bytesPerSec}B/s ${rate}`;
    case 'call-first-byte':
      return `call-first-byte ${on} ${describeDistribution(fault.delayMs)} ${rate}`;
  }
}

/** The nodes a per-call fault names. */
export function callFaultNodes(fault: CallFault): string[] {
  return 'node' in fault.target ? [fault.target.node] : [fault.target.from, fault.target.to];
}

/**
 * Checks a per-call fault against a built world (its nodes are checked by the caller): the rate, the
 * effect's figures, and that a named method exists on the node. Throws ConfigError naming `where`.
 */
export function validateCallFault(fault: CallFault, world: World, where: string): void {
  const target = fault.target as Partial<{ node: string; method: string; from: string; to: string }> | undefined;
  if (!target || (typeof target.node !== 'string' && (typeof target.from !== 'string' || typeof target.to !== 'string'))) {
    throw new ConfigError(`${where}: target must be onMethod(node, method?) or onLink(from, to)`);
  }
  if (!(typeof fault.rate === 'number' && fault.rate >= 0 && fault.rate <= 1)) {
    throw new ConfigError(`${where}: injection rate is ${fault.rate}; use a share between 0 and 1`);
  }
  if (target.node !== undefined && target.method !== undefined && world.hasNode(target.node) && !world.node(target.node).hasMethod(target.method)) {
    const methods = world.node(target.node).methodNames().join(', ') || '(none)';
    throw new ConfigError(`${where}: node '${target.node}' has no method '${target.method}'; its methods are ${methods}`);
  }
  switch (fault.kind) {
    case 'call-latency':
      validateDistribution(fault.latencyMs, `${where} latencyMs`);
      break;
    case 'call-first-byte':
      validateDistribution(fault.delayMs, `${where} delayMs`);
      break;
    case 'call-bandwidth':
      if (!(typeof fault.bytesPerSec === 'number' && fault.bytesPerSec > 0 && Number.isFinite(fault.bytesPerSec))) {
        throw new ConfigError(`${where}: bandwidth is ${fault.bytesPerSec} bytes/s; use a finite number > 0`);
      }
      break;
    case 'call-error':
      // The engine's codes and the ones patterns registered; a service's own code is fine too, but
      // an empty or non-string code is a slip.
      if (typeof fault.code !== 'string' || !/^[a-z][a-z0-9-]*$/.test(fault.code)) {
        throw new ConfigError(`${where}: error code ${JSON.stringify(fault.code)} is not a code; use one like ${registeredErrorCodes().slice(0, 4).join(', ')}`);
      }
      break;
    case 'call-blackhole':
      break;
  }
}

/** Puts a per-call fault in effect; the returned function ends it. */
export function applyCallFault(world: World, fault: CallFault): () => void {
  const id = world.callInjections.add({ target: fault.target, effect: effectOf(fault), rate: fault.rate });
  return () => world.callInjections.remove(id);
}

function effectOf(fault: CallFault): CallEffect {
  switch (fault.kind) {
    case 'call-latency':
      return { kind: 'latency', latencyMs: fault.latencyMs };
    case 'call-error':
      return { kind: 'error', code: fault.code };
    case 'call-blackhole':
      return { kind: 'blackhole' };
    case 'call-bandwidth':
      return { kind: 'bandwidth', bytesPerSec: fault.bytesPerSec };
    case 'call-first-byte':
      return { kind: 'first-byte', delayMs: fault.delayMs };
  }
}

/** What a fault regime entry of a per-call kind may set (see FaultRegimeEntry). */
export interface CallRegimeSettings {
  /** Only this method of the target node; every method when omitted. */
  method?: string;
  /** Injection rate; default 0.1. */
  rate?: number;
  /** call-error: the code; default 'unavailable'. */
  code?: RpcErrorCode;
  /** call-latency: added latency; call-first-byte: the hold. Default constant 200 ms. */
  latencyMs?: Distribution;
  /** call-bandwidth: bytes per second; default 10,000. */
  bytesPerSec?: number;
}

/** The concrete fault a regime entry of a per-call kind draws for one target node. */
export function regimeCallFault(kind: CallFaultKind, node: string, settings: CallRegimeSettings): CallFault {
  const target = onMethod(node, settings.method);
  const rate = settings.rate ?? 0.1;
  const latencyMs = settings.latencyMs ?? { kind: 'constant', value: 200 };
  switch (kind) {
    case 'call-latency':
      return callLatency(target, latencyMs, rate);
    case 'call-error':
      return callError(target, settings.code ?? 'unavailable', rate);
    case 'call-blackhole':
      return callBlackhole(target, rate);
    case 'call-bandwidth':
      return callBandwidth(target, settings.bytesPerSec ?? 10_000, rate);
    case 'call-first-byte':
      return slowFirstByte(target, latencyMs, rate);
  }
}
