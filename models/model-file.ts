// Which files are models: a check by extension alone, kept apart from the model compiler so that
// loading a TypeScript scenario (in `sim run` and in every sweep worker) never loads yaml, zod and
// the compiler (~250 ms of CPU per thread, measured in docs/bench.md).

import { extname } from 'node:path';

/** File extensions read as models. */
export const MODEL_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/** True when `file` names a model file rather than a TypeScript scenario. */
export function isModelFile(file: string): boolean {
  return (MODEL_EXTENSIONS as readonly string[]).includes(extname(file).toLowerCase());
}
