// A fast structural digest of message data (payloads, responses), folded into the trace hash so
// that two runs which differ only in data, not in timing, still get different trace hashes.
// No JSON.stringify: a walk over the value with integer mixing, bounded in depth and size.

// The constants are a const enum, which esbuild and tsc write into the code as literals: a
// module-level `const` becomes a `var` in the bundle, a context slot the hot loops would load and
// check on every use (about 15% of a digest's instructions).
const enum Fnv {
  Prime = 0x01000193,
  Seed = 0x811c9dc5,
}

const enum Limit {
  /** Deepest nesting read; deeper values count by their type only. */
  MaxDepth = 12,
  /** Most values read per digest: a huge payload costs a bounded amount, its tail is not seen. */
  MaxValues = 1024,
  /** Most characters of one string read (its length always counts). */
  MaxStringChars = 4096,
}

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

// The running hash is passed in and returned by every step, so it stays in a register; only the
// count of values left to read is module state (a digest never re-enters itself).
let budget = 0;

/** One FNV-1a step: the hash after mixing in one 32-bit word. */
function mix(hash: number, word: number): number {
  return Math.imul(hash ^ word, Fnv.Prime);
}

function mixString(hash: number, text: string): number {
  const length = text.length < Limit.MaxStringChars ? text.length : Limit.MaxStringChars;
  hash = mix(hash, text.length);
  let index = 0;
  for (; index + 1 < length; index += 2) hash = mix(hash, text.charCodeAt(index) | (text.charCodeAt(index + 1) << 16));
  if (index < length) hash = mix(hash, text.charCodeAt(index));
  return hash;
}

// Object keys and short string values recur (every payload of a kind has the same keys, most of
// the same values), and reading a string's characters is the costliest part of a digest. So the
// character words of the string last seen in each memo slot are kept: when the same string comes
// back to its slot (one comparison, by pointer for interned keys), its words are mixed from the
// memo without reading a character. The hash is the same as `mixString`'s either way.
const enum Memo {
  Slots = 128,
  /** Words kept per slot: strings of up to twice as many characters are memoised. */
  WordsPerSlot = 16,
  MaxChars = 32,
}

/** The string each slot holds the words of (a few short strings in all; undefined: empty slot). */
const memoTexts: (string | undefined)[] = new Array<string | undefined>(Memo.Slots).fill(undefined);
const memoWords = new Int32Array(Memo.Slots * Memo.WordsPerSlot);

/** `mixString(hash, text)`, through memo slot `slot` (0 to Memo.Slots - 1). */
function mixStringMemo(hash: number, text: string, slot: number): number {
  const length = text.length;
  if (text === memoTexts[slot]) {
    hash = mix(hash, length);
    const words = memoWords;
    const start = slot * Memo.WordsPerSlot;
    const end = start + ((length + 1) >> 1);
    for (let index = start; index < end; index++) hash = mix(hash, words[index]!);
    return hash;
  }
  if (length > Memo.MaxChars) return mixString(hash, text);
  memoTexts[slot] = text;
  hash = mix(hash, length);
  let at = slot * Memo.WordsPerSlot;
  let index = 0;
  for (; index + 1 < length; index += 2) {
    const word = text.charCodeAt(index) | (text.charCodeAt(index + 1) << 16);
    memoWords[at++] = word;
    hash = mix(hash, word);
  }
  if (index < length) {
    const word = text.charCodeAt(index);
    memoWords[at] = word;
    hash = mix(hash, word);
  }
  return hash;
}

/** A number: its tag, then its two 32-bit words. */
function mixNumber(hash: number, value: number): number {
  numberView[0] = value;
  return mix(mix(mix(hash, Tag.Number), numberWords[0]!), numberWords[1]!);
}

/** `visit`, with strings and numbers (most fields and items) handled inline, budget included. */
function visitItem(hash: number, item: unknown, depth: number): number {
  if (typeof item === 'string') return budget-- > 0 ? mixString(mix(hash, Tag.String), item) : hash;
  if (typeof item === 'number') return budget-- > 0 ? mixNumber(hash, item) : hash;
  return visit(hash, item, depth);
}

