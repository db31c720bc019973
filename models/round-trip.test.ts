// The round trip: a system written in TypeScript → its OTLP traces → a model derived from them →
// a run of that model, which must match the original per endpoint (p50, p99, throughput) within 10%.
import { describe, expect, it } from 'vitest';
import { runScenario } from '../sim/harness/runner.ts';
import type { ScenarioResult } from '../sim/index.ts';
import { createTraceCollector } from '../reports/trace-export.ts';
import storefront from './fixtures/storefront.ts';
import { modelFromOtlpText } from './traces-to-model.ts';
import { compileScenario } from './compile.ts';
import { modelVariants, parseModelText } from './load.ts';

const SEED = 5;
const TOLERANCE = 0.1;

function endpoints(result: ScenarioResult): Map<string, { total: number; p50: number; p99: number }> {
  const variant = result.variants[0]!;
  return new Map(variant.metrics.endpoints.map((entry) => [entry.endpoint, { total: entry.total, p50: entry.latencyMs.p50, p99: entry.latencyMs.p99 }]));
}

describe('round trip: TypeScript scenario → OTLP → derived model → run', () => {
  it('matches the original per endpoint within 10% (p50, p99, throughput)', async () => {
    const collector = createTraceCollector('otlp', { namespace: `storefront/${SEED}` });
    const original = await runScenario(storefront, SEED, { observersFor: () => ({ filteredSinks: [{ kinds: collector.kinds, sink: collector.sink }] }) });
    const derived = modelFromOtlpText(collector.finish(), 'storefront.otlp.json');
    const { data, source } = parseModelText(derived.yaml, 'storefront-derived.yaml');
    const variants = modelVariants(data, source);
    const replayed = await runScenario(compileScenario(variants[0]!.model, variants, undefined), SEED);

    // What was inferred: the services, the parallel pair, the call probability of recommendations.
    const services = derived.model.services as Record<string, { operations: Record<string, { steps?: unknown[] }> }>;
    expect(Object.keys(services).sort()).toEqual(['catalog', 'catalog-db', 'inventory', 'payments', 'web']);
    const checkout = services.web!.operations.checkout!.steps as { parallel?: { call: string }[]; call?: string; probability?: number }[];
    expect(checkout[0]!.parallel!.map((step) => step.call).sort()).toEqual(['inventory.reserve', 'payments.charge']);
    expect(checkout[1]!.call).toBe('catalog.list');
    expect(checkout[1]!.probability).toBeGreaterThan(0.45);
    expect(checkout[1]!.probability).toBeLessThan(0.55);

    const before = endpoints(original);
    const after = endpoints(replayed);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [endpoint, figures] of before) {
      const again = after.get(endpoint)!;
      for (const figure of ['total', 'p50', 'p99'] as const) {
        const ratio = again[figure] / figures[figure];
        expect(Math.abs(ratio - 1), `${endpoint} ${figure}: ${figures[figure]} → ${again[figure]}`).toBeLessThan(TOLERANCE);
      }
    }
  });
});
