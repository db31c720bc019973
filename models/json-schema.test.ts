// The published JSON Schema is generated from the zod schema; this keeps the file from going stale,
// and checks that every example model is valid.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { modelJsonSchema, SCHEMA_FILE } from './json-schema.ts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { readModelFile, modelVariants } from './load.ts';

describe('models/system.schema.json', () => {
  it('is exactly what the zod schema generates (run `npm run model-schema` after changing models/schema.ts)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(modelJsonSchema());
  });

  it('describes distributions, steps and overlays for editors', () => {
    const schema = JSON.parse(modelJsonSchema());
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'durationMs', 'services', 'workload']));
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.stringify(schema)).toContain('"lognormal"');
    expect(schema.properties.variants.description).toMatch(/Overlays/);
  });
});

describe('examples/', () => {
  const examples = readdirSync('examples').filter((name) => /\.(ya?ml|json)$/.test(name));

  it('holds the three documented models', () => {
    expect(examples.sort()).toEqual(['breaker-cascade.yaml', 'seed-shop.yaml', 'three-tier.yaml']);
  });

  // What an editor checks (the JSON Schema, with a JSON Schema validator) agrees with what sim checks (zod).
  const validate = new Ajv2020({ strict: false }).compile(JSON.parse(modelJsonSchema()));

  it.each(examples)('%s is a valid model, for sim and for an editor', (name) => {
    const { data, source } = readModelFile(join('examples', name));
    expect(modelVariants(data, source).length).toBeGreaterThan(0);
    expect(validate(parse(readFileSync(join('examples', name), 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
  });

  it('an editor flags a misspelt key and a distribution given as text', () => {
    const { data } = readModelFile('examples/three-tier.yaml');
    expect(validate({ ...(data as object), durationMS: 1 })).toBe(false);
    const broken = JSON.parse(JSON.stringify(data));
    broken.services.api.operations.read.cpuMs = '5ms';
    expect(validate(broken)).toBe(false);
  });
});
