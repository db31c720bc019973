// Tests for sim/engine/trace.ts: the rolling trace hash (stable, sensitive to every field and to order),
// sinks and filtered sinks, spans, and event descriptions.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Trace, describeEvent, type Span, type TraceEvent } from './trace.ts';

function hashOf(build: (trace: Trace) => void): string {
  const trace = new Trace();
  build(trace);
  return trace.hash;
}

const span: Span = {
  traceId: 't1',
  spanId: 's2',
  parentSpanId: 's1',
  service: 'payments',
  name: 'charge',
  startMs: 3,
  endMs: 9.5,
  status: 'ok',
};

describe('Trace hash', () => {
  it('is 16 hex digits, fixed for an empty trace, and pinned for a known sequence', () => {
    expect(new Trace().hash).toBe('811c9dc59e3779b9');
    const hash = hashOf((trace) => {
      trace.emit(0, 'node.start', 'a');
      trace.emit(1.5, 'msg.delivered', 'a', 'b', 7, 'rpc get');
      trace.emitSpan(span);
    });
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    // Pinned: a change here changes every recorded traceHash (replays, CI baselines).
    expect(hash).toBe(PINNED_HASH);
  });

  it('is the same for the same events, with or without sinks', () => {
    const events = (trace: Trace): void => {
      trace.emit(0, 'a', 'n1');
      trace.emit(2, 'b', 'n2', 'n1', 3, 'detail');
    };
    const withSink = new Trace();
    withSink.addSink(() => {});
    withSink.addFilteredSink(['b'], () => {});
    events(withSink);
    expect(withSink.hash).toBe(hashOf(events));
  });

  it.each<[string, (trace: Trace) => void]>([
    ['the time', (trace) => trace.emit(1.0000001, 'k', 'n', 'p', 1, 'd')],
    ['the kind', (trace) => trace.emit(1, 'K', 'n', 'p', 1, 'd')],
    ['the node', (trace) => trace.emit(1, 'k', 'm', 'p', 1, 'd')],
    ['the peer', (trace) => trace.emit(1, 'k', 'n', 'q', 1, 'd')],
    ['the id', (trace) => trace.emit(1, 'k', 'n', 'p', 2, 'd')],
    ['the detail', (trace) => trace.emit(1, 'k', 'n', 'p', 1, 'e')],
    ['a missing detail', (trace) => trace.emit(1, 'k', 'n', 'p', 1)],
    ['an empty detail', (trace) => trace.emit(1, 'k', 'n', 'p', 1, '')],
  ])('%s changes the hash', (_field, variant) => {
    const base = hashOf((trace) => trace.emit(1, 'k', 'n', 'p', 1, 'd'));
    expect(hashOf(variant)).not.toBe(base);
  });

  it('separates fields: ("ab","c") and ("a","bc") hash differently', () => {
    expect(hashOf((trace) => trace.emit(0, 'ab', 'c'))).not.toBe(hashOf((trace) => trace.emit(0, 'a', 'bc')));
  });

  it('depends on event order', () => {
    const first = hashOf((trace) => {
      trace.emit(0, 'x', 'a');
      trace.emit(0, 'y', 'a');
    });
    const second = hashOf((trace) => {
      trace.emit(0, 'y', 'a');
      trace.emit(0, 'x', 'a');
    });
    expect(first).not.toBe(second);
  });

  it.each<[string, Partial<Span>]>([
    ['status', { status: 'error', error: 'timeout' }],
    ['start', { startMs: 4 }],
    ['parent', { parentSpanId: undefined }],
    ['trace id', { traceId: 't9' }],
  ])('a span hashes its %s', (_field, change) => {
    expect(hashOf((trace) => trace.emitSpan({ ...span, ...change }))).not.toBe(hashOf((trace) => trace.emitSpan(span)));
  });
});

