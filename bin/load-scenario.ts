// Loads a scenario file (.ts, .mts, .js or .mjs, from any folder, with or without a package.json
// there) and turns every way it can be broken into one clear line: missing file, a folder, a
// syntax or import error (with file:line:column and a code frame), no default export, a default
// export that is not a scenario.
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isScenario, type Scenario } from '../sim/harness/scenario.ts';
import { UsageError } from './cli-errors.ts';
import { whileLoading } from '../sim/engine/guard.ts';
import { Rng } from '../sim/engine/rng.ts';
import { describeLoadError } from './scenario-load-errors.ts';
import { isModelFile } from '../models/model-file.ts';

/** File extensions a scenario may have. */
export const SCENARIO_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

/** Imports `file` and returns its default-exported scenario. */
export async function loadScenario(file: string): Promise<Scenario> {
  // A model file (.yaml, .yml, .json) is an architecture as data: models/ compiles it. Imported
  // only then: the compiler, yaml and zod cost ~250 ms of CPU in each thread that loads them.
  if (isModelFile(file)) return (await import('../models/index.ts')).loadModelScenario(file);
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`scenario file not found: ${file} (check the path; 'sim list' shows the scenarios)`);
  if (statSync(path).isDirectory()) throw new UsageError(`${file} is a folder, not a scenario file: give the path of a scenario file (${SCENARIO_EXTENSIONS.join(', ')})`);
  if (!(SCENARIO_EXTENSIONS as readonly string[]).includes(extname(path))) {
    throw new UsageError(`${file} is not a scenario file: scenario files end in ${SCENARIO_EXTENSIONS.join(', ')} (model files in .yaml, .yml, .json)`);
  }
  let module: Record<string, unknown>;
  try {
    await ensureTypeScriptLoader();
    // Under the guard: a Date.now() or Math.random() kept at module top level is the same in every
    // process (the simulation's epoch, a fixed stream), and timers or I/O there are refused.
    const random = new Rng(0, 'scenario-load');
    module = await whileLoading(() => import(pathToFileURL(path).href) as Promise<Record<string, unknown>>, () => random.next());
  } catch (error) {
    throw await describeLoadError(file, error);
  }
  const exported = defaultExport(module);
  if (exported === undefined) {
    throw new UsageError(`${file} has no default export: end it with 'export default scenario({...})'`);
  }
  if (!isScenario(exported)) {
    throw new UsageError(`${file}: its default export is not a scenario: build it with scenario({...}) from 'dsim'`);
  }
  return exported;
}

/**
 * The default export, also when tsx compiled the file to CommonJS (a .ts or .js file outside a
 * `"type": "module"` package): Node then hands over `module.exports`, which holds `default`.
 */
function defaultExport(module: Record<string, unknown>): unknown {
  const exported = module.default as { __esModule?: boolean; default?: unknown } | undefined;
  if (exported !== null && typeof exported === 'object' && exported.__esModule === true) return exported.default;
  return exported;
}

let loaderReady: Promise<void> | undefined;

/**
 * Registers tsx once, for ES modules and for CommonJS: a scenario outside a `"type": "module"`
 * package is compiled to CommonJS, as the `tsx` command does, so it loads from any folder. In this
 * repository the CLI itself runs through tsx's ES module hooks, so only the CommonJS ones are added.
 */
function ensureTypeScriptLoader(): Promise<void> {
  loaderReady ??= (async () => {
    const esmHooksActive = import.meta.url.endsWith('.ts');
    if (!esmHooksActive) (await import('tsx/esm/api')).register();
    (await import('tsx/cjs/api')).register();
  })();
  return loaderReady;
}
