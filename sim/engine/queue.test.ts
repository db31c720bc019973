// Tests for sim/engine/queue.ts: (time, seq) order, FIFO ties, cancellation with stale handles, daemons,
// compaction of cancelled entries, far events kept outside the heap, popSlot limits and input validation.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventQueue } from './queue.ts';

/** Pops everything due by `untilMs`, returning the args in firing order (and releasing slots). */
function drain(queue: EventQueue, untilMs = Infinity): { timeMs: number; arg: unknown }[] {
  const fired: { timeMs: number; arg: unknown }[] = [];
  for (;;) {
    const slot = queue.popSlot(untilMs);
    if (slot < 0) return fired;
    fired.push({ timeMs: queue.poppedTimeMs, arg: queue.argOf(slot) });
    queue.release(slot);
  }
}

const noop = (): void => {};

describe('EventQueue order', () => {
  it('pops events by time, whatever the push order', () => {
    const queue = new EventQueue();
    for (const timeMs of [5, 1, 9, 3, 7, 0, 2.5]) queue.push(timeMs, noop, timeMs);
    expect(drain(queue).map((event) => event.timeMs)).toEqual([0, 1, 2.5, 3, 5, 7, 9]);
  });

  it('breaks ties first-in-first-out by push order', () => {
    const queue = new EventQueue();
    queue.push(4, noop, 'a');
    queue.push(2, noop, 'x');
    queue.push(4, noop, 'b');
    queue.push(4, noop, 'c');
    queue.push(2, noop, 'y');
    expect(drain(queue).map((event) => event.arg)).toEqual(['x', 'y', 'a', 'b', 'c']);
  });

  it('keeps FIFO ties across heap growth (5000 events at one time)', () => {
    const queue = new EventQueue();
    for (let index = 0; index < 5000; index++) queue.push(index % 2 === 0 ? 10 : 5, noop, index);
    const args = drain(queue).map((event) => event.arg as number);
    const odds = args.slice(0, 2500);
    const evens = args.slice(2500);
    expect(odds).toEqual(Array.from({ length: 2500 }, (_, i) => 2 * i + 1));
    expect(evens).toEqual(Array.from({ length: 2500 }, (_, i) => 2 * i));
  });

  it('returns the callback and argument of a popped slot', () => {
    const queue = new EventQueue();
    const callback = (arg: unknown): void => void arg;
    queue.push(1, callback, { id: 7 });
    const slot = queue.popSlot();
    expect(queue.callbackOf(slot)).toBe(callback);
    expect(queue.argOf(slot)).toEqual({ id: 7 });
    expect(queue.poppedTimeMs).toBe(1);
  });

  it('popSlot(until) leaves later events in place', () => {
    const queue = new EventQueue();
    queue.push(1, noop, 'a');
    queue.push(5, noop, 'b');
    queue.push(5.0001, noop, 'c');
    expect(drain(queue, 5).map((event) => event.arg)).toEqual(['a', 'b']);
    expect(queue.size).toBe(1);
    expect(queue.peekTime()).toBe(5.0001);
  });

  it('peekTime is Infinity when empty and popSlot returns -1', () => {
    const queue = new EventQueue();
    expect(queue.peekTime()).toBe(Infinity);
    expect(queue.popSlot()).toBe(-1);
  });
});

