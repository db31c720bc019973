// Tests for the trace exports (chrome-trace.ts, otlp-trace.ts, trace-ids.ts): a tiny world of two
// nodes calling each other is run with the collectors attached, and the exports are checked
// against what the run's own trace reported.
import { describe, expect, it } from 'vitest';
import { World } from '../sim/world/world.ts';
import type { Span, TraceEvent } from '../sim/engine/trace.ts';
import { createChromeTraceCollector, createOtlpCollector, createTraceCollector } from './trace-export.ts';
import type { ChromeTraceEvent } from './chrome-trace.ts';
import type { OtlpSpan } from './otlp-trace.ts';
import { namespacedTraceId, toHexId } from './trace-ids.ts';
// The services register the kinds of their events (breaker, retry, bus…) when they load.
import '../services/index.ts';

interface RunRecord {
  spans: Span[];
  events: number;
  chrome: { traceEvents: ChromeTraceEvent[]; displayTimeUnit: string; otherData: Record<string, string> };
  otlp: { resourceSpans: { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[] };
  chromeCollectorSpans: number;
}

/**
 * `front` calls `back` for every request (and sometimes twice); `back` is slow, so requests overlap
 * on both nodes. Twelve requests arrive 1 ms apart; `back` crashes at 30 ms and comes back at 40.
 */
async function run(options: { filtered?: boolean; looseEvents?: boolean } = {}): Promise<RunRecord> {
  const world = new World(11);
  world.addNode(
    'front',
    () => ({
      handlers: {
        get: async (payload: unknown, request) => {
          await request.cpu(1);
          const value = await request.call<number>('back', 'get', payload, { timeoutMs: 50 });
          if ((payload as number) % 3 === 0) await request.call('back', 'get', payload, { timeoutMs: 50 });
          request.ctx.emit('breaker.state', (payload as number) === 4 ? 'closed->open' : 'open->closed');
          if ((payload as number) === 5) request.ctx.emit('retry.attempt', 'attempt 2 in 10ms after timeout', 'back');
          return value;
        },
      },
    }),
    { workers: 8 },
  );
  world.addNode('back', () => ({ handlers: { get: async (payload: unknown, request) => { await request.cpu(5); return payload; } } }), { workers: 2 });
  const spans: Span[] = [];
  let events = 0;
  world.sim.trace.addSink((event: TraceEvent) => {
    events++;
    if (event.kind === 'span' && event.span) spans.push(event.span);
  });
  const chrome = createChromeTraceCollector({ label: 'two nodes' });
  const otlp = createOtlpCollector();
  if (options.filtered) {
    world.sim.trace.addFilteredSink(chrome.kinds, chrome.sink);
    world.sim.trace.addFilteredSink(otlp.kinds, otlp.sink);
  } else {
    world.sim.trace.addSink(chrome.sink);
    world.sim.trace.addSink(otlp.sink);
  }
  for (let index = 0; index < 12; index++) {
    world.sim.schedule(index, () => {
      world.call('front', 'get', index, { timeoutMs: 200 }).catch(() => undefined);
    });
  }
  world.sim.schedule(30, () => {
    world.sim.trace.emit(world.sim.nowMs, 'fault', 'crash back');
    world.crash('back');
  });
  world.sim.schedule(40, () => world.restart('back'));
  if (options.looseEvents) {
    // Background work on `back`, during no request: a broker redelivery and a discovery change.
    world.sim.schedule(600, () => world.node('back').ctx.emit('bus.redeliver', 'orders/0@3 attempt=2', 'front'));
    world.sim.schedule(700, () => world.node('back').ctx.emit('discovery.expire', 'back', 'back-2'));
  }
  await world.sim.run({ untilMs: 1000 });
  return { spans, events, chrome: JSON.parse(chrome.finish()), otlp: JSON.parse(otlp.finish()), chromeCollectorSpans: chrome.spanCount };
}

describe('Chrome trace export', () => {
  it('has one complete event per span of the run, with virtual µs timestamps', async () => {
    const record = await run();
    expect(record.spans.length).toBeGreaterThan(20);
    const complete = record.chrome.traceEvents.filter((event) => event.ph === 'X');
    expect(complete).toHaveLength(record.spans.length);
    expect(record.chromeCollectorSpans).toBe(record.spans.length);
    expect(record.chrome.displayTimeUnit).toBe('ms');
    expect(record.chrome.otherData.label).toBe('two nodes');
    const first = record.spans[0]!;
    const exported = complete.find((event) => event.args!.spanId === first.spanId)!;
    expect(exported).toMatchObject({ name: first.name, ts: first.startMs * 1000, dur: (first.endMs - first.startMs) * 1000 });
    expect(record.spans.some((span) => span.status === 'error')).toBe(true);
    expect(complete.filter((event) => event.args!.status === 'error')).toHaveLength(record.spans.filter((span) => span.status === 'error').length);
  });

  it('gives each service node a named process and never overlaps two spans on one lane', async () => {
    const record = await run();
    const names = record.chrome.traceEvents.filter((event) => event.ph === 'M' && event.name === 'process_name').map((event) => [event.pid, event.args!.name]);
    expect(names).toEqual([[0, 'world (faults)'], [1, 'back'], [2, 'front']]);
    const lanes = new Map<string, { ts: number; end: number }[]>();
    for (const event of record.chrome.traceEvents.filter((candidate) => candidate.ph === 'X')) {
      const key = `${event.pid}/${event.tid}`;
      lanes.set(key, [...(lanes.get(key) ?? []), { ts: event.ts!, end: event.ts! + event.dur! }]);
    }
    for (const intervals of lanes.values()) {
      intervals.sort((a, b) => a.ts - b.ts);
      for (let index = 1; index < intervals.length; index++) expect(intervals[index]!.ts).toBeGreaterThanOrEqual(intervals[index - 1]!.end);
    }
    // Requests overlap, so the busy node needs more than one lane; each lane is named.
    const frontLanes = [...lanes.keys()].filter((key) => key.startsWith('2/'));
    expect(frontLanes.length).toBeGreaterThan(1);
    const threadNames = record.chrome.traceEvents.filter((event) => event.ph === 'M' && event.name === 'thread_name' && event.pid === 2);
    expect(threadNames).toHaveLength(frontLanes.length);
  });

  it('draws each RPC hop as a flow from the parent span to the child span', async () => {
    const record = await run();
    const childSpans = record.spans.filter((span) => span.parentSpanId !== undefined && record.spans.some((parent) => parent.spanId === span.parentSpanId));
    const starts = record.chrome.traceEvents.filter((event) => event.ph === 's');
    const finishes = record.chrome.traceEvents.filter((event) => event.ph === 'f');
    expect(childSpans.length).toBeGreaterThan(0);
    expect(starts).toHaveLength(childSpans.length);
    expect(finishes.map((event) => event.id)).toEqual(starts.map((event) => event.id));
    expect(new Set(starts.map((event) => event.pid))).toEqual(new Set([2]));
    expect(new Set(finishes.map((event) => event.pid))).toEqual(new Set([1]));
  });

  it('marks faults globally and breaker changes on their node as instant events', async () => {
    const record = await run();
    const instants = record.chrome.traceEvents.filter((event) => event.ph === 'i');
    expect(instants.filter((event) => event.s === 'g')).toEqual([{ name: 'fault: crash back', cat: 'fault', ph: 'i', s: 'g', ts: 30_000, pid: 0, tid: 0, args: {} }]);
    const breakerEvents = instants.filter((event) => event.cat === 'breaker.state');
    expect(breakerEvents.length).toBeGreaterThan(0);
    expect(breakerEvents.every((event) => event.pid === 2 && event.s === 'p')).toBe(true);
    expect(breakerEvents.map((event) => event.name)).toContain('breaker.state: closed->open');
    const nodeEvents = instants.filter((event) => event.cat!.startsWith('node.')).map((event) => [event.name, event.pid, event.ts]);
    expect(nodeEvents).toEqual([['node.crash', 1, 30_000], ['node.restart', 1, 40_000]]);
  });

  it('marks service events (retries, redeliveries, discovery changes…) on their node as instant events', async () => {
    const record = await run({ looseEvents: true });
    const instants = record.chrome.traceEvents.filter((event) => event.ph === 'i' && event.s === 'p');
    expect(instants.filter((event) => event.cat === 'retry.attempt').map((event) => [event.name, event.pid, event.args])).toEqual([
      ['retry.attempt: attempt 2 in 10ms after timeout', 2, { detail: 'attempt 2 in 10ms after timeout', peer: 'back' }],
    ]);
    expect(instants.filter((event) => event.cat === 'bus.redeliver' || event.cat === 'discovery.expire').map((event) => [event.name, event.pid, event.ts])).toEqual([
      ['bus.redeliver: orders/0@3 attempt=2', 1, 600_000],
      ['discovery.expire: back', 1, 700_000],
    ]);
  });

  it('exports the same trace whether its sink sees every event or only its kinds', async () => {
    const all = await run();
    const filtered = await run({ filtered: true });
    expect(filtered.chrome).toEqual(all.chrome);
    expect(filtered.otlp).toEqual(all.otlp);
  });
});

describe('OTLP export', () => {
  it('puts each service in its own resource, with every span of the run', async () => {
    const record = await run();
    const services = record.otlp.resourceSpans.map((resource) => resource.resource.attributes.find((attribute) => attribute.key === 'service.name')!.value.stringValue);
    expect(services).toEqual(['back', 'front']);
    const spans = record.otlp.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    expect(spans).toHaveLength(record.spans.length);
    expect(record.otlp.resourceSpans.every((resource) => resource.scopeSpans[0]!.scope.name === 'dsim')).toBe(true);
  });

  it('links every child to its parent span within the same trace', async () => {
    const record = await run();
    const spans = record.otlp.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const services = new Map<string, string>();
    for (const resource of record.otlp.resourceSpans) {
      const service = resource.resource.attributes[0]!.value.stringValue;
      for (const span of resource.scopeSpans[0]!.spans) services.set(span.spanId, service);
    }
    let linked = 0;
    for (const span of spans) {
      if (services.get(span.spanId) === 'front') {
        expect(span.parentSpanId).toBeUndefined();
        continue;
      }
      const parent = byId.get(span.parentSpanId!);
      // A parent whose node crashed before it finished has no span; every other child links.
      if (!parent) continue;
      expect(services.get(parent.spanId)).toBe('front');
      expect(parent.traceId).toBe(span.traceId);
      expect(BigInt(parent.startTimeUnixNano)).toBeLessThanOrEqual(BigInt(span.startTimeUnixNano));
      linked++;
    }
    const parentIds = new Set(record.spans.map((span) => span.spanId));
    expect(linked).toBe(record.spans.filter((span) => span.parentSpanId !== undefined && parentIds.has(span.parentSpanId)).length);
    expect(linked).toBeGreaterThanOrEqual(10);
    // The mapping is the simulator's: the source span's parent, as hex.
    const source = record.spans.find((span) => span.parentSpanId !== undefined)!;
    const exported = spans.find((span) => span.spanId === toHexId(source.spanId, 16))!;
    expect(exported.parentSpanId).toBe(toHexId(source.parentSpanId!, 16));
    expect(exported.traceId).toBe(toHexId(source.traceId, 32));
  });

  it('puts service events on the span of their node that was running, and loose ones on one events span per node', async () => {
    const record = await run({ looseEvents: true });
    const resources = new Map(record.otlp.resourceSpans.map((resource) => [resource.resource.attributes[0]!.value.stringValue, resource.scopeSpans[0]!.spans]));
    const withRetry = resources.get('front')!.filter((span) => span.events?.some((event) => event.name === 'retry.attempt'));
    expect(withRetry).toHaveLength(1);
    const retry = withRetry[0]!.events!.find((event) => event.name === 'retry.attempt')!;
    expect(retry.attributes).toEqual([{ key: 'dsim.detail', value: { stringValue: 'attempt 2 in 10ms after timeout' } }, { key: 'dsim.peer', value: { stringValue: 'back' } }]);
    expect(BigInt(retry.timeUnixNano)).toBeGreaterThanOrEqual(BigInt(withRetry[0]!.startTimeUnixNano));
    expect(BigInt(retry.timeUnixNano)).toBeLessThanOrEqual(BigInt(withRetry[0]!.endTimeUnixNano));
    // Every breaker change is on a span of front (each happened inside a request there).
    const breakerEvents = resources.get('front')!.flatMap((span) => (span.events ?? []).filter((event) => event.name === 'breaker.state'));
    expect(breakerEvents.length).toBeGreaterThan(0);
    expect(breakerEvents).toHaveLength(record.chrome.traceEvents.filter((event) => event.cat === 'breaker.state').length);
    const loose = resources.get('back')!.filter((span) => span.name === 'back events');
    expect(loose).toHaveLength(1);
    expect(loose[0]!.kind).toBe(1);
    expect(loose[0]!.events!.map((event) => event.name)).toEqual(['bus.redeliver', 'discovery.expire']);
  });

  it('writes ids as fixed-width hex, times as Unix-ns strings from the 2030 epoch, and statuses', async () => {
    const record = await run();
    const spans = record.otlp.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    for (const span of spans) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(typeof span.startTimeUnixNano).toBe('string');
      expect(span.kind).toBe(2);
    }
    const first = record.spans[0]!;
    const exported = spans.find((span) => span.spanId === toHexId(first.spanId, 16))!;
    expect(exported.startTimeUnixNano).toBe((BigInt(Date.UTC(2030, 0, 1)) * 1_000_000n + BigInt(Math.round(first.startMs * 1e6))).toString());
    expect(exported.attributes).toContainEqual({ key: 'dsim.span_id', value: { stringValue: first.spanId } });
    const failed = spans.filter((span) => span.status.code === 2);
    expect(failed).toHaveLength(record.spans.filter((span) => span.status === 'error').length);
    expect(failed.every((span) => typeof span.status.message === 'string')).toBe(true);
    expect(spans.filter((span) => span.status.code === 1)).toHaveLength(spans.length - failed.length);
  });

  it('puts a run namespace in the upper half of trace ids when asked', () => {
    const collector = createTraceCollector('otlp', { namespace: 'payment-outage/sync/42' });
    collector.sink({ atMs: 2, kind: 'span', node: 'a', span: { traceId: 't1a', spanId: 's2b', service: 'a', name: 'get', startMs: 1, endMs: 2, status: 'ok' } });
    const span = (JSON.parse(collector.finish()) as RunRecord['otlp']).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(span.traceId).toBe(namespacedTraceId('t1a', 'payment-outage/sync/42'));
    expect(span.traceId.slice(16)).toBe('000000000000001a');
    expect(span.traceId.slice(0, 16)).not.toBe('0000000000000000');
  });
});

