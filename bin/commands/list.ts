// `sim list [DIR]`: the scenario files in a folder, with their names, variants and descriptions.
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../load-scenario.ts';
import { UsageError } from '../cli-errors.ts';
import { isModelFile } from '../../models/index.ts';

/** The scenario files `sim list` shows for `dir`: its `.ts` files that are not tests, sorted. */
export function scenarioFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`no such folder: ${dir} (give a folder of scenario files)`);
  return readdirSync(dir)
    .filter((name) => (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) || isModelFile(name))
    .sort();
}

/** Prints one block per scenario file in `dir` (default `scenarios`). */
export async function listCommand(dir = 'scenarios'): Promise<number> {
  const files = scenarioFiles(dir);
  if (files.length === 0) {
    process.stdout.write(`no scenario files in ${dir}\n`);
    return 0;
  }
  // Said plainly: reading a scenario's name means running its module.
  process.stdout.write(`importing ${files.length} file${files.length === 1 ? '' : 's'} from ${dir} (scenario files are code: they run with your rights)\n`);
  for (const name of files) {
    const path = join(dir, name);
    try {
      const definition = await loadScenario(path);
      process.stdout.write(`${path}\n  ${definition.name}: ${definition.description}\n  variants: ${definition.variants.map((v) => v.name).join(', ')}\n`);
    } catch (error) {
      process.stdout.write(`${path}\n  (cannot load: ${error instanceof Error ? error.message : String(error)})\n`);
    }
  }
  return 0;
}
