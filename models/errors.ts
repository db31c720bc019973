// Turns a schema failure into the one line a user can act on: where (file:line:column and the
// dotted path), what was expected, what was found.
import type { z } from 'zod';
import type { Document, LineCounter } from 'yaml';
import { ConfigError } from '../sim/index.ts';
import { describeValue } from './schema.ts';

/** Where a model came from, so errors can point into it. */
export interface ModelSource {
  file: string;
  document?: Document;
  lines?: LineCounter;
}

/** `services.payments.operations.charge.steps[0]` from a path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

/** `file:line:column` of the node at `path` in the YAML document, or just `file`. */
export function locate(source: ModelSource, path: readonly PropertyKey[]): string {
  if (!source.document || !source.lines) return source.file;
  for (let depth = path.length; depth >= 0; depth--) {
    const node = source.document.getIn(path.slice(0, depth) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const { line, col } = source.lines.linePos(node.range[0]);
      return `${source.file}:${line}:${col}`;
    }
  }
  return source.file;
}

/** The ConfigError for the most telling issue of a failed parse. */
export function schemaError(source: ModelSource, error: z.ZodError, input: unknown): ConfigError {
  // An unknown key explains a "missing" one next to it (a typo), so it goes first.
  const issues = [...error.issues].sort((a, b) => rank(a) - rank(b));
  const first = issues[0]!;
  const { path, message } = explain(first, input);
  // An unknown key is pointed at itself, not at the object holding it.
  const where = first.code === 'unrecognized_keys' ? [...path, first.keys[0]!] : path;
  return new ConfigError(`${locate(source, where)}: ${formatPath(path) || '(top level)'}: ${message}`);
}

function rank(issue: z.core.$ZodIssue): number {
  return issue.code === 'unrecognized_keys' ? 0 : 1;
}

/** The path and message of an issue, looking inside unions for the branch the input meant. */
function explain(issue: z.core.$ZodIssue, input: unknown): { path: PropertyKey[]; message: string } {
  if (issue.code === 'invalid_union') {
    // A branch that failed deeper than a type mismatch at the union itself is the one the user meant.
    for (const branch of issue.errors) {
      const deeper = branch.find((inner) => inner.path.length > 0 || (inner.code !== 'invalid_type' && inner.code !== 'invalid_union'));
      if (deeper) return explain({ ...deeper, path: [...issue.path, ...deeper.path] } as z.core.$ZodIssue, input);
    }
  }
  const value = valueAt(input, issue.path);
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'record' || issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
    if (value === undefined) message = message.startsWith('Invalid input') ? `is missing: expected ${expected}` : `is missing: ${message}`;
    else if (message.startsWith('Invalid input')) message = `expected ${expected}, got ${describeValue(value)}`;
  }
  else if ((issue.code === 'too_big' || issue.code === 'too_small' || issue.code === 'invalid_format' || issue.code === 'invalid_value') && !message.includes(', got ')) {
    message = `${message.replace(/^Invalid input: /, '')}, got ${describeValue(value)}`;
  } else if (issue.code === 'unrecognized_keys') message = message.replace(/: (did you mean "[^"]+"\?) \(valid keys: [^)]*\)$/, ': $1');
  return { path: [...issue.path], message };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