describe('Trace sinks', () => {
  it('passes every event in order, with only the fields that were given', () => {
    const trace = new Trace();
    const seen: TraceEvent[] = [];
    expect(trace.hasSinks).toBe(false);
    trace.addSink((event) => seen.push(event));
    expect(trace.hasSinks).toBe(true);
    trace.emit(1, 'node.start', 'a');
    trace.emit(2, 'msg.dropped', 'a', 'b', 4, 'loss');
    expect(seen).toEqual([
      { atMs: 1, kind: 'node.start', node: 'a' },
      { atMs: 2, kind: 'msg.dropped', node: 'a', peer: 'b', id: 4, detail: 'loss' },
    ]);
    expect(Object.keys(seen[0]!)).toEqual(['atMs', 'kind', 'node']);
    expect(trace.count).toBe(2);
  });

  it('a filtered sink receives only its kinds; counting and hashing cover all events', () => {
    const trace = new Trace();
    const kinds: string[] = [];
    trace.addFilteredSink(['fault', 'span'], (event) => kinds.push(event.kind));
    expect(trace.hasSinks).toBe(true);
    trace.emit(0, 'msg.delivered', 'a', 'b');
    trace.emit(1, 'fault', 'crash a');
    trace.emitSpan(span);
    expect(kinds).toEqual(['fault', 'span']);
    expect(trace.count).toBe(3);
  });

  it('dispatches a span as kind span at its end time, on its service, named by detail', () => {
    const trace = new Trace();
    const seen: TraceEvent[] = [];
    trace.addSink((event) => seen.push(event));
    trace.emitSpan(span);
    expect(seen).toEqual([{ atMs: 9.5, kind: 'span', node: 'payments', detail: 'charge', span }]);
  });
});

describe('describeEvent', () => {
  it('writes one line with time, kind, node, peer, id and detail', () => {
    expect(describeEvent({ atMs: 2.5, kind: 'msg.dropped', node: 'a', peer: 'b', id: 4, detail: 'loss' })).toBe('t=2.5 msg.dropped a -> b #4 loss');
    expect(describeEvent({ atMs: 0, kind: 'node.start', node: 'a' })).toBe('t=0 node.start a');
  });

  it('adds trace, span and status for spans', () => {
    expect(describeEvent({ atMs: 9.5, kind: 'span', node: 'payments', detail: 'charge', span })).toBe('t=9.5 span payments charge trace=t1 span=s2 ok');
  });
});

const PINNED_HASH = '04f2d5879591c64a';

describe('Trace hash field tags', () => {
  it('a peer and a detail with the same text hash differently', () => {
    const asPeer = new Trace();
    asPeer.emit(1, 'kind', 'node', 'x');
    const asDetail = new Trace();
    asDetail.emit(1, 'kind', 'node', undefined, undefined, 'x');
    expect(asPeer.hash).not.toBe(asDetail.hash);
  });
});

