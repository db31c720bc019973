// Inference from traces on hand-made OTLP: instances group into services, overlapping calls form a
// parallel group, call shares become probabilities, only a span's own errors count, and the
// arrival rate comes from the top-level spans.
import { describe, expect, it } from 'vitest';
import { readOtlp } from './otlp-read.ts';
import { inferFromSpans, serviceOfNode } from './from-traces.ts';
import { modelFromOtlpText } from './traces-to-model.ts';
import { modelVariants, parseModelText } from './load.ts';
import { compileScenario } from './compile.ts';
import { runScenario } from '../sim/harness/runner.ts';
import { createTraceCollector } from '../reports/trace-export.ts';

interface Made {
  node: string;
  name: string;
  start: number;
  end: number;
  parent?: string;
  id: string;
  trace: string;
  error?: boolean;
  /** OTLP span kind; default 2 (server). */
  kind?: number;
  /** `messaging.destination.name`. */
  topic?: string;
}

/** OTLP JSON for spans given in ms. */
function otlp(spans: Made[]): string {
  const byNode = new Map<string, Made[]>();
  for (const span of spans) byNode.set(span.node, [...(byNode.get(span.node) ?? []), span]);
  const ns = (ms: number) => String(BigInt(Math.round(ms * 1000)) * 1000n + 1_000_000_000_000_000_000n);
  return JSON.stringify({
    resourceSpans: [...byNode].map(([node, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: node } }] },
      scopeSpans: [{ scope: { name: 't' }, spans: list.map((span) => ({
        traceId: span.trace, spanId: span.id, ...(span.parent ? { parentSpanId: span.parent } : {}), name: span.name, kind: span.kind ?? 2,
        startTimeUnixNano: ns(span.start), endTimeUnixNano: ns(span.end), attributes: span.topic ? [{ key: 'messaging.destination.name', value: { stringValue: span.topic } }] : [], status: { code: span.error ? 2 : 1 },
      })) }],
    })),
  });
}

/** 100 checkouts 100 ms apart: payments ‖ inventory, then catalog in every 4th; payments fails on its own in every 10th. */
function checkouts(): Made[] {
  const spans: Made[] = [];
  for (let index = 0; index < 100; index++) {
    const t = index * 100;
    const trace = `t${index}`;
    const recommend = index % 4 === 0;
    const declined = index % 10 === 0;
    spans.push({ node: `web-${(index % 2) + 1}`, name: 'checkout', start: t, end: t + (recommend ? 20 : 14), id: `a${index}`, trace, error: declined });
    spans.push({ node: 'payments', name: 'charge', start: t + 2, end: t + 10, parent: `a${index}`, id: `b${index}`, trace, error: declined });
    spans.push({ node: 'inventory', name: 'reserve', start: t + 3, end: t + 8, parent: `a${index}`, id: `c${index}`, trace });
    if (recommend) spans.push({ node: 'catalog', name: 'list', start: t + 12, end: t + 18, parent: `a${index}`, id: `d${index}`, trace });
    spans.push({ node: 'registry', name: 'heartbeat', start: t + 50, end: t + 51, id: `h${index}`, trace: `h${index}` });
  }
  return spans;
}

