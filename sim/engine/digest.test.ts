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
});
