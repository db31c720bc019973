// `sim model from-traces`: an OTLP JSON file in, a model file (YAML text) and a summary out.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../sim/index.ts';
import { readOtlp } from './otlp-read.ts';
import { inferFromSpans } from './from-traces.ts';
import { deriveModel, describeInference } from './derive.ts';
import { parseModelText, modelVariants } from './load.ts';

/** Largest trace file read. */
const MAX_TRACE_BYTES = 1_000_000_000;

/** A derived model: the YAML text, the plain data, and the summary lines. */
export interface DerivedModel {
  yaml: string;
  model: Record<string, unknown>;
  summary: string[];
}

/** Derives a model from OTLP JSON text; `file` names it in errors and in the model's description. */
export function modelFromOtlpText(text: string, file: string): DerivedModel {
  const inference = inferFromSpans(readOtlp(text, file));
  if (inference.entries.size === 0) throw new ConfigError(`${file}: no top-level request among the spans (every span has a parent): export whole traces`);
  const name = `${basename(file).replace(/\.otlp\.json$|\.json$/i, '')}-derived`;
  const model = deriveModel(inference, name, basename(file));
  const summary = describeInference(inference);
  const yaml = `# Derived by sim model from-traces from ${basename(file)}.\n${summary.map((line) => `# ${line}`).join('\n')}\n${stringify(model, { lineWidth: 0 })}`;
  // What we write must load: a derivation that yields an invalid model is a bug here, caught now.
  modelVariants(parseModelText(yaml, name).data, { file: name });
  return { yaml, model, summary };
}

/** Reads an OTLP JSON file and derives its model. */
export function modelFromTraceFile(file: string): DerivedModel {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(`trace file not found: ${file} (write one with sim run <scenario> --otlp FILE)`);
  if (!statSync(path).isFile()) throw new ConfigError(`${file} is not a file: give an OTLP JSON trace export`);
  if (statSync(path).size > MAX_TRACE_BYTES) throw new ConfigError(`${file} is larger than ${MAX_TRACE_BYTES} bytes: export a shorter window`);
  return modelFromOtlpText(readFileSync(path, 'utf8'), file);
}