describe('toHexId', () => {
  it('keeps the counter of simulator ids, padded to the width', () => {
    expect(toHexId('t1a', 32)).toBe('0000000000000000000000000000001a');
    expect(toHexId('s2b', 16)).toBe('000000000000002b');
    expect(toHexId('sFF', 16)).toBe('00000000000000ff');
  });

  it('hashes other ids deterministically to the width, never to all zeros', () => {
    expect(toHexId('order-17', 16)).toMatch(/^[0-9a-f]{16}$/);
    expect(toHexId('order-17', 32)).toMatch(/^[0-9a-f]{32}$/);
    expect(toHexId('order-17', 16)).toBe(toHexId('order-17', 16));
    expect(toHexId('order-17', 16)).not.toBe(toHexId('order-18', 16));
    expect(toHexId('t0', 16)).not.toBe('0000000000000000');
    // A counter too wide for the id is hashed rather than cut.
    expect(toHexId(`s${'f'.repeat(17)}`, 16)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('hashes with 64-bit FNV-1a (published test vectors)', () => {
    expect(toHexId('a', 16)).toBe('af63dc4c8601ec8c');
    expect(toHexId('foobar', 16)).toBe('85944171f73967e8');
    expect(toHexId('a', 16)).toBe('af63dc4c8601ec8c');
  });
});
