// The layout's import rules (DESIGN.md §2), checked over every production file: no import cycle
// anywhere, and imports between folders point only the allowed way.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE_FOLDERS = ['bin', 'sim', 'services', 'scenarios', 'reports', 'models'];

/** Every production `.ts` file under the source folders (tests and fixtures excluded). */
function productionFiles(): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) files.push(relative(ROOT, path));
    }
  };
  for (const folder of SOURCE_FOLDERS) {
    try { walk(join(ROOT, folder)); } catch { /* a folder that does not exist yet */ }
  }
  return files;
}

/** The repository files a file imports (static and dynamic imports with a literal relative path). */
function importsOf(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...source.matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(ROOT, resolve(ROOT, dirname(file), specifier)));
}

/** The layer a file belongs to, for the direction rules. */
function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'sim' || parts[0] === 'services') return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
  return parts[0]!;
}

/** Which layers each layer may import (besides itself). `sim` is sim/index.ts, the public face. */
const ALLOWED: Record<string, string[]> = {
  'sim/engine': [],
  'sim/world': ['sim/engine'],
  'sim/harness': ['sim/world', 'sim/engine'],
  sim: ['sim/harness', 'sim/world', 'sim/engine'],
  'services/resilience': ['sim', 'sim/engine', 'sim/world', 'sim/harness'],
  'services/messaging': ['sim', 'sim/engine', 'sim/world', 'sim/harness'],
  'services/routing': ['services/resilience', 'sim', 'sim/engine', 'sim/world', 'sim/harness'],
  'services/data': ['services/messaging', 'sim', 'sim/engine', 'sim/world', 'sim/harness'],
  'services/sagas': ['services/data', 'services/messaging', 'services/resilience', 'sim', 'sim/engine', 'sim/world', 'sim/harness'],
  'services/deploy': ['services/routing', 'services/resilience', 'sim', 'sim/engine', 'sim/world', 'sim/harness'],
  'services/consistency': ['services/data', 'services/messaging', 'services/resilience', 'services/routing', 'sim', 'sim/engine', 'sim/world', 'sim/harness'],
  'services/shop': ['services/sagas', 'services/data', 'services/messaging', 'services/resilience', 'services/routing', 'services/deploy', 'sim', 'sim/engine', 'sim/world', 'sim/harness'],
};
const SERVICE_GROUPS = Object.keys(ALLOWED).filter((layer) => layer.startsWith('services/'));
ALLOWED['services'] = SERVICE_GROUPS;
ALLOWED['scenarios'] = ['services', ...SERVICE_GROUPS, 'sim', 'sim/engine', 'sim/world', 'sim/harness'];
ALLOWED['models'] = ALLOWED['scenarios']!;
ALLOWED['reports'] = ['sim', 'sim/engine', 'sim/world', 'sim/harness'];
ALLOWED['bin'] = ['reports', 'scenarios', 'models', 'services', ...SERVICE_GROUPS, 'sim', 'sim/engine', 'sim/world', 'sim/harness'];

/** Finds one import cycle (as a list of files), or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | undefined => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of graph.keys()) {
    if (!state.has(file)) {
      const cycle = visit(file);
      if (cycle) return cycle;
    }
  }
  return undefined;
}

describe('the import rules of the layout', () => {
  const files = productionFiles();
  const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => files.includes(target))]));

  it('finds the production files it checks', () => {
    expect(files).toContain('sim/engine/simulation.ts');
    expect(files).toContain('services/resilience/breaker.ts');
  });

  it('has no import cycle anywhere', () => {
    expect(findCycle(graph)?.join(' → ')).toBeUndefined();
  });

  it('imports only in the allowed directions', () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        if (to !== from && !(ALLOWED[from] ?? []).includes(to)) wrong.push(`${file} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no scenario imports another scenario (shared code lives in scenarios/lib/)', () => {
    const isScenario = (file: string): boolean => /^scenarios\/[^/]+\.ts$/.test(file);
    const wrong = [...graph].flatMap(([file, targets]) => (isScenario(file) ? targets.filter(isScenario).map((target) => `${file} → ${target}`) : []));
    expect(wrong).toEqual([]);
  });
});