describe('inferFromSpans', () => {
  const inference = inferFromSpans(readOtlp(otlp(checkouts()), 'c.otlp.json'));

  it('groups instances into services and leaves the registry out', () => {
    expect([...inference.services.keys()].sort()).toEqual(['catalog', 'inventory', 'payments', 'web']);
    expect(inference.services.get('web')!.instances).toEqual(['web-1', 'web-2']);
    expect(serviceOfNode('orders-db')).toBe('orders-db');
    expect(serviceOfNode('api-12')).toBe('api');
  });

  it('finds the parallel pair, then the optional call with its share', () => {
    const groups = inference.operations.get('web.checkout')!.groups;
    expect(groups.map((group) => group.map((call) => call.target))).toEqual([['payments.charge', 'inventory.reserve'], ['catalog.list']]);
    expect(groups[1]![0]).toMatchObject({ probability: 0.25, seen: 25, of: 100, repeat: 1 });
  });

  it('counts only errors a span made itself', () => {
    expect(inference.operations.get('payments.charge')!.errors).toBe(10);
    expect(inference.operations.get('web.checkout')!.errors).toBe(0);
  });

  it('self time is the span less its children: 14 ms less the 2..10 ms of the parallel pair', () => {
    expect(inference.operations.get('web.checkout')!.selfTime.medianMs).toBe(6);
  });

  it('the arrival rate is top-level spans per second, without the registry', () => {
    expect([...inference.entries]).toEqual([['web.checkout', 100]]);
    expect(inference.ratePerSec).toBeCloseTo(10, 6);
  });

  it('the derived model is valid YAML that says what it inferred', () => {
    const derived = modelFromOtlpText(otlp(checkouts()), 'c.otlp.json');
    expect(derived.yaml).toMatch(/# {3}checkout: self time .* from 100 spans/);
    expect(derived.yaml).toContain('parallel:');
    expect((derived.model.workload as { ratePerSec: number }).ratePerSec).toBe(10);
    const payments = (derived.model.services as any).payments.operations.charge;
    expect(payments.errorRate).toBe(0.1);
  });
});

describe('client spans (OpenTelemetry SDKs record both sides of a call)', () => {
  it('are steps of the caller: its calls go through them, and their time is its own', () => {
    const spans: Made[] = [];
    for (let index = 0; index < 40; index++) {
      const t = index * 100;
      const trace = `t${index}`;
      spans.push({ node: 'api', name: 'GET /orders', start: t, end: t + 20, id: `a${index}`, trace });
      spans.push({ node: 'api', name: 'HTTP GET', kind: 3, start: t + 2, end: t + 12, parent: `a${index}`, id: `c${index}`, trace });
      spans.push({ node: 'orders', name: 'list', start: t + 4, end: t + 10, parent: `c${index}`, id: `b${index}`, trace });
    }
    const inference = inferFromSpans(readOtlp(otlp(spans), 'k.otlp.json'));
    expect([...inference.operations.keys()].sort()).toEqual(['api.GET /orders', 'orders.list']);
    const api = inference.operations.get('api.GET /orders')!;
    expect(api.groups.map((group) => group.map((call) => call.target))).toEqual([['orders.list']]);
    // 20 ms less the 6 ms inside orders: the 4 ms on the wire belong to the caller.
    expect(api.selfTime.medianMs).toBe(14);
    expect([...inference.entries]).toEqual([['api.GET /orders', 40]]);
  });
});

describe('messaging spans', () => {
  it('a producer span makes its operation publish; a consumer span makes its service subscribe', () => {
    const spans: Made[] = [];
    for (let index = 0; index < 40; index++) {
      const t = index * 100;
      const trace = `t${index}`;
      spans.push({ node: 'orders', name: 'place', start: t, end: t + 10, id: `a${index}`, trace });
      // Every other order announces itself; shipping picks the message up later, in the same trace.
      if (index % 2 === 0) {
        spans.push({ node: 'orders', name: 'order.created publish', kind: 4, topic: 'order.created', start: t + 5, end: t + 6, parent: `a${index}`, id: `p${index}`, trace });
        spans.push({ node: 'shipping', name: 'schedule', kind: 5, topic: 'order.created', start: t + 40, end: t + 45, parent: `p${index}`, id: `c${index}`, trace });
      }
    }
    const derived = modelFromOtlpText(otlp(spans), 'm.otlp.json');
    const services = derived.model.services as any;
    expect(services.orders.operations.place.steps).toEqual([{ publish: 'order.created', probability: 0.5 }]);
    expect(services.shipping.subscribes).toEqual({ 'order.created': 'schedule' });
    // Consumers are not client requests: the arrivals are the 40 orders only.
    expect((derived.model.workload as any).mix).toEqual([{ call: 'orders.place', weight: 40 }]);
    expect(derived.summary).toContain('  consumes order.created: runs schedule');
  });

  it('the derived model runs: shipping consumes what orders publish, through the broker', async () => {
    const spans: Made[] = [];
    for (let index = 0; index < 40; index++) {
      const t = index * 100;
      spans.push({ node: 'orders', name: 'place', start: t, end: t + 10, id: `a${index}`, trace: `t${index}` });
      spans.push({ node: 'orders', name: 'send', kind: 4, topic: 'order.created', start: t + 5, end: t + 6, parent: `a${index}`, id: `p${index}`, trace: `t${index}` });
      spans.push({ node: 'shipping', name: 'schedule', kind: 5, start: t + 40, end: t + 45, parent: `p${index}`, id: `c${index}`, trace: `t${index}` });
    }
    const { data, source } = parseModelText(modelFromOtlpText(otlp(spans), 'm.otlp.json').yaml, 'derived.yaml');
    const variants = modelVariants(data, source);
    const collector = createTraceCollector('otlp');
    await runScenario(compileScenario(variants[0]!.model, variants, undefined), 1, { observersFor: () => ({ filteredSinks: [{ kinds: collector.kinds, sink: collector.sink }] }) });
    const rerun = readOtlp(collector.finish(), 'rerun.json');
    const count = (node: string, name: string) => rerun.filter((span) => span.node === node && span.name === name).length;
    expect(count('orders', 'place')).toBeGreaterThan(20);
    expect(count('shipping', 'bus.deliver')).toBe(count('orders', 'place'));
  });
});

describe('derived call timeouts', () => {
  it('a call that took longer than the default 1 s timeout gets twice its longest duration', () => {
    const spans: Made[] = [];
    for (let index = 0; index < 10; index++) {
      const t = index * 2000;
      spans.push({ node: 'api', name: 'report', start: t, end: t + 900, id: `a${index}`, trace: `t${index}` });
      spans.push({ node: 'warehouse', name: 'scan', start: t + 10, end: t + 10 + 600 + index * 20, parent: `a${index}`, id: `b${index}`, trace: `t${index}` });
    }
    const derived = modelFromOtlpText(otlp(spans), 'slow.otlp.json');
    // The longest scan took 780 ms: 1560 ms, in whole 100 ms.
    expect((derived.model.services as any).api.calls).toEqual({ warehouse: { timeoutMs: 1600 } });
  });
});

describe('readOtlp', () => {
  it('refuses text that is not JSON, and JSON that is not OTLP', () => {
    expect(() => readOtlp('{', 'x.json')).toThrow(/x\.json is not OTLP JSON: it does not parse as JSON/);
    expect(() => readOtlp('[1]', 'x.json')).toThrow('x.json is not OTLP JSON: expected an object with "resourceSpans"');
  });

  it('refuses an export without spans', () => {
    expect(() => readOtlp('{"resourceSpans":[]}', 'x.json')).toThrow('x.json is OTLP but holds no spans');
  });

  it('uses http.route as the operation when a span carries it', () => {
    const text = otlp([{ node: 'api', name: 'GET', start: 0, end: 1, id: 'a', trace: 't' }]).replace('"attributes":[]', '"attributes":[{"key":"http.route","value":{"stringValue":"/users/:id"}}]');
    expect(readOtlp(text, 'x.json')[0]!.name).toBe('/users/:id');
  });
});
