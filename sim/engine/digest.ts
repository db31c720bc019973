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

// The walk's state: the running hash and the values left to read. Module-level, because a digest
// never re-enters itself and a walk object costs a property load per mix.
let hash = SEED;
let budget = 0;

function mix(word: number): void {
  hash = Math.imul(hash ^ word, FNV_PRIME);
}

function mixString(text: string): void {
  const length = Math.min(text.length, MAX_STRING_CHARS);
  mix(text.length);
  let index = 0;
  for (; index + 1 < length; index += 2) mix(text.charCodeAt(index) | (text.charCodeAt(index + 1) << 16));
  if (index < length) mix(text.charCodeAt(index));
}

/** A number: its tag, then its two 32-bit words. */
function mixNumber(value: number): void {
  numberView[0] = value;
  mix(Tag.Number);
  mix(numberWords[0]!);
  mix(numberWords[1]!);
}

/** `visit`, with strings and numbers (most fields and items) handled inline, budget included. */
function visitItem(item: unknown, depth: number): void {
  if (typeof item === 'string') {
    if (budget-- > 0) {
      mix(Tag.String);
      mixString(item);
    }
  } else if (typeof item === 'number') {
    if (budget-- > 0) mixNumber(item);
  } else visit(item, depth);
}

function visit(value: unknown, depth: number): void {
  if (budget-- <= 0) return;
  switch (typeof value) {
    case 'number':
      mixNumber(value);
      return;
    case 'string':
      mix(Tag.String);
      mixString(value);
      return;
    case 'boolean':
      mix(value ? Tag.True : Tag.False);
      return;
    case 'undefined':
      mix(Tag.Undefined);
      return;
    case 'bigint':
      mix(Tag.BigInt);
      mixString(value.toString(16));
      return;
    case 'symbol':
      mix(Tag.Symbol);
      mixString(value.description ?? '');
      return;
    case 'function':
      mix(Tag.Function);
      mixString(value.name);
      return;
  }
  if (value === null) return mix(Tag.Null);
  if (depth >= MAX_DEPTH) return mix(Tag.TooDeep);
  visitObject(value as object, depth + 1);
}

function visitObject(value: object, depth: number): void {
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return visitEntries(value as Record<string, unknown>, depth, true);
  if (Array.isArray(value)) {
    mix(Tag.Array);
    mix(value.length);
    for (let index = 0; index < value.length && budget > 0; index++) visitItem(value[index], depth);
    return;
  }
  if (value instanceof Map) {
    mix(Tag.Map);
    mix(value.size);
    for (const [key, entry] of value) {
      if (budget <= 0) return;
      visit(key, depth);
      visit(entry, depth);
    }
    return;
  }
  if (value instanceof Set) {
    mix(Tag.Set);
    mix(value.size);
    for (const entry of value) {
      if (budget <= 0) return;
      visit(entry, depth);
    }
    return;
  }
  if (value instanceof Date) {
    mix(Tag.Date);
    visit(value.getTime(), depth);
    return;
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, Math.min(value.byteLength, MAX_STRING_CHARS));
    mix(Tag.Bytes);
    mix(value.byteLength);
    for (let index = 0; index < bytes.length; index++) mix(bytes[index]!);
    return;
  }
  // A class instance: its own enumerable fields, as for a plain object; an Error's message too.
  if (value instanceof Error) mixString(value.message);
  visitEntries(value as Record<string, unknown>, depth, false);
}

/**
 * Own enumerable keys in insertion order (what would be serialised) and their values. A plain
 * object is walked with for-in, twice (count, then entries), which allocates no key array; it has
 * no enumerable inherited keys, so it sees what `Object.keys` would.
 */
function visitEntries(value: Record<string, unknown>, depth: number, plain: boolean): void {
  mix(Tag.Object);
  if (plain) {
    let count = 0;
    for (const _key in value) count++;
    mix(count);
    for (const key in value) {
      if (budget <= 0) return;
      mixString(key);
      visitItem(value[key], depth);
    }
    return;
  }
  const keys = Object.keys(value);
  mix(keys.length);
  for (let index = 0; index < keys.length && budget > 0; index++) {
    const key = keys[index]!;
    mixString(key);
    visit(value[key], depth);
  }
}

/**
 * A 32-bit digest of a value's structure and contents: numbers by their bits, strings by their
 * characters, arrays, maps, sets and plain objects by their entries in order. Bounded: at most
 * 1024 values, 12 levels and 4096 characters per string are read.
 */
export function digestValue(value: unknown): number {
  hash = SEED;
  budget = MAX_VALUES;
  visit(value, 0);
  return hash >>> 0;
}