/**
 * One value of any type. Objects, strings, numbers and undefined first, each by its own `typeof`
 * test: a `switch (typeof value)` makes V8 build the type's name and compare strings.
 */
function visit(hash: number, value: unknown, depth: number): number {
  if (budget-- <= 0) return hash;
  if (typeof value === 'object') {
    if (value === null) return mix(hash, Tag.Null);
    if (depth >= Limit.MaxDepth) return mix(hash, Tag.TooDeep);
    return visitObject(hash, value, depth + 1);
  }
  if (typeof value === 'string') return mixString(mix(hash, Tag.String), value);
  if (typeof value === 'number') return mixNumber(hash, value);
  if (typeof value === 'undefined') return mix(hash, Tag.Undefined);
  if (typeof value === 'boolean') return mix(hash, value ? Tag.True : Tag.False);
  return visitRare(hash, value);
}

/** A bigint, a symbol or a function (kept out of `visit`, so that it stays small enough to inline). */
function visitRare(hash: number, value: unknown): number {
  if (typeof value === 'bigint') return mixString(mix(hash, Tag.BigInt), value.toString(16));
  if (typeof value === 'symbol') return mixString(mix(hash, Tag.Symbol), value.description ?? '');
  return mixString(mix(hash, Tag.Function), (value as (...args: unknown[]) => unknown).name);
}

function visitObject(hash: number, value: object, depth: number): number {
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return visitPlainEntries(hash, value as Record<string, unknown>, depth);
  if (Array.isArray(value)) {
    hash = mix(mix(hash, Tag.Array), value.length);
    for (let index = 0; index < value.length && budget > 0; index++) hash = visitItem(hash, value[index], depth);
    return hash;
  }
  if (value instanceof Map) {
    hash = mix(mix(hash, Tag.Map), value.size);
    for (const [key, entry] of value) {
      if (budget <= 0) return hash;
      hash = visit(visit(hash, key, depth), entry, depth);
    }
    return hash;
  }
  if (value instanceof Set) {
    hash = mix(mix(hash, Tag.Set), value.size);
    for (const entry of value) {
      if (budget <= 0) return hash;
      hash = visit(hash, entry, depth);
    }
    return hash;
  }
  if (value instanceof Date) return visit(mix(hash, Tag.Date), value.getTime(), depth);
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, Math.min(value.byteLength, Limit.MaxStringChars));
    hash = mix(mix(hash, Tag.Bytes), value.byteLength);
    for (let index = 0; index < bytes.length; index++) hash = mix(hash, bytes[index]!);
    return hash;
  }
  // A class instance: its own enumerable fields, as for a plain object; an Error's message too.
  if (value instanceof Error) hash = mixString(hash, value.message);
  return visitOwnEntries(hash, value as Record<string, unknown>, depth);
}

/**
 * A plain object's own enumerable keys in insertion order (what would be serialised) and their
 * values, walked with for-in twice (count, then entries), which allocates no key array; a plain
 * object has no enumerable inherited keys, so it sees what `Object.keys` would. A flat object (every
 * value a primitive) equal to the last one of its key count, met at the same hash, is not walked
 * again: its digest is a function of the hash, its keys and its values (see `Flat`).
 */
