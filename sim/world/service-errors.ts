// Errors thrown by service code, grouped by message: what a run reports so that a bug in a handler,
// a hook, a timer or a background process is never silent (DESIGN §6, "a bug … is never silent").
import { fileURLToPath } from 'node:url';
import { isDeliberateError, errorMessage, type RpcError } from '../engine/errors.ts';

/** One group of errors with the same node, method, code and message. */
export interface ServiceErrorGroup {
  /** The RpcError code of a deliberate error, else the error's class (`TypeError`, `Error`…). */
  code: string;
  node: string;
  /** The handler's method, or where else it was thrown: `factory`, `onStart`, `onStop`, `onMessage`, `timer`, `spawn`. */
  method: string;
  message: string;
  /** The user's `file:line` (first stack frame outside dsim's own folders), or '' when unknown. */
  where: string;
  count: number;
  /** Virtual time of the first one, ms. */
  firstAtMs: number;
  /** A programmer error (not a deliberate one): it fails the run unless the scenario tolerates it. */
  bug: boolean;
}

/** Groups kept per run; errors of further groups are counted in `ungrouped` only. */
export const MAX_ERROR_GROUPS = 100;

/**
 * Collects errors thrown by service code. The stack is read once per group (its first error), so
 * a handler that throws on every request costs a map lookup per error, not a stack parse.
 */
export class ServiceErrorLog {
  private readonly groups = new Map<string, ServiceErrorGroup>();
  /** Errors whose group did not fit under `MAX_ERROR_GROUPS`. */
  ungrouped = 0;

  /** Records one error; returns its group (undefined when over the group limit). */
  record(node: string, method: string, error: unknown, atMs: number): ServiceErrorGroup | undefined {
    const bug = !isDeliberateError(error);
    const code = bug ? errorClass(error) : String((error as RpcError).code ?? 'application');
    const message = errorMessage(error);
    const key = `${node}\u0000${method}\u0000${code}\u0000${message}`;
    const group = this.groups.get(key);
    if (group !== undefined) {
      group.count++;
      return group;
    }
    if (this.groups.size >= MAX_ERROR_GROUPS) {
      this.ungrouped++;
      return undefined;
    }
    const added: ServiceErrorGroup = { code, node, method, message, where: userFrame(error), count: 1, firstAtMs: atMs, bug };
    this.groups.set(key, added);
    return added;
  }

  /** Every group, most frequent first (ties: first seen first). */
  list(): ServiceErrorGroup[] {
    return [...this.groups.values()].sort((a, b) => b.count - a.count || a.firstAtMs - b.firstAtMs);
  }

  /** Groups of programmer errors, in the order they first happened. */
  bugs(): ServiceErrorGroup[] {
    return [...this.groups.values()].filter((group) => group.bug).sort((a, b) => a.firstAtMs - b.firstAtMs);
  }
}

function errorClass(error: unknown): string {
  // Total, like errorMessage: a hostile Proxy's traps may throw.
  try {
    if (error instanceof Error) return String(error.name || error.constructor.name || 'Error');
  } catch {
    return 'object';
  }
  return typeof error;
}

/** dsim's root folder (this file is sim/world/service-errors.ts). */
const DSIM_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Frames in these folders are dsim's engine and tools, never the user's code. */
const ENGINE_FOLDERS = ['sim/', 'bin/', 'reports/'].map((folder) => DSIM_ROOT + folder);
/** dsim's library of patterns: skipped first, but used when no frame is outside dsim at all. */
const LIBRARY_FOLDERS = [...ENGINE_FOLDERS, DSIM_ROOT + 'services/'];
/** Frames with a file location: `at fn (file:line:col)` or `at file:line:col`. */
const FRAME_LOCATION = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):\d+\)?$/;

/**
 * The user's `file:line` in an error's stack: the first frame outside dsim's own folders and
 * node_modules (then outside the engine only, for a bug inside a pattern), relative to the current
 * directory when inside it; '' when the stack has no such frame (or no stack).
 */
export function userFrame(error: unknown): string {
  let stack: unknown;
  try {
    stack = error instanceof Error ? error.stack : undefined;
  } catch {
    return '';
  }
  if (typeof stack !== 'string' || !stack) return '';
  const locations: { file: string; line: string }[] = [];
  for (const frame of stack.split('\n').slice(1)) {
    const match = FRAME_LOCATION.exec(frame.trim());
    if (!match) continue;
    const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!;
    if (file.startsWith('node:') || file.includes('/node_modules/')) continue;
    locations.push({ file, line: match[2]! });
  }
  const found =
    locations.find((location) => !LIBRARY_FOLDERS.some((folder) => location.file.startsWith(folder))) ??
    locations.find((location) => !ENGINE_FOLDERS.some((folder) => location.file.startsWith(folder)));
  if (!found) return '';
  const cwd = process.cwd() + '/';
  const file = found.file.startsWith(cwd) ? found.file.slice(cwd.length) : found.file;
  return `${file}:${found.line}`;
}

/** dsim's test files, which sit beside the engine's files. */
const TEST_FILE = /\.test\.[cm]?[jt]s$/;

/**
 * True for an error thrown by dsim's own engine code: an Error whose stack has frames and all of
 * them in dsim's engine folders (or Node's internals). Such an error is a bug in dsim, not in the
 * user's code (whose frames would show), so the run reports it as internal (exit 4).
 */
export function isDsimOwnError(error: unknown): boolean {
  let stack: unknown;
  try {
    stack = error instanceof Error ? error.stack : undefined;
  } catch {
    return false;
  }
  if (typeof stack !== 'string') return false;
  let frames = 0;
  for (const frame of stack.split('\n').slice(1)) {
    const match = FRAME_LOCATION.exec(frame.trim());
    if (!match) continue;
    const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!;
    if (file.startsWith('node:')) continue;
    // dsim's own tests (beside the engine's files) call the engine as a user would.
    if (!ENGINE_FOLDERS.some((folder) => file.startsWith(folder)) || TEST_FILE.test(file)) return false;
    frames++;
  }
  return frames > 0;
}

/** Longest name compared by `nearestName` (edit distance is quadratic in length). */
const MAX_SUGGEST_LENGTH = 80;

/** The candidate closest to `name` by edit distance, if close enough to be a likely typo. */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length > MAX_SUGGEST_LENGTH) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate.length > MAX_SUGGEST_LENGTH) continue;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** Levenshtein distance (insert, delete, substitute), one row at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** ` (did you mean 'x'?)`, or '' when nothing is close. */
export function suggestion(name: string, candidates: Iterable<string>): string {
  const nearest = nearestName(name, candidates);
  return nearest === undefined ? '' : ` (did you mean '${nearest}'?)`;
}