describe('data in the trace hash', () => {
  it('emitData: the same data hashes the same, different data differently, and the event names its digest', () => {
    const run = (payload: unknown): { hash: string; events: TraceEvent[] } => {
      const trace = new Trace();
      const events: TraceEvent[] = [];
      trace.addSink((event) => events.push(event));
      trace.emitData(1, 'msg.delivered', 'a', 'b', 7, 'charge', { type: 'request', payload });
      return { hash: trace.hash, events };
    };
    const first = run({ amount: 10 });
    expect(run({ amount: 10 })).toEqual(first);
    const other = run({ amount: 11 });
    expect(other.hash).not.toBe(first.hash);
    expect(first.events[0]!.data).toMatch(/^[0-9a-f]{8}$/);
    expect(other.events[0]!.data).not.toBe(first.events[0]!.data);
    expect(describeEvent(first.events[0]!)).toBe(`t=1 msg.delivered a -> b #7 charge data=${first.events[0]!.data}`);
  });

  it('an event with data never hashes like the same event without it, even with data undefined', () => {
    const plain = hashOf((trace) => trace.emit(1, 'k', 'n', 'p', 1, 'd'));
    const withUndefined = hashOf((trace) => trace.emitData(1, 'k', 'n', 'p', 1, 'd', undefined));
    expect(withUndefined).not.toBe(plain);
  });

  it("recordSpan: a span's answer enters the hash; a span recorded without one hashes as before", () => {
    const record = (trace: Trace, ...data: unknown[]): void =>
      trace.recordSpan('t1', 's2', 's1', 'payments', 'charge', 3, 9.5, 'ok', undefined, ...(data as []));
    expect(hashOf((trace) => record(trace))).toBe(hashOf((trace) => trace.emitSpan(span)));
    expect(hashOf((trace) => record(trace, { charged: 10 }))).not.toBe(hashOf((trace) => record(trace, { charged: 11 })));
    expect(hashOf((trace) => record(trace, { charged: 10 }))).toBe(hashOf((trace) => record(trace, { charged: 10 })));
  });

  it('recordSpan folds the span fields in a fixed order, whatever kind its ids are (checked against a plain re-implementation)', () => {
    // The reference: FNV-1a names, and each field folded into two lanes in the order recordSpan documents.
    const stringKey = (text: string): number => {
      let key = 0x811c9dc5;
      let index = 0;
      for (; index + 1 < text.length; index += 2) key = Math.imul(key ^ (text.charCodeAt(index) | (text.charCodeAt(index + 1) << 16)), 0x01000193);
      if (index < text.length) key = Math.imul(key ^ text.charCodeAt(index), 0x01000193);
      return key;
    };
    const referenceHash = (fields: SpanFields): string => {
      const lanes = Int32Array.of(0x811c9dc5, 0x9e3779b9);
      const mixKey = (key: number, length: number): void => {
        const a = Math.imul(lanes[0]! ^ key, 0x01000193);
        let b = Math.imul(lanes[1]! ^ key, 0x5bd1e995);
        b ^= b >>> 13;
        lanes[0] = Math.imul(a ^ length, 0x01000193);
        lanes[1] = Math.imul(b ^ length, 0x5bd1e995) ^ (b >>> 15);
      };
      const mixNumber = (value: number): void => {
        const words = new Uint32Array(Float64Array.of(value).buffer);
        lanes[0] = Math.imul(Math.imul(lanes[0]! ^ words[0]!, 0x01000193) ^ words[1]!, 0x01000193);
        let b = Math.imul(lanes[1]! ^ words[1]!, 0x5bd1e995);
        b ^= b >>> 13;
        lanes[1] = Math.imul(b ^ words[0]!, 0x5bd1e995) ^ (b >>> 15);
      };
      const mixText = (text: string): void => mixKey(stringKey(text), text.length);
      const mixId = (id: string | number): void => (typeof id === 'number' ? mixNumber(id) : mixText(id));
      mixNumber(fields.endMs);
      mixText('span');
      mixText(fields.service);
      mixId(fields.traceId);
      mixId(fields.spanId);
      if (fields.parentSpanId !== undefined) mixId(fields.parentSpanId);
      mixText(fields.name);
      mixNumber(fields.startMs);
      mixText(fields.status);
      if (fields.error !== undefined) mixText(fields.error);
      return (lanes[0]! >>> 0).toString(16).padStart(8, '0') + (lanes[1]! >>> 0).toString(16).padStart(8, '0');
    };
    type SpanFields = { traceId: string | number; spanId: string | number; parentSpanId: string | number | undefined; service: string; name: string; startMs: number; endMs: number; status: 'ok' | 'error'; error: string | undefined };
    const id = fc.oneof(fc.nat(), fc.string());
    const fields = fc.record({
      traceId: id,
      spanId: id,
      parentSpanId: fc.option(id, { nil: undefined }),
      service: fc.string(),
      name: fc.string(),
      startMs: fc.double({ noNaN: true }),
      endMs: fc.double({ noNaN: true }),
      status: fc.constantFrom<'ok' | 'error'>('ok', 'error'),
      error: fc.option(fc.string(), { nil: undefined }),
    });
    fc.assert(
      fc.property(fields, (span) => {
        const hash = hashOf((trace) => trace.recordSpan(span.traceId, span.spanId, span.parentSpanId, span.service, span.name, span.startMs, span.endMs, span.status, span.error));
        expect(hash).toBe(referenceHash(span));
      }),
    );
  });

  it('a repeated answer reuses its digest without conflating values that compare equal (0 and -0) or mixing kinds', () => {
    const digests = (...values: unknown[]): string[] => {
      const trace = new Trace();
      const seen: string[] = [];
      trace.addSink((event) => seen.push(event.data!));
      for (const value of values) trace.recordSpan(1, 2, undefined, 'svc', 'get', 0, 1, 'ok', undefined, value);
      return seen;
    };
    // A reused digest is the one a fresh digest gives: 'ok' after 'ok' as 'ok' after 'x'.
    expect(digests('ok', 'ok')[1]).toBe(digests('x', 'ok')[1]);
    expect(digests(7, 7)[1]).toBe(digests(8, 7)[1]);
    // Equal under === but not the same value, or the same text in another kind: never reused.
    expect(digests(0, -0)[1]).toBe(digests(1, -0)[1]);
    expect(digests(0, -0)[1]).not.toBe(digests(0, 0)[1]);
    expect(digests(0, '0')[1]).not.toBe(digests(0, 0)[1]);
  });
});
