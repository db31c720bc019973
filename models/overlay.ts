// Variants as overlays: `with-breaker: { services.orders.calls.payments.breaker: {...} }` sets one
// value at a dotted path of the base model (null deletes it). The path must lead somewhere: every
// segment but the last must already exist, so a typo is an error rather than a silent new key.
import { ConfigError } from '../sim/index.ts';
import { nearestKey } from './nearest.ts';

/** Top-level keys a variant may change: the architecture and its faults, never the shared workload or run length. */
const OVERLAYABLE = ['services', 'gateway', 'broker', 'faults'] as const;

/** A deep copy of plain data (a parsed model holds only JSON values). */
function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * The base model with one variant's overlay applied; the base is not modified. `where` names the
 * overlay in errors (`variants.with-breaker`).
 */
export function applyOverlay(base: Record<string, unknown>, overlay: Record<string, unknown>, where: string): Record<string, unknown> {
  const result = copy(base);
  for (const [path, value] of Object.entries(overlay)) {
    const segments = path.split('.');
    const head = segments[0]!;
    if (!(OVERLAYABLE as readonly string[]).includes(head)) {
      throw new ConfigError(`${where}: "${path}": a variant may change ${OVERLAYABLE.join(', ')} only (the workload and run length are shared by every variant)`);
    }
    let parent: unknown = result;
    for (let index = 0; index < segments.length - 1; index++) {
      parent = step(parent, segments[index]!, segments.slice(0, index + 1), path, where);
    }
    const last = segments[segments.length - 1]!;
    if (parent === null || typeof parent !== 'object') throw new ConfigError(`${where}: "${path}" matches nothing: ${segments.slice(0, -1).join('.')} is not an object or list`);
    const container = parent as Record<string, unknown>;
    if (Array.isArray(parent) && !/^\d+$/.test(last)) throw new ConfigError(`${where}: "${path}" matches nothing: ${segments.slice(0, -1).join('.')} is a list; use an index`);
    if (value === null) delete container[last];
    else container[last] = copy(value);
  }
  return result;
}

function step(parent: unknown, segment: string, walked: string[], path: string, where: string): unknown {
  if (parent !== null && typeof parent === 'object') {
    const container = parent as Record<string, unknown>;
    if (Array.isArray(parent) ? /^\d+$/.test(segment) && Number(segment) < parent.length : Object.hasOwn(container, segment)) {
      return container[segment];
    }
    const keys = Array.isArray(parent) ? [] : Object.keys(container);
    const near = nearestKey(segment, keys);
    const at = walked.length > 1 ? walked.slice(0, -1).join('.') : 'the model';
    const hint = near !== undefined ? `: did you mean "${near}"?` : keys.length > 0 ? ` (it has ${keys.join(', ')})` : '';
    throw new ConfigError(`${where}: "${path}" matches nothing: no "${segment}" in ${at}${hint}`);
  }
  throw new ConfigError(`${where}: "${path}" matches nothing: ${walked.slice(0, -1).join('.')} is not an object`);
}