describe('EventQueue cancellation', () => {
  it('a cancelled event never pops; cancel reports whether it was pending', () => {
    const queue = new EventQueue();
    queue.push(1, noop, 'a');
    const b = queue.push(2, noop, 'b');
    queue.push(3, noop, 'c');
    expect(queue.cancel(b)).toBe(true);
    expect(queue.cancel(b)).toBe(false);
    expect(drain(queue).map((event) => event.arg)).toEqual(['a', 'c']);
  });

  it('cancelling an event that already fired returns false', () => {
    const queue = new EventQueue();
    const handle = queue.push(1, noop);
    drain(queue);
    expect(queue.cancel(handle)).toBe(false);
  });

  it('a stale handle cannot cancel a later event that reuses its slot', () => {
    const queue = new EventQueue();
    const first = queue.push(1, noop, 'first');
    drain(queue);
    const second = queue.push(2, noop, 'second');
    expect(second).not.toBe(first);
    expect(second % 2 ** 26).toBe(first % 2 ** 26); // same slot, new generation
    expect(queue.cancel(first)).toBe(false);
    expect(drain(queue).map((event) => event.arg)).toEqual(['second']);
  });

  it('handles are never small integers or int32s, for fresh and reused slots alike', () => {
    const queue = new EventQueue();
    const handles = [queue.push(1, noop), queue.push(2, noop)];
    drain(queue);
    for (let index = 0; index < 100; index++) {
      handles.push(queue.push(3 + index, noop));
      drain(queue);
    }
    // A field holding handles is then a double field from its first handle (see Packing.FirstGeneration).
    for (const handle of handles) expect(handle).toBeGreaterThanOrEqual(2 ** 31);
  });

  it('a cancelled top is skipped by peekTime', () => {
    const queue = new EventQueue();
    const handle = queue.push(1, noop);
    queue.push(4, noop);
    queue.cancel(handle);
    expect(queue.peekTime()).toBe(4);
  });

  it('handles of unknown slots are refused', () => {
    const queue = new EventQueue();
    expect(queue.cancel(12345)).toBe(false);
  });

  it('compaction after many cancellations keeps every live event in (time, seq) order', () => {
    const queue = new EventQueue();
    const handles: number[] = [];
    // 3000 events on 7 distinct times; cancel all but every 5th: compaction runs several times.
    for (let index = 0; index < 3000; index++) handles.push(queue.push(index % 7, noop, index));
    let cancelled = 0;
    for (let index = 0; index < 3000; index++) if (index % 5 !== 0 && queue.cancel(handles[index]!)) cancelled++;
    expect(cancelled).toBe(2400);
    expect(queue.size).toBeLessThan(3000); // compacted: cancelled entries were dropped from the heap
    expect(queue.liveSize).toBe(600);
    const fired = drain(queue);
    const expected = Array.from({ length: 600 }, (_, i) => i * 5).sort((a, b) => (a % 7) - (b % 7) || a - b);
    expect(fired.map((event) => event.arg)).toEqual(expected);
    expect(handles.filter((handle) => queue.cancel(handle))).toEqual([]);
  });
});

describe('EventQueue live and daemon counts', () => {
  it('daemons fire but do not count as live work', () => {
    const queue = new EventQueue();
    queue.push(1, noop, 'daemon', true);
    expect(queue.liveSize).toBe(0);
    expect(queue.size).toBe(1);
    queue.push(2, noop, 'live');
    expect(queue.liveSize).toBe(1);
    expect(drain(queue).map((event) => event.arg)).toEqual(['daemon', 'live']);
    expect(queue.liveSize).toBe(0);
  });

  it('cancelling a live event lowers liveSize at once; cancelling a daemon does not', () => {
    const queue = new EventQueue();
    const live = queue.push(1, noop);
    const daemon = queue.push(1, noop, undefined, true);
    queue.cancel(daemon);
    expect(queue.liveSize).toBe(1);
    queue.cancel(live);
    expect(queue.liveSize).toBe(0);
  });

  it('a reused slot forgets the daemon flag of its previous event', () => {
    const queue = new EventQueue();
    queue.push(1, noop, undefined, true);
    drain(queue);
    queue.push(2, noop);
    expect(queue.liveSize).toBe(1);
  });

  it('clear drops everything and invalidates handles', () => {
    const queue = new EventQueue();
    const handle = queue.push(1, noop);
    queue.push(2, noop, undefined, true);
    queue.clear();
    expect(queue.size).toBe(0);
    expect(queue.liveSize).toBe(0);
    expect(queue.cancel(handle)).toBe(false);
    expect(queue.popSlot()).toBe(-1);
  });
});

describe('EventQueue validation', () => {
  it.each([-1, NaN, Infinity])('refuses event time %s with a RangeError', (timeMs) => {
    const queue = new EventQueue();
    expect(() => queue.push(timeMs, noop)).toThrow(RangeError);
  });
});

describe('EventQueue far events', () => {
  it('an event pushed far ahead fires before a later-pushed event due at the same time', () => {
    const queue = new EventQueue();
    queue.push(64, noop, 'far, pushed first');
    queue.push(1, noop, 'near');
    const first = queue.popSlot();
    expect(queue.argOf(first)).toBe('near');
    queue.release(first);
    queue.push(64, noop, 'near, pushed later at the same time');
    expect(drain(queue).map((fired) => fired.arg)).toEqual(['far, pushed first', 'near, pushed later at the same time']);
  });

  it('a far event cancelled before it is due never fires, and its slot is reused', () => {
    const queue = new EventQueue();
    const handles = Array.from({ length: 100 }, (_, index) => queue.push(992 + index, noop, index));
    for (const handle of handles) expect(queue.cancel(handle)).toBe(true);
    queue.push(5, noop, 'near');
    expect(drain(queue).map((fired) => fired.arg)).toEqual(['near']);
    expect(queue.size).toBe(0);
    expect(queue.liveSize).toBe(0);
  });
});

