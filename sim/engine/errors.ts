// Error types: operating errors that simulated code handles as values (RpcError), and programmer or
// input errors that stop a run (ConfigError, NondeterminismError, EngineInvariantError).

/**
 * Bad input: an impossible configuration, an unknown node, a malformed scenario. The CLI prints
 * its message as one line and exits with code 2, so the message names the problem and the fix.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Simulated code touched real time, a real timer or Math.random while a run was in progress. */
export class NondeterminismError extends Error {
  override name = 'NondeterminismError';
}

/**
 * A broken engine invariant: a bug in the simulator (exit 4), never a request failure. Give the
 * seed and virtual time so the message says how to reproduce it.
 */
export class EngineInvariantError extends Error {
  override name = 'EngineInvariantError';
  constructor(
    message: string,
    /** The run's seed, when known. */
    readonly seed?: number,
    /** Virtual time of the violation, ms. */
    readonly atMs?: number,
  ) {
    super(seed === undefined ? message : `${message} (seed ${seed}, at ${atMs} ms)`);
  }
}

/**
 * Why a remote call failed: the engine's own codes. Services add theirs (a refusal by policy, a
 * lost write race…) to the type by declaration merging and at run time with `registerErrorCode`:
 * ```ts
 * declare module '../../sim/engine/errors.ts' { interface RpcErrorCodes { 'quota-exceeded': true } }
 * registerErrorCode('quota-exceeded');
 * ```
 */
export interface RpcErrorCodes {
  /** No answer before the deadline (lost message, crashed or partitioned callee, slowness). */
  timeout: true;
  /** The callee's process is down; its host answered at once. */
  refused: true;
  /** Nothing could serve the call (no instance, a component that refuses to try…). */
  unavailable: true;
  /** The callee's request queue was full and it shed the call. */
  overloaded: true;
  /** No such method or resource on the callee. */
  'not-found': true;
  /** The callee refused a malformed request. */
  'bad-request': true;
  /** The handler threw or returned an error. */
  application: true;
}

/**
 * Why a remote call failed: one of the engine's codes, a code a pattern in services/ declared, or
 * a service's own code (`declined`, `out-of-stock`…) thrown with `ServiceError`.
 */
export type RpcErrorCode = (keyof RpcErrorCodes & string) | (string & {});

const knownCodes = new Set<string>(['timeout', 'refused', 'unavailable', 'overloaded', 'not-found', 'bad-request', 'application']);

/**
 * Declares the codes a pattern uses (its type comes from declaration merging into
 * `RpcErrorCodes`); reports list them apart from a service's ad-hoc codes. Registering twice is
 * harmless.
 */
export function registerErrorCode(...codes: (keyof RpcErrorCodes & string)[]): void {
  for (const code of codes) knownCodes.add(code);
}

/** The engine's codes and the ones patterns registered, in registration order. */
export function registeredErrorCodes(): string[] {
  return [...knownCodes];
}

/** True for a code of the engine or one a pattern registered. */
export function isRegisteredErrorCode(code: string): boolean {
  return knownCodes.has(code);
}

/**
 * An error that is data about the simulated system (a failed call, a declined business step, a rolled
 * back procedure), made by the thousand on hot paths. It carries no host stack trace: capturing
 * one for each cost about a sixth of a run, and it would say nothing about the simulation.
 */
export class SimulatedError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** A failed remote call: an operating error, which callers handle as a value. */
export class RpcError extends SimulatedError {
  override name = 'RpcError';
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    /** The node that produced the error, when known. */
    readonly source?: string,
  ) {
    super(message);
    // A typo in a code would otherwise pass for a real failure and silently skip every handler.
  }
}

/**
 * A deliberate failure thrown by service code: `throw new ServiceError('declined', 'card declined')`.
 * It fails only the request it was thrown in; the caller's `await` rejects with an RpcError of the
 * same code and message. This is how a service says "on purpose": anything else it throws (a
 * `TypeError`, a plain `Error`, a string) is treated as a bug and fails the run (see
 * `isDeliberateError`). Subclasses of `SimulatedError` (RpcError and the services' own errors) count
 * as deliberate too.
 */
export class ServiceError extends RpcError {
  override name = 'ServiceError';
  constructor(code: RpcErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * True for an error a service throws on purpose (a `SimulatedError`: ServiceError, RpcError, the
 * and procedure errors): it fails its request and nothing more. Anything else thrown by service
 * code (TypeError, ReferenceError, RangeError, NondeterminismError, ConfigError, a plain Error, a
 * string) is a programmer error and fails the run unless the scenario sets `tolerateServiceErrors`.
 */
export function isDeliberateError(error: unknown): boolean {
  return error instanceof SimulatedError;
}

/** Type guard for RpcError, optionally of one code. */
export function isRpcError(error: unknown, code?: RpcErrorCode): error is RpcError {
  return error instanceof RpcError && (code === undefined || error.code === code);
}

/** Codes that a retry may help with: the call may never have reached a healthy server. */
export function isTransientRpcError(error: unknown): boolean {
  return (
    error instanceof RpcError &&
    (error.code === 'timeout' || error.code === 'refused' || error.code === 'unavailable' || error.code === 'overloaded')
  );
}

/** What `errorMessage` says of a thrown value that can't be turned into text. */
export const UNDESCRIBABLE_ERROR = '(a thrown value that cannot be turned into text: its toString or a property access threw)';

/**
 * The message of anything thrown, for trace details and failure records. Total: a value whose
 * `String()` throws (a poisoned `toString`, a hostile Proxy) gets a placeholder, so a run that
 * throws it still fails loudly instead of the error escaping from the reporting itself.
 */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
    return String(error);
  } catch {
    return UNDESCRIBABLE_ERROR;
  }
}

/**
 * `instanceof` for dsim's error classes that also knows instances made by another copy of dsim's
 * modules. A CommonJS scenario that requires the installed package gets a copy of its own beside
 * the CLI's ES modules; an error crossing between the two must keep its kind (a deliberate
 * RpcError must not turn into a bug, a ConfigError must stay bad input).
 */
function sameKindInAnyCopy(this: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  // A Proxy may throw from its traps: such a value is of no dsim kind (it is a bug's value).
  try {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brandOf(this)] === true;
  } catch {
    return false;
  }
}

/** Each class's brand, found once: a failed check (a saga step's deferral, say) runs on hot paths. */
const brands = new WeakMap<object, symbol>();

/** The symbol that marks instances of `kind` in every copy of dsim (`dsim.error.<class name>`). */
function brandOf(kind: abstract new (...args: never[]) => unknown): symbol {
  let brand = brands.get(kind);
  if (brand === undefined) {
    brand = Symbol.for(`dsim.error.${kind.name}`);
    brands.set(kind, brand);
  }
  return brand;
}

for (const kind of [ConfigError, NondeterminismError, EngineInvariantError, SimulatedError, RpcError, ServiceError]) {
  Object.defineProperty(kind.prototype, brandOf(kind), { value: true });
  Object.defineProperty(kind, Symbol.hasInstance, { value: sameKindInAnyCopy });
}
