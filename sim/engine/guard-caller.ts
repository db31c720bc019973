// Who called a guarded host function: simulated code (scenario, service or user file) or the host
// (Node's internals, the test runner, libraries acting for the host). Only simulated code is refused.
import { fileURLToPath } from 'node:url';
import { relative, sep } from 'node:path';
import { NondeterminismError } from './errors.ts';
import { guardState } from './guard-state.ts';

/** Files of the guard itself (as paths and as URLs): their frames are skipped when reading a stack. */
const GUARD_FILES = ['guard.ts', 'guard-caller.ts', 'guard-modules.ts', 'guard-locale.ts'].flatMap((name) => {
  const url = new URL(`./${name}`, import.meta.url);
  return [`${fileURLToPath(url)}:`, `${url.href}:`];
});

/**
 * The CLI's own folder (bin/ beside sim/, in the repository and in the package's dist/): a call
 * whose nearest code outside libraries is the CLI is the host at work, such as tsx compiling a
 * scenario file (esbuild starts a worker thread) while the CLI imports it under the guard.
 */
const HOST_FOLDER = fileURLToPath(new URL('../../bin/', import.meta.url));

/** Frames read from a stack: deep enough to see through a library into the user's code. */
const STACK_DEPTH = 64;

const FRAME_LOCATION = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?$/;

function isGuardFrame(frame: string): boolean {
  for (const file of GUARD_FILES) if (frame.includes(file)) return true;
  return false;
}

/**
 * A frame of module loading (Node's loaders, tsx, esbuild): whatever it does (compile, cache to
 * disk, start esbuild's worker) is the host loading code, not simulated code at work, even when a
 * scenario's own import statement is further down the stack.
 */
function isModuleLoading(frame: string): boolean {
  return frame.includes('node:internal/modules/') || frame.includes('/node_modules/tsx/') || frame.includes('/node_modules/esbuild/');
}

function isNodeInternal(frame: string): boolean {
  return frame.includes('(node:') || frame.includes(' node:');
}

/** A frame of a built-in function (`Array.forEach`, `new Promise`): neither host nor simulated code. */
function isBuiltin(frame: string): boolean {
  return frame.endsWith('(<anonymous>)') || frame.endsWith('(native)');
}

/** `path:line` of a frame, relative to the working folder when inside it. */
function locationOf(frame: string): string | undefined {
  const match = FRAME_LOCATION.exec(frame.trim());
  if (!match) return undefined;
  let path = match[1]!;
  if (path.startsWith('file://')) path = fileURLToPath(path);
  const inside = relative(process.cwd(), path);
  return `${inside.startsWith('..') || inside.startsWith(sep) ? path : inside}:${match[2]}`;
}

/**
 * The `file:line` of the simulated code behind the current call, or undefined when the host made it.
 * A call whose nearest frame is Node's own code is the host acting for itself (a stream queueing a
 * tick while it writes a log line); otherwise any frame outside node_modules is simulated code, so
 * a library (a debounce, an HTTP client) called by a handler is refused too.
 */
export function simulatedCaller(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_DEPTH;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  if (!stack) return undefined;
  let nearest = true;
  for (const frame of stack.split('\n').slice(1)) {
    if (isGuardFrame(frame) || isBuiltin(frame)) continue;
    if (isModuleLoading(frame)) return undefined;
    if (isNodeInternal(frame)) {
      if (nearest) return undefined;
      continue;
    }
    nearest = false;
    if (frame.includes('/node_modules/')) continue;
    if (frame.includes(HOST_FOLDER)) return undefined;
    return locationOf(frame) ?? frame.trim();
  }
  return undefined;
}

/**
 * Builds the refusal for `name` called from `location`, tells the run, and returns it to throw.
 * Its stack starts at `callee`'s caller, so the first frame is the user's line.
 */
export function refusal(name: string, location: string, advice: string, callee: Function): NondeterminismError {
  const phase = guardState.active?.phase === 'load' ? 'while the scenario file loads' : 'during a run';
  const error = new NondeterminismError(`${name} was called by simulated code ${phase} at ${location}: ${advice}`);
  Error.captureStackTrace(error, callee);
  guardState.active?.onRefusal?.(error);
  return error;
}

/**
 * Wraps a host function so that, while the guard is installed, simulated code calling it gets a
 * NondeterminismError; the host (and everyone when no guard is installed) gets the real function.
 */
export function refused<T extends Function>(real: T, name: string, advice: string): T {
  const guarded = function (this: unknown, ...args: unknown[]): unknown {
    if (guardState.active !== undefined) {
      const location = simulatedCaller();
      if (location !== undefined) throw refusal(name, location, advice, guarded);
    }
    return new.target ? Reflect.construct(real, args, new.target) : real.apply(this, args);
  };
  Object.defineProperty(guarded, 'name', { value: real.name });
  if (real.prototype !== undefined) guarded.prototype = real.prototype;
  return guarded as unknown as T;
}
