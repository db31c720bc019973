// The published JSON Schema is generated from the zod schema; this keeps the file from going stale,
// and checks that every example model is valid.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { modelJsonSchema, SCHEMA_FILE } from './json-schema.ts';
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

  it.each(examples)('%s is a valid model', (name) => {
    const { data, source } = readModelFile(join('examples', name));
    expect(modelVariants(data, source).length).toBeGreaterThan(0);
  });
});
