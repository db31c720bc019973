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

/** A broken engine invariant: a bug in the simulator, reported with the seed and virtual time. */
export class EngineInvariantError extends Error {
  override name = 'EngineInvariantError';
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

/** Why a remote call failed: one of the engine's codes or a code a service registered. */
export type RpcErrorCode = keyof RpcErrorCodes & string;

const knownCodes = new Set<string>(['timeout', 'refused', 'unavailable', 'overloaded', 'not-found', 'bad-request', 'application']);

/** Makes codes usable in RpcErrors; services call it at module load. Registering twice is harmless. */
export function registerErrorCode(...codes: RpcErrorCode[]): void {
  for (const code of codes) knownCodes.add(code);
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
    if (!knownCodes.has(code)) throw new Error(`unknown RPC error code '${code}': register it with registerErrorCode() in the service that uses it`);
  }
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

/** The message of anything thrown, for trace details and failure records. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
