// Where dsim's own files are, whether the CLI runs from the sources (bin/) or from the compiled
// package (dist/bin/): the folder of the package.json named `dsim`, found by walking up.
import { existsSync, readFileSync } from 'node:fs';

/** Folders walked up at most: dist/bin/commands is three below the root. */
const MAX_DEPTH = 4;

/** The package's root folder as a URL ending in `/`. */
export function packageRoot(): URL {
  let folder = new URL('./', import.meta.url);
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const manifest = new URL('package.json', folder);
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'dsim') return folder;
    folder = new URL('../', folder);
  }
  throw new Error(`dsim's package.json not found above ${import.meta.url}`);
}

/** The version in dsim's package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('package.json', packageRoot()), 'utf8')) as { version: string }).version;
}
