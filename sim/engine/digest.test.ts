// Tests for sim/engine/digest.ts: the structural digest of message data tells apart what a message
// would serialise differently, is stable, and stays bounded on huge or cyclic values.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { digestValue } from './digest.ts';

describe('digestValue', () => {
  it('is the same for structurally equal values, built separately', () => {
    const build = () => ({ order: 'o-1', amount: 12.5, items: [{ sku: 'a', qty: 2 }], tags: new Set(['x']), at: new Date(5), seen: new Map([['k', 1n]]) });
    expect(digestValue(build())).toBe(digestValue(build()));
    fc.assert(fc.property(fc.jsonValue(), (value) => digestValue(value) === digestValue(structuredClone(value))));
  });

  it('tells apart types, values, key names, key order and nesting', () => {
    const distinct = [
      undefined, null, true, false, 0, -0, 1, '1', 1n, [], {}, [1], [[1]], { a: 1 }, { b: 1 }, { a: 2 }, { a: 1, b: 2 }, { b: 2, a: 1 },
      ['a', 'bc'], ['ab', 'c'], new Map([[1, 2]]), new Set([1, 2]), new Date(1), new Uint8Array([1, 2]), new Error('boom'), new Error('bang'),
    ];
    const digests = distinct.map((value) => digestValue(value));
    expect(new Set(digests).size).toBe(distinct.length);
  });

  it('changes when any one number of a payload changes (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 20 }), fc.nat(), fc.double({ noNaN: true }), (values, at, replacement) => {
        const index = at % values.length;
        fc.pre(!Object.is(values[index], replacement));
        const changed = [...values];
        changed[index] = replacement;
        return digestValue({ values }) !== digestValue({ values: changed });
      }),
    );
  });

  it('is pinned: a faster walk must give the same digests (every trace hash depends on them)', () => {
    const order = { orderId: 'o-1', amount: 1250, items: [{ productId: 'p1', quantity: 2 }], address: { region: 'north' }, tags: new Set(['x']), when: new Date(5) };
    expect(digestValue(order)).toBe(749964166);
    expect(digestValue(['a', 1, null, undefined, true, { k: [] }])).toBe(3637793447);
    expect(digestValue(new Error('boom'))).toBe(3984673351);
  });

  it('is bounded: a cyclic value and a million-element array both return', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(digestValue(cyclic)).toBe(digestValue(cyclic));
    const huge = Array.from({ length: 1_000_000 }, (_, index) => index);
    expect(typeof digestValue(huge)).toBe('number');
  });

  it('equals the walk as first written, with the hash in module state, on any value (fast-check)', () => {
    const values = fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
    });
    fc.assert(fc.property(values, (value) => digestValue(value) === referenceDigest(value)), { numRuns: 2000 });
    const wide = { items: Array.from({ length: 2000 }, (_, index) => ({ index, name: `item ${index}`, error: new RangeError(`bad ${index}`) })) };
    expect(digestValue(wide)).toBe(referenceDigest(wide));
  });

  it('equals the reference when strings come back to their memo slots changed, equal or long', () => {
    // Same shapes in turn, so the same key and value slots see: the same string, an equal one built
    // anew, one of the same length that differs, two-byte text, and strings around the memo's bound.
    const texts = ['GET', 'PUT', 'GET', ['G', 'E', 'T'].join(''), 'ünï', 'x'.repeat(32), 'x'.repeat(33), 'x'.repeat(31) + 'y', '', 'a'];
    for (let round = 0; round < 3; round++) {
      for (const [index, text] of texts.entries()) {
        const shapes = [
          { method: text, path: `/${index}`, body: undefined },
          { [text]: text, other: index },
          { method: text, path: `/${index}`, body: { [text]: [text, { nested: text }] } },
        ];
        for (const value of shapes) expect(digestValue(value)).toBe(referenceDigest(value));
      }
    }
  });

  it('equals the reference for flat objects met again: the same, changed in place, rebuilt, reordered, at another hash', () => {
    const order: Record<string, unknown> = { id: 42, status: 'placed' };
    const check = (value: unknown) => expect(digestValue(value)).toBe(referenceDigest(value));
    check(order);
    check(order);
    order.status = 'shipped';
    check(order);
    order.id = 0;
    check(order);
    order.id = -0;
    check(order);
    order.id = NaN;
    check(order);
    check(order);
    order.id = 42;
    check({ id: 42, status: 'shipped' });
    check({ status: 'shipped', id: 42 });
    check({ id: '42', status: 'shipped' });
    check({ id: 42, status: undefined });
    check({ id: 42, status: null });
    check({ id: 42, status: true });
    check({ id: 42, status: { nested: 1 } });
    check({ id: 42, status: 'shipped' });
    // The same object inside another value (another hash before it), and where the budget runs out.
    check([order, order]);
    check({ first: order, second: order });
    check(Array.from({ length: 1023 }, (_, index) => (index < 1021 ? index : order)));
    check(Array.from({ length: 1100 }, () => order));
  });

  it('equals the reference on flat objects drawn from a few keys and values, in any order (fast-check)', () => {
    const flat = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.constantFrom<unknown>(0, -0, 1, NaN, 'x', 'y', '', true, false, null, undefined), { maxKeys: 4 });
    fc.assert(fc.property(fc.array(flat, { minLength: 1, maxLength: 8 }), (values) => values.every((value) => digestValue(value) === referenceDigest(value))), { numRuns: 500 });
  });
});

// ---- the reference: digest.ts's first walk, kept verbatim as the specification of every digest ----

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
enum Tag {
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

function referenceDigest(value: unknown): number {
  hash = SEED;
  budget = MAX_VALUES;
  visit(value, 0);
  return hash >>> 0;
}