function visitPlainEntries(hash: number, value: Record<string, unknown>, depth: number): number {
  let count = 0;
  for (const _key in value) count++;
  hash = mix(mix(hash, Tag.Object), count);
  // With the budget for every entry, the walk reads them all: a remembered result stands for it.
  if (count > Flat.MaxKeys || budget < count) return visitEntries(hash, value, depth, count);
  const memo = count & (Flat.Slots - 1);
  if (flatCounts[memo] === count && flatHashesIn[memo] === hash && sameFlatEntries(value, memo * Flat.MaxKeys)) {
    budget -= count;
    return flatHashesOut[memo]!;
  }
  const hashIn = hash;
  hash = visitEntries(hash, value, depth, count);
  // Remembered only if every value is a primitive (whose digest depends on its value alone): a
  // nested object may change in place before the next digest.
  let at = memo * Flat.MaxKeys;
  for (const key in value) {
    const item = value[key];
    if (typeof item === 'object' ? item !== null : typeof item === 'function' || typeof item === 'symbol' || typeof item === 'bigint') {
      flatCounts[memo] = -1;
      return hash;
    }
    flatKeys[at] = key;
    flatValues[at++] = item;
  }
  flatCounts[memo] = count;
  flatHashesIn[memo] = hashIn;
  flatHashesOut[memo] = hash;
  return hash;
}

/** The entries of a plain object of `count` keys, after its tag and count. */
function visitEntries(hash: number, value: Record<string, unknown>, depth: number, count: number): number {
  // Slots by key count and position, so objects of different shapes mostly keep to their own:
  // the key in an even slot, a string value in the odd one after it.
  let slot = (count << 4) & (Memo.Slots - 1);
  for (const key in value) {
    if (budget <= 0) return hash;
    hash = mixStringMemo(hash, key, slot);
    const item = value[key];
    // As visitItem does for a string, through the memo.
    if (typeof item === 'string') hash = budget-- > 0 ? mixStringMemo(mix(hash, Tag.String), item, slot + 1) : hash;
    else hash = visitItem(hash, item, depth);
    slot = (slot + 2) & (Memo.Slots - 1);
  }
  return hash;
}

// Payloads of one kind recur with the same keys and mostly the same values (a request's method and
// path, the same answer object): the last flat object of each key count is remembered with the
// hash it was met at and the hash it left, and one comparison pass replaces the walk.
const enum Flat {
  /** Remembered objects, by key count (modulo). */
  Slots = 8,
  /** Objects with more keys are always walked. */
  MaxKeys = 16,
}

/** Key count of each slot's object (-1: none). */
const flatCounts = new Int32Array(Flat.Slots).fill(-1);
const flatHashesIn = new Int32Array(Flat.Slots);
const flatHashesOut = new Int32Array(Flat.Slots);
/** Keys and values of each slot's object, `Flat.MaxKeys` places per slot. */
const flatKeys: string[] = new Array<string>(Flat.Slots * Flat.MaxKeys).fill('');
const flatValues: unknown[] = new Array<unknown>(Flat.Slots * Flat.MaxKeys).fill(undefined);

/**
 * True if `value` has the keys, in order, and the values of the object remembered at `at` (its
 * key count was checked). Equal primitives digest the same, except 0 and -0 (told apart here);
 * NaN never equals itself, so it is walked.
 */
function sameFlatEntries(value: Record<string, unknown>, at: number): boolean {
  for (const key in value) {
    const item = value[key];
    const remembered = flatValues[at];
    if (key !== flatKeys[at++] || item !== remembered || (item === 0 && 1 / item !== 1 / (remembered as number))) return false;
  }
  return true;
}

/** A class instance's own enumerable keys in insertion order and their values. */
function visitOwnEntries(hash: number, value: Record<string, unknown>, depth: number): number {
  const keys = Object.keys(value);
  hash = mix(mix(hash, Tag.Object), keys.length);
  for (let index = 0; index < keys.length && budget > 0; index++) {
    const key = keys[index]!;
    hash = visit(mixString(hash, key), value[key], depth);
  }
  return hash;
}

/**
 * A 32-bit digest of a value's structure and contents: numbers by their bits, strings by their
 * characters, arrays, maps, sets and plain objects by their entries in order. Bounded: at most
 * 1024 values, 12 levels and 4096 characters per string are read.
 */
export function digestValue(value: unknown): number {
  budget = Limit.MaxValues;
  return visit(Fnv.Seed, value, 0) >>> 0;
}
