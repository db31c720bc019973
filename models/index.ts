// Architecture as data: model files (.yaml, .yml, .json) compiled to scenarios, and models derived
// from traces. The one entry point bin/ uses.
export { loadModelScenario, isModelFile, readModelFile, parseModelText, validateModel, modelVariants, MODEL_EXTENSIONS } from './load.ts';
export { compileScenario, buildSystem } from './compile.ts';
export { SystemModel } from './schema.ts';
export type { ModelSystem } from './checks.ts';
export { modelFromTraceFile, modelFromOtlpText, type DerivedModel } from './traces-to-model.ts';
