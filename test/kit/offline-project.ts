// Builds a user's project that depends on a packed dsim tarball and installs it with no network:
// npm's cache holds every tarball after `npm ci`, but not the registry's package metadata that a
// plain `npm install` resolves versions with. So the project gets a lock file cut from this
// repository's: exactly the packages dsim and the extra dev dependencies need, at the versions
// installed here, and `npm ci --offline` fetches each from the cache by its integrity.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One entry of a lock file's `packages`. */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  [field: string]: unknown;
}

/** Packages a closure may hold: a guard against a lock file that loops. */
const MAX_PACKAGES = 2_000;

/**
 * Writes `package.json` and `package-lock.json` into `dir` for a project whose dev dependencies are
 * the dsim `tarball` (copied beside the project as `dsim.tgz`) and `extraDev` (names installed in
 * this repository, at the versions installed here). Run `npm ci --offline` there afterwards.
 */
export function writeOfflineProject(dir: string, tarball: string, extraDev: readonly string[], repoRoot = process.cwd()): void {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines?: unknown };
  const tarballSpec = `file:${tarball}`;
  const devDependencies: Record<string, string> = { dsim: tarballSpec };
  for (const name of extraDev) devDependencies[name] = lock.packages[`node_modules/${name}`]!.version!;

  const packages: Record<string, LockEntry> = {
    '': { name: basename(dir), version: '1.0.0', devDependencies },
    'node_modules/dsim': {
      version: manifest.version,
      resolved: tarballSpec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      dev: true,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      ...(manifest.engines ? { engines: manifest.engines } : {}),
    },
  };
  const wanted = [...Object.keys(manifest.dependencies), ...extraDev].map((name) => `node_modules/${name}`);
  for (const path of closure(lock.packages, wanted)) {
    const entry = lock.packages[path]!;
    packages[path] = { ...entry, resolved: entry.resolved ?? registryTarball(path, entry.version!), dev: true };
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: basename(dir), version: '1.0.0', private: true, devDependencies }, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify({ name: basename(dir), version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}

/**
 * The registry's tarball URL of a package: this repository's lock file omits it, and without it
 * npm asks the registry's metadata where the tarball is, which an offline cache does not hold.
 */
function registryTarball(path: string, version: string): string {
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`;
}

/** Every lock path reachable from `start` through dependencies, optional ones and required peers. */
function closure(packages: Record<string, LockEntry>, start: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    if (seen.size > MAX_PACKAGES) throw new Error(`more than ${MAX_PACKAGES} packages in the closure: the lock file loops`);
    const path = queue.pop()!;
    if (seen.has(path)) continue;
    const entry = packages[path];
    if (!entry) throw new Error(`${path} is not in package-lock.json: run npm ci`);
    seen.add(path);
    const optional = entry.peerDependenciesMeta ?? {};
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !optional[name]?.optional),
    ];
    for (const name of names) {
      const found = resolveFrom(packages, path, name);
      if (found) queue.push(found);
      else if (!(name in (entry.optionalDependencies ?? {}))) throw new Error(`${name} (needed by ${path}) is not in package-lock.json`);
    }
  }
  return seen;
}

/** Node's lookup over lock paths: `a/node_modules/b/node_modules/x`, then `a/node_modules/x`, then `node_modules/x`. */
function resolveFrom(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    const cut = base.lastIndexOf('/node_modules/');
    if (cut < 0) break;
    base = base.slice(0, cut);
  }
  return packages[`node_modules/${name}`] ? `node_modules/${name}` : undefined;
}