describe('EventQueue reserved sequence numbers', () => {
  it('an event pushed later with a reserved number fires where it would have had it been pushed then', () => {
    const queue = new EventQueue();
    queue.push(10, noop, 'pushed before the reservation');
    const seq = queue.reserveSeq();
    queue.push(10, noop, 'pushed after the reservation');
    queue.push(1, noop, 'first');
    const first = queue.popSlot();
    expect(queue.argOf(first)).toBe('first');
    queue.release(first);
    queue.pushReserved(10, seq, noop, 'reserved');
    expect(drain(queue).map((fired) => fired.arg)).toEqual(['pushed before the reservation', 'reserved', 'pushed after the reservation']);
  });

  it('refuses a reserved key that comes before what has already fired, or a number never reserved', () => {
    const queue = new EventQueue();
    const early = queue.reserveSeq();
    queue.push(5, noop, 'fires');
    queue.release(queue.popSlot());
    expect(() => queue.pushReserved(4, early, noop)).toThrow(/must come after the last fired one \(5 ms, #1\)/);
    expect(() => queue.pushReserved(5, early, noop)).toThrow(RangeError);
    expect(() => queue.pushReserved(50, 99, noop)).toThrow(/use a reserved number/);
    expect(queue.pushReserved(6, early, noop)).toBeGreaterThanOrEqual(0);
  });
});

describe('EventQueue far buckets', () => {
  it('a far bucket whose events are all cancelled goes at once, while a bucket with a live event stays', () => {
    const queue = new EventQueue();
    // 992–1001 ms share one 16 ms bucket (992–1008); 2000 is in another.
    const sameBucket = Array.from({ length: 10 }, (_, index) => queue.push(992 + index, noop, index));
    const other = queue.push(2000, noop, 'other');
    for (const handle of sameBucket.slice(0, 9)) queue.cancel(handle);
    expect(queue.size).toBe(11); // nine cancelled wait with the live one in their bucket
    queue.cancel(sameBucket[9]!);
    expect(queue.size).toBe(1); // the bucket went whole, without a sweep
    expect(queue.peekTime()).toBe(2000);
    queue.cancel(other); // in the heap by now: peekTime moved its bucket in
    expect(queue.peekTime()).toBe(Infinity);
    expect(queue.size).toBe(0);
  });
});

describe('EventQueue against a model', () => {
  /** One step of a random schedule: push after a delay (near, far, or very far), cancel an earlier push, or pop (up to a limit). */
  type Step = { kind: 'push'; delayMs: number; daemon: boolean } | { kind: 'cancel'; pick: number } | { kind: 'pop'; aheadMs: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('push' as const),
      // Whole ms make ties (a far event due with a near one), which only the sequence number orders.
      delayMs: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 16, 62, 63, 64, 65, 66, 128, 1000) },
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 200 }) },
        { weight: 1, arbitrary: fc.double({ min: 0, max: 5000, noNaN: true }) },
      ),
      daemon: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('pop' as const), aheadMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 300 })) }),
  );

  it('property: every schedule fires in (time, push order), with cancels, far events, daemons and limits as a sorted list says', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 50, maxLength: 300 }), (steps) => {
        const queue = new EventQueue();
        interface Entry {
          id: number;
          timeMs: number;
          daemon: boolean;
          handle: number;
          live: boolean;
        }
        const entries: Entry[] = [];
        let nowMs = 0;
        const pending = (): Entry[] => entries.filter((entry) => entry.live).sort((a, b) => a.timeMs - b.timeMs || a.id - b.id);
        for (const next of steps) {
          if (next.kind === 'push') {
            const entry: Entry = { id: entries.length, timeMs: nowMs + next.delayMs, daemon: next.daemon, handle: -1, live: true };
            entry.handle = queue.push(entry.timeMs, noop, entry.id, entry.daemon);
            entries.push(entry);
          } else if (next.kind === 'cancel') {
            if (entries.length === 0) continue;
            const entry = entries[next.pick % entries.length]!;
            expect(queue.cancel(entry.handle)).toBe(entry.live);
            entry.live = false;
          } else {
            const untilMs = nowMs + next.aheadMs;
            const expected = pending()[0];
            const slot = queue.popSlot(untilMs);
            if (expected === undefined || expected.timeMs > untilMs) {
              expect(slot).toBe(-1);
              continue;
            }
            expect(queue.argOf(slot)).toBe(expected.id);
            expect(queue.poppedTimeMs).toBe(expected.timeMs);
            queue.release(slot);
            expected.live = false;
            nowMs = expected.timeMs;
          }
          expect(queue.liveSize).toBe(pending().filter((entry) => !entry.daemon).length);
        }
        // What is left drains in order, and the queue ends empty.
        const rest = pending();
        expect(drain(queue).map((fired) => fired.arg)).toEqual(rest.map((entry) => entry.id));
        expect(queue.size).toBe(0);
        expect(queue.peekTime()).toBe(Infinity);
      }),
      { numRuns: 500 },
    );
  });
});
