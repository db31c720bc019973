// Loads a model file (.yaml, .yml or .json): parse (YAML, with line and column on a syntax error),
// validate against the schema, apply each variant's overlay, check references and cycles, and
// compile it to a scenario. Every problem is one ConfigError line (exit 2).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type Scenario } from '../sim/index.ts';
import { SystemModel } from './schema.ts';
import { schemaError, type ModelSource } from './errors.ts';
import { applyOverlay } from './overlay.ts';
import { checkReferences } from './references.ts';
import { checkProfile, parseRateCsv, type RatePoint } from './rate-profile.ts';
import { compileScenario, type ModelVariant } from './compile.ts';
import type { ModelSystem } from './checks.ts';

export { MODEL_EXTENSIONS, isModelFile } from './model-file.ts';

/** Largest model file read (a limit on input). */
const MAX_MODEL_BYTES = 5_000_000;

/** Reads and parses a model file into plain data plus the document for error positions. */
export function readModelFile(file: string): { data: unknown; source: ModelSource } {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(`model file not found: ${file} (check the path)`);
  if (!statSync(path).isFile()) throw new ConfigError(`${file} is not a file: give the path of a .yaml, .yml or .json model`);
  if (statSync(path).size > MAX_MODEL_BYTES) throw new ConfigError(`${file} is larger than ${MAX_MODEL_BYTES} bytes: a model describes an architecture, not data`);
  return parseModelText(readFileSync(path, 'utf8'), file);
}

/** Parses model text (YAML, of which JSON is a subset). */
export function parseModelText(text: string, file: string): { data: unknown; source: ModelSource } {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problem = document.errors[0];
  if (problem) {
    const { line, col } = lines.linePos(problem.pos[0]);
    const what = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`${file}:${line}:${col}: malformed ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${what}`);
  }
  return { data: document.toJS({ maxAliasCount: 100 }), source: { file, document, lines } };
}

/** Validates plain data as a model; `prefix` places the data inside the file (a variant's result). */
export function validateModel(data: unknown, source: ModelSource, where = source.file): SystemModel {
  const parsed = SystemModel.safeParse(data);
  if (!parsed.success) throw schemaError(source, parsed.error, data);
  checkReferences(parsed.data, where);
  return parsed.data;
}

/** The base model and each variant's model, validated. */
export function modelVariants(data: unknown, source: ModelSource): ModelVariant[] {
  const base = validateModel(data, source);
  const variants: ModelVariant[] = [{ name: base.baseline ?? 'base', description: base.description ?? 'the base model', model: base }];
  for (const [name, overlay] of Object.entries(base.variants ?? {})) {
    const where = `${source.file}: variants.${name}`;
    if (variants.some((variant) => variant.name === name)) throw new ConfigError(`${where}: the name is taken by the base model: rename the variant or set baseline`);
    const overlaid = applyOverlay(data as Record<string, unknown>, overlay, `variants.${name}`);
    // Positions point at the overlay's values only approximately, so errors here name the variant instead.
    const model = validateModel(overlaid, { file: `${source.file} (variant ${name})` }, where);
    variants.push({ name, description: `${Object.keys(overlay).join(', ')} changed`, model });
  }
  return variants;
}

/** Loads a model file and compiles it to a scenario that runs like a TypeScript one. */
export function loadModelScenario(file: string): Scenario<ModelSystem> {
  const { data, source } = readModelFile(file);
  const variants = modelVariants(data, source);
  const base = variants[0]!.model;
  return compileScenario(base, variants, rateProfileOf(base, file), file);
}

function rateProfileOf(model: SystemModel, file: string): RatePoint[] | undefined {
  if (model.workload.rateProfile) return checkProfile(model.workload.rateProfile, `${file}: workload.rateProfile`);
  if (model.workload.rateCsv === undefined) return undefined;
  const csv = resolve(dirname(resolve(file)), model.workload.rateCsv);
  if (!existsSync(csv)) throw new ConfigError(`${file}: workload.rateCsv: file not found: ${model.workload.rateCsv} (a path relative to the model)`);
  return parseRateCsv(readFileSync(csv, 'utf8'), model.workload.rateCsv);
}
