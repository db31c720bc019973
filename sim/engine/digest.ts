// A fast structural digest of message data (payloads, responses), folded into the trace hash so
// that two runs which differ only in data, not in timing, still get different trace hashes.
// No JSON.stringify: a walk over the value with integer mixing, bounded in depth and size.

const FNV_PRIME = 0x01000193;
const SEED = 0x811c9dc5;
/** Deepest nesting read; deeper values count by their type only. */
const MAX_DEPTH = 12;
/** Most values read per digest: a huge payload costs a bounded amount, its tail is not seen. */
const MAX_VALUES = 1024;
/** Most characters of one string read (its length always counts). */
const MAX_STRING_CHARS = 4096;

const numberView = new Float64Array(1);
const numberWords = new Uint32Array(numberView.buffer);

/** Type tags, so `1` and `'1'`, `[]` and `{}` digest differently. */
const enum Tag {
  Undefined = 1,
  Null,
  False,
  True,
  Number,
  String,
  BigInt,
  Symbol,
  Function,
  Array,
  Object,
  Map,
  Set,
  Date,
  Bytes,
  TooDeep,
}

/** Walk state: the running hash and the values left to read. */
interface Walk {
  hash: number;
  budget: number;
}

function mix(walk: Walk, word: number): void {
  walk.hash = Math.imul(walk.hash ^ word, FNV_PRIME);
}

function mixString(walk: Walk, text: string): void {
  const length = Math.min(text.length, MAX_STRING_CHARS);
  mix(walk, text.length);
  let index = 0;
  for (; index + 1 < length; index += 2) mix(walk, text.charCodeAt(index) | (text.charCodeAt(index + 1) << 16));
  if (index < length) mix(walk, text.charCodeAt(index));
}

function visit(walk: Walk, value: unknown, depth: number): void {
  if (walk.budget-- <= 0) return;
  switch (typeof value) {
    case 'number':
      numberView[0] = value;
      mix(walk, Tag.Number);
      mix(walk, numberWords[0]!);
      mix(walk, numberWords[1]!);
      return;
    case 'string':
      mix(walk, Tag.String);
      mixString(walk, value);
      return;
    case 'boolean':
      mix(walk, value ? Tag.True : Tag.False);
      return;
    case 'undefined':
      mix(walk, Tag.Undefined);
      return;
    case 'bigint':
      mix(walk, Tag.BigInt);
      mixString(walk, value.toString(16));
      return;
    case 'symbol':
      mix(walk, Tag.Symbol);
      mixString(walk, value.description ?? '');
      return;
    case 'function':
      mix(walk, Tag.Function);
      mixString(walk, value.name);
      return;
  }
  if (value === null) return mix(walk, Tag.Null);
  if (depth >= MAX_DEPTH) return mix(walk, Tag.TooDeep);
  visitObject(walk, value as object, depth + 1);
}

function visitObject(walk: Walk, value: object, depth: number): void {
  if (Array.isArray(value)) {
    mix(walk, Tag.Array);
    mix(walk, value.length);
    for (let index = 0; index < value.length && walk.budget > 0; index++) visit(walk, value[index], depth);
    return;
  }
  if (value instanceof Map) {
    mix(walk, Tag.Map);
    mix(walk, value.size);
    for (const [key, entry] of value) {
      if (walk.budget <= 0) return;
      visit(walk, key, depth);
      visit(walk, entry, depth);
    }
    return;
  }
  if (value instanceof Set) {
    mix(walk, Tag.Set);
    mix(walk, value.size);
    for (const entry of value) {
      if (walk.budget <= 0) return;
      visit(walk, entry, depth);
    }
    return;
  }
  if (value instanceof Date) {
    mix(walk, Tag.Date);
    visit(walk, value.getTime(), depth);
    return;
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, Math.min(value.byteLength, MAX_STRING_CHARS));
    mix(walk, Tag.Bytes);
    mix(walk, value.byteLength);
    for (let index = 0; index < bytes.length; index++) mix(walk, bytes[index]!);
    return;
  }
  mix(walk, Tag.Object);
  // Own enumerable keys in insertion order (what would be serialised); an Error's message too.
  if (value instanceof Error) mixString(walk, value.message);
  for (const key in value) {
    if (walk.budget <= 0) return;
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    mixString(walk, key);
    visit(walk, (value as Record<string, unknown>)[key], depth);
  }
}

/**
 * A 32-bit digest of a value's structure and contents: numbers by their bits, strings by their
 * characters, arrays, maps, sets and plain objects by their entries in order. Bounded: at most
 * 1024 values, 12 levels and 4096 characters per string are read.
 */
export function digestValue(value: unknown): number {
  const walk: Walk = { hash: SEED, budget: MAX_VALUES };
  visit(walk, value, 0);
  return walk.hash >>> 0;
}
