// Output paths are checked before any simulation starts: a run of minutes must not end in ENOENT,
// and a path on a pseudo file system (/proc, /sys) must never hang a recursive mkdir.
import { accessSync, constants, mkdirSync, realpathSync, statSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './cli-errors.ts';

/** Roots of kernel pseudo file systems: nothing is written under them. */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

/** statfs magic numbers of pseudo file systems (linux/magic.h), for mounts elsewhere. */
const PSEUDO_MAGICS = new Set([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x1cd1, // devpts
  0x64626720, // debugfs
  0x74726163, // tracefs
  0x27e0eb, // cgroup
  0x63677270, // cgroup2
  0x73636673, // securityfs
  0xcafe4a11, // bpf
]);

/** The deepest folder of `path` that exists, with its real path. */
function nearestExisting(path: string): { path: string; real: string } {
  let current = resolve(path);
  for (;;) {
    try {
      return { path: current, real: realpathSync(current) };
    } catch {
      const parent = dirname(current);
      if (parent === current) return { path: current, real: current };
      current = parent;
    }
  }
}

function onPseudoFileSystem(realPath: string): boolean {
  if (PSEUDO_ROOTS.some((root) => realPath === root || realPath.startsWith(`${root}/`))) return true;
  try {
    return PSEUDO_MAGICS.has(Number(statfsSync(realPath).type));
  } catch {
    return false;
  }
}

/**
 * Checks that folder `folder` exists or can be created, is writable and is on a real file system;
 * throws a one-line UsageError naming `flag` otherwise. Creates nothing.
 */
export function checkOutputFolder(folder: string, flag: string, shown = folder): void {
  const existing = nearestExisting(folder);
  if (onPseudoFileSystem(existing.real)) {
    throw new UsageError(`${flag} ${shown}: ${existing.real} is on a pseudo file system (/proc, /sys, /dev): choose a folder on a disk`);
  }
  const stat = statSync(existing.real);
  if (!stat.isDirectory()) {
    throw new UsageError(`${flag} ${shown}: ${existing.path} is a file, not a folder: choose another path`);
  }
  try {
    accessSync(existing.real, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${flag} ${shown}: ${existing.path} is not writable: choose a folder you can write to`);
  }
}

/** Checks an output file's folder (see checkOutputFolder) and that the path is not a folder itself. */
export function checkOutputFile(file: string, flag: string): void {
  if (file === '' || file.endsWith('/')) throw new UsageError(`${flag} needs a file name, got '${file}'`);
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`${flag} ${file} is a folder: give a file name inside it`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
  }
  checkOutputFolder(dirname(resolve(file)), flag, file);
}

/** Creates an output folder that checkOutputFolder accepted. */
export function makeOutputFolder(folder: string): void {
  mkdirSync(folder, { recursive: true });
}

/** Checks every output flag that is set: `[flag, path, 'file' | 'folder']`. */
export function checkOutputs(outputs: readonly [flag: string, path: string | undefined, kind: 'file' | 'folder'][]): void {
  for (const [flag, path, kind] of outputs) {
    if (path === undefined) continue;
    if (kind === 'file') checkOutputFile(path, flag);
    else checkOutputFolder(path, flag);
  }
}
