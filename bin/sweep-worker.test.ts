// What a sweep worker loads before its first seed: every worker pays it again (docs/bench.md), so
// the worker's static import graph must not pull in code only some scenarios need.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** Static value imports and re-exports of a file (`import type` and dynamic `import()` excluded). */
function staticImports(file: string): string[] {
  const source = readFileSync(resolve(ROOT, file), 'utf8');
  const statements = source.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm);
  return [...statements].map((match) => match[1]!);
}

/** Every repository file and every package a file loads through static imports, transitively. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) visit(relative(ROOT, resolve(ROOT, dirname(file), specifier)));
      else if (!specifier.startsWith('node:')) packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('sweep worker start-up', () => {
  it('follows static imports, files and packages, and not dynamic ones', () => {
    const graph = staticGraph('bin/load-scenario.ts');
    expect(graph.files.has('bin/load-scenario.ts')).toBe(true);
    expect(graph.files.has('models/model-file.ts')).toBe(true);
    expect(graph.files.has('sim/harness/scenario.ts')).toBe(true);
    expect(graph.packages.has('@babel/code-frame')).toBe(true);
    // load-scenario.ts imports the model compiler with import() when the file is a model.
    expect(graph.files.has('models/index.ts')).toBe(false);
  });

  it('loads no model compiler, yaml or zod: a TypeScript scenario needs none of them', () => {
    const graph = staticGraph('bin/sweep-worker.ts');
    expect(graph.files.has('bin/load-scenario.ts')).toBe(true);
    expect([...graph.files].filter((file) => file.startsWith('models/'))).toEqual(['models/model-file.ts']);
    expect([...graph.packages].filter((name) => name === 'yaml' || name === 'zod')).toEqual([]);
  });
});
