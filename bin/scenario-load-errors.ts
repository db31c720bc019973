// Turns an error thrown while importing a scenario file into one line naming the problem, the
// `file:line:column` where it is and the fix, plus a code frame of that spot when it is known.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeFrameColumns } from '@babel/code-frame';
import { ConfigError } from '../sim/engine/errors.ts';
import { UsageError, oneLine } from './cli-errors.ts';

/** A spot in a source file: line and column both count from 1, as editors do. */
interface Spot {
  path: string;
  line: number;
  column: number;
}

/** The error that `sim` reports for `error`, thrown while importing the scenario `file`. */
export async function describeLoadError(file: string, error: unknown): Promise<UsageError> {
  if (error instanceof ConfigError) return new UsageError(`${file}: ${oneLine(error.message)}`);
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return missingModule(file, error as Error);
  if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return atSpot(`${file} imports a path that its package does not export: ${oneLine(message)}`, undefined);
  const missingExport = /The requested module '([^']+)' does not provide an export named '([^']+)'/.exec(message);
  if (missingExport) {
    const [, specifier, name] = missingExport;
    return atSpot(`imports '${name}' from '${specifier}', which has no export of that name (check the spelling and the package's exports)`, findImport(resolvePath(file), specifier!));
  }
  const transformed = /^(.+):(\d+):(\d+): ERROR: (.+)$/m.exec(message);
  if (transformed) {
    const [, path, line, column, problem] = transformed;
    return atSpot(`syntax error: ${problem} (fix the file and run again)`, { path: path!, line: Number(line), column: Number(column) + 1 });
  }
  if (error instanceof SyntaxError) {
    const spot = await parseErrorSpot(resolvePath(file));
    return atSpot(`syntax error: ${oneLine(message)} (fix the file and run again)`, spot ?? undefined, file);
  }
  const thrownAt = error instanceof Error ? userFrame(error) : undefined;
  return atSpot(`failed to load: ${oneLine(message)}`, thrownAt, file);
}

/** A module that is not there: a package to install, or a relative path to fix. */
function missingModule(file: string, error: Error): UsageError {
  const { specifier, importer } = notFoundParts(error);
  if (specifier === undefined) return new UsageError(`${file} imports a module that cannot be found: ${oneLine(error.message)}`);
  const importerPath = importer ?? resolvePath(file);
  const written = isAbsolute(specifier) ? (relativeSpecifierFor(importerPath, specifier) ?? specifier) : specifier;
  const spot = findImport(importerPath, written);
  if (isBareSpecifier(written)) {
    const name = packageName(written);
    return atSpot(`imports the package '${name}', which is not installed (install it: npm install --save-dev ${name})`, spot, file);
  }
  return atSpot(`imports '${written}', which does not exist (check the path and its extension)`, spot, file);
}

/** Node names a missing relative import by its absolute path: find the specifier the file wrote. */
function relativeSpecifierFor(importer: string, absolute: string): string | undefined {
  const source = readSource(importer);
  if (source === undefined) return undefined;
  for (const match of source.matchAll(/(?:from|import|require)\s*\(?\s*(['"])(\.{1,2}\/[^'"]*)\1/g)) {
    if (resolve(dirname(importer), match[2]!) === absolute) return match[2]!;
  }
  return undefined;
}

/** The specifier and the importing file, from Node's ES module or CommonJS "not found" message. */
function notFoundParts(error: Error): { specifier?: string; importer?: string } {
  const esm = /Cannot find (?:package|module) '([^']+)' imported from (.+)$/m.exec(error.message);
  if (esm) return { specifier: specifierOf(esm[1]!), importer: esm[2]!.trim() };
  const cjs = /Cannot find module '([^']+)'/.exec(error.message);
  const stack = (error as { requireStack?: string[] }).requireStack;
  if (cjs) return { specifier: cjs[1]!, ...(stack?.[0] !== undefined ? { importer: stack[0] } : {}) };
  return {};
}

/** Node names a missing package by its folder (`/app/node_modules/x`): keep what the user wrote. */
function specifierOf(reported: string): string {
  const inNodeModules = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(reported);
  return inNodeModules ? inNodeModules[1]! : reported;
}

function isBareSpecifier(specifier: string): boolean {
  return !specifier.startsWith('.') && !isAbsolute(specifier) && !specifier.startsWith('file:');
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Where `path` imports (or requires) `specifier`: the first quoted occurrence after `from`, `import` or `require`. */
function findImport(path: string, specifier: string): Spot | undefined {
  const source = readSource(path);
  if (source === undefined) return undefined;
  const escaped = specifier.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?:from|import|require)\\s*\\(?\\s*(['"])${escaped}\\1`);
  const lines = source.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const match = pattern.exec(lines[index]!);
    if (match) return { path, line: index + 1, column: match.index + match[0].indexOf(match[1]!) + 1 };
  }
  return undefined;
}

/** Where a file fails to parse, by parsing it with esbuild (V8's SyntaxError of an ES module names no spot). */
async function parseErrorSpot(path: string): Promise<Spot | undefined> {
  const source = readSource(path);
  if (source === undefined) return undefined;
  const { transform } = await import('esbuild');
  try {
    await transform(source, { loader: /\.m?ts$/.test(path) ? 'ts' : 'js', format: 'esm', sourcefile: path });
    return undefined;
  } catch (error) {
    const location = (error as { errors?: { location?: { line: number; column: number } | null }[] }).errors?.[0]?.location;
    return location ? { path, line: location.line, column: location.column + 1 } : undefined;
  }
}

/** The first stack frame in the user's own code (not Node's, not a package's, not dsim's). */
function userFrame(error: Error): Spot | undefined {
  for (const line of (error.stack ?? '').split('\n').slice(1)) {
    const frame = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!frame) continue;
    const path = frame[1]!.startsWith('file:') ? fileURLToPath(frame[1]!) : frame[1]!;
    if (path.includes('/node_modules/') || DSIM_FOLDERS.some((folder) => path.startsWith(folder))) continue;
    return { path, line: Number(frame[2]), column: Number(frame[3]) };
  }
  return undefined;
}

/** dsim's own code, skipped when looking for the user's frame (in this repository, scenarios/ and test/ are users' files). */
const DSIM_FOLDERS = ['bin/', 'sim/', 'services/', 'reports/', 'dist/'].map((folder) =>
  fileURLToPath(new URL(`${import.meta.url.endsWith('.ts') ? '../' : '../../'}${folder}`, import.meta.url)),
);

/** The error to report: `where: problem` on one line, and a code frame when the spot is known. */
function atSpot(problem: string, spot: Spot | undefined, file?: string): UsageError {
  if (!spot) return new UsageError(file === undefined ? problem : `${file}: ${problem}`);
  const where = `${displayPath(spot.path)}:${spot.line}:${spot.column}`;
  const source = readSource(spot.path);
  const frame = source === undefined ? undefined : codeFrameColumns(source, { start: { line: spot.line, column: spot.column } }, { highlightCode: false, linesAbove: 2, linesBelow: 2 });
  return new UsageError(`${where}: ${problem}`, frame);
}

function readSource(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function resolvePath(file: string): string {
  return resolve(file);
}

/** A path as the user would type it: relative to the current folder when inside it. */
function displayPath(path: string): string {
  const fromCwd = relative(process.cwd(), path);
  return fromCwd.startsWith('..') || isAbsolute(fromCwd) ? path : fromCwd;
}
