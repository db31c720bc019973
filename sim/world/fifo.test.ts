import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Fifo } from './fifo.ts';

describe('Fifo', () => {
  it('gives items back in the order they were pushed, across wrap-around and growth, like an array', () => {
    // Each step pushes a new item (true) or shifts one (false); an array is the reference.
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 300 }), (steps) => {
        const fifo = new Fifo<number>();
        const reference: number[] = [];
        let next = 0;
        for (const push of steps) {
          if (push) {
            fifo.push(next);
            reference.push(next);
            next++;
          } else {
            expect(fifo.shift()).toBe(reference.shift());
          }
          expect(fifo.length).toBe(reference.length);
        }
        expect([...fifo]).toEqual(reference);
      }),
    );
  });

  it('is empty after clear and keeps working', () => {
    const fifo = new Fifo<string>();
    for (let index = 0; index < 40; index++) fifo.push(`r${index}`);
    fifo.shift();
    fifo.clear();
    expect(fifo.length).toBe(0);
    expect(fifo.shift()).toBeUndefined();
    fifo.push('a');
    fifo.push('b');
    expect([...fifo]).toEqual(['a', 'b']);
  });
});
