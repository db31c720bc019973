// Loads a scenario file (TypeScript, through tsx) and turns every way it can be broken into one
// clear line: missing file, syntax error, no default export, a default export that is not a scenario.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isScenario, type Scenario } from '../sim/harness/scenario.ts';
import { ConfigError } from '../sim/engine/errors.ts';
import { whileLoading } from '../sim/engine/guard.ts';
import { Rng } from '../sim/engine/rng.ts';
import { UsageError, oneLine } from './cli-errors.ts';

/** Imports `file` and returns its default-exported scenario. */
export async function loadScenario(file: string): Promise<Scenario> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`scenario file not found: ${file} (check the path; 'sim list' shows the scenarios)`);
  if (!statSync(path).isFile()) throw new UsageError(`${file} is not a file: give the path of a scenario .ts file`);
  let module: Record<string, unknown>;
  try {
    // Under the guard: a Date.now() or Math.random() kept at module top level is the same in every
    // process (the simulation's epoch, a fixed stream), and timers or I/O there are refused.
    const random = new Rng(0, 'scenario-load');
    module = await whileLoading(() => import(pathToFileURL(path).href) as Promise<Record<string, unknown>>, () => random.next());
  } catch (error) {
    throw describeLoadError(file, error);
  }
  const exported = module.default;
  if (exported === undefined) {
    throw new UsageError(`${file} has no default export: end it with 'export default scenario({...})'`);
  }
  if (!isScenario(exported)) {
    throw new UsageError(`${file}: its default export is not a scenario: build it with scenario({...}) from sim/index.ts`);
  }
  return exported;
}

function describeLoadError(file: string, error: unknown): Error {
  if (error instanceof ConfigError) return new UsageError(`${file}: ${oneLine(error.message)}`);
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (name === 'SyntaxError' || name === 'TransformError' || /Transform failed|Expected|Unexpected/.test(message)) {
    const firstProblem = message.split('\n').find((line) => /ERROR|Error|Expected|Unexpected/.test(line)) ?? message;
    return new UsageError(`${file} has a syntax error: ${oneLine(firstProblem).replace(/^.*?ERROR:\s*/, '')} (fix the file and run again)`);
  }
  if ((error as { code?: string })?.code === 'ERR_MODULE_NOT_FOUND') {
    return new UsageError(`${file} imports a module that cannot be found: ${oneLine(message)}`);
  }
  return new UsageError(`${file} failed to load: ${oneLine(message)}`);
}
