// Loading a model: every kind of bad input is one line naming where and what was expected, and
// good input compiles to a scenario with one variant per overlay.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, World } from '../sim/index.ts';
import { runScenario } from '../sim/harness/runner.ts';
import { modelVariants, parseModelText } from './load.ts';
import { buildSystem, compileScenario } from './compile.ts';

/** A small valid model: api → db-backed store, one endpoint. */
function baseModel(): Record<string, any> {
  return {
    name: 'small',
    durationMs: 2000,
    quiesceMs: 1000,
    services: {
      api: { calls: { store: { timeoutMs: 200 } }, operations: { get: { cpuMs: 1, steps: [{ call: 'store.read' }] } } },
      store: { operations: { read: { cpuMs: { kind: 'lognormal', median: 2, sigma: 0.3 } } } },
    },
    workload: { ratePerSec: 50, mix: [{ call: 'api.get' }] },
  };
}

/** The one-line message loading `model` (an object, or YAML text) fails with. */
function loadError(model: Record<string, unknown> | string): string {
  const text = typeof model === 'string' ? model : stringify(model);
  try {
    const { data, source } = parseModelText(text, 'system.yaml');
    modelVariants(data, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('the model loaded without an error');
}

describe('model validation: one line naming the path and what is expected', () => {
  it('malformed YAML names line and column', () => {
    expect(loadError('name: x\nservices:\n  api: [1, 2\nworkload: {}\n')).toMatch(/^system\.yaml:4:\d+: malformed YAML: /);
  });

  it('a distribution given as text names the path, the expectation and the value', () => {
    const model = baseModel();
    model.services.store.operations.read.cpuMs = '5ms';
    expect(loadError(model)).toMatch(/^system\.yaml:\d+:\d+: services\.store\.operations\.read\.cpuMs: expected a distribution .*got "5ms"$/);
  });

  it('a distribution object with a known kind reports its own missing field', () => {
    const model = baseModel();
    model.services.store.operations.read.cpuMs = { kind: 'lognormal', median: 2 };
    expect(loadError(model)).toMatch(/services\.store\.operations\.read\.cpuMs\.sigma: is missing/);
  });

  it('an unknown key names the nearest valid key', () => {
    const model = baseModel();
    model.services.api.calls.store.retyr = { maxAttempts: 2 };
    expect(loadError(model)).toMatch(/services\.api\.calls\.store: unknown key "retyr" .*did you mean "retry"\?/);
  });

  it('a call to an undefined service names it and the nearest one', () => {
    const model = baseModel();
    model.services.api.operations.get.steps = [{ call: 'stor.read' }];
    expect(loadError(model)).toMatch(/services\.api\.operations\.get\.steps\[0\]: "stor\.read" calls an undefined service "stor" \(did you mean "store"\?\)/);
  });

  it('a call to an undefined operation names it', () => {
    const model = baseModel();
    model.services.api.operations.get.steps = [{ parallel: [{ call: 'store.write' }] }];
    expect(loadError(model)).toMatch(/steps\[0\]\.parallel\[0\]: "store\.write" calls an undefined operation "write" of store/);
  });

  it('a cycle of sync calls is refused with the cycle spelt out', () => {
    const model = baseModel();
    model.services.store.operations.read.steps = [{ call: 'api.get', probability: 0.1 }];
    expect(loadError(model)).toMatch(/a cycle of sync calls: api\.get -> store\.read -> api\.get/);
  });

  it('a probability outside [0, 1] names the path and the value', () => {
    const model = baseModel();
    model.services.api.operations.get.steps = [{ call: 'store.read', probability: 1.5 }];
    expect(loadError(model)).toMatch(/services\.api\.operations\.get\.steps\[0\]\.probability: expected a probability in \[0, 1\], got 1\.5/);
  });

  it('an overlay path that matches nothing names the missing segment and the nearest key', () => {
    const model = baseModel();
    model.variants = { 'with-breaker': { 'services.api.calls.stor.breaker': { failureThreshold: 3 } } };
    expect(loadError(model)).toMatch(/variants\.with-breaker: "services\.api\.calls\.stor\.breaker" matches nothing: no "stor" in services\.api\.calls: did you mean "store"\?/);
  });

  it('an overlay may not change the shared workload', () => {
    const model = baseModel();
    model.variants = { faster: { 'workload.ratePerSec': 100 } };
    expect(loadError(model)).toMatch(/variants\.faster: "workload\.ratePerSec": a variant may change services, gateway, broker, faults only/);
  });

  it('an overlay value is validated like the base (a bad breaker field)', () => {
    const model = baseModel();
    model.variants = { 'with-breaker': { 'services.api.calls.store.breaker': { failureTreshold: 3 } } };
    expect(loadError(model)).toMatch(/variant with-breaker.*services\.api\.calls\.store\.breaker: unknown key "failureTreshold".*did you mean "failureThreshold"\?/);
  });

  it('a step with two kinds is refused', () => {
    const model = baseModel();
    model.services.api.operations.get.steps = [{ call: 'store.read', queries: 1 }];
    expect(loadError(model)).toMatch(/steps\[0\]: a step needs exactly one of call, publish, parallel, queries, cpuMs, got call and queries/);
  });

  it('queries without a database are refused', () => {
    const model = baseModel();
    model.services.api.operations.get.steps = [{ queries: 1 }];
    expect(loadError(model)).toMatch(/"queries" needs a database: add services\.api\.database/);
  });
});

describe('model compilation', () => {
  it('an overlay adds a variant that differs only where it says, and both run on one seed', async () => {
    const model = baseModel();
    model.variants = { 'with-breaker': { 'services.api.calls.store.breaker': { failureThreshold: 3, openDurationMs: 500 } } };
    const { data, source } = parseModelText(stringify(model), 'system.yaml');
    const variants = modelVariants(data, source);
    expect(variants.map((variant) => variant.name)).toEqual(['base', 'with-breaker']);
    expect(variants[0]!.model.services.api!.calls!.store!.breaker).toBeUndefined();
    expect(variants[1]!.model.services.api!.calls!.store!.breaker).toEqual({ failureThreshold: 3, openDurationMs: 500 });
    const result = await runScenario(compileScenario(variants[0]!.model, variants, undefined), 3);
    expect(result.variants.map((variant) => variant.name)).toEqual(['base', 'with-breaker']);
    for (const variant of result.variants) {
      expect(variant.metrics.requests.total).toBeGreaterThan(50);
      expect(variant.metrics.requests.failed).toBe(0);
    }
    const again = await runScenario(compileScenario(variants[0]!.model, variants, undefined), 3);
    expect(again.traceHash).toBe(result.traceHash);
  });

  it('a service named in a fault stands for every replica', async () => {
    const model = baseModel();
    model.services.store.replicas = 3;
    model.faults = [{ atMs: 500, durationMs: 500, fault: { kind: 'crash', node: 'store' } }];
    const { data, source } = parseModelText(stringify(model), 'system.yaml');
    const variants = modelVariants(data, source);
    const scenario = compileScenario(variants[0]!.model, variants, undefined);
    expect(scenario.variants[0]!.faults!.map((entry) => entry.fault)).toEqual([
      { kind: 'crash', node: 'store-1' },
      { kind: 'crash', node: 'store-2' },
      { kind: 'crash', node: 'store-3' },
    ]);
  });

  it('a fault on an unknown node names the nearest node', () => {
    const model = baseModel();
    model.faults = [{ atMs: 500, fault: { kind: 'slow', node: 'stor', factor: 10 } }];
    const { data, source } = parseModelText(stringify(model), 'system.yaml');
    const variants = modelVariants(data, source);
    expect(() => compileScenario(variants[0]!.model, variants, undefined)).toThrow(/faults\[0\]\.fault: no node or service "stor" \(did you mean "store"\?\)/);
  });
});

describe('cores and concurrency of a service', () => {
  it('threads and eventLoop together are refused', () => {
    const model = baseModel();
    model.services.api.concurrency = { threads: 8, eventLoop: true };
    expect(loadError(model)).toMatch(/^system\.yaml:\d+:\d+: services\.api\.concurrency: a replica is thread-per-request or an event loop: give threads or eventLoop, not both$/);
  });

  it('workers and concurrency together are refused, naming the equivalent', () => {
    const model = baseModel();
    model.services.api.workers = 8;
    model.services.api.concurrency = { eventLoop: { maxInFlight: 100 } };
    expect(loadError(model)).toMatch(/services\.api\.concurrency: workers and concurrency are both set; give one \(workers: N is concurrency: \{ threads: N \}\)$/);
  });

  it('an empty concurrency and a bad eventLoop are refused', () => {
    const model = baseModel();
    model.services.api.concurrency = {};
    expect(loadError(model)).toMatch(/services\.api\.concurrency: give threads: N \(thread-per-request\) or eventLoop: true \| \{ maxInFlight \}$/);
    model.services.api.concurrency = { eventLoop: 'yes' };
    expect(loadError(model)).toMatch(/services\.api\.concurrency\.eventLoop: expected true or \{ maxInFlight \}, got "yes"$/);
  });

  it('cores of 0 or less are refused', () => {
    const model = baseModel();
    model.services.store.cores = 0;
    expect(loadError(model)).toMatch(/^system\.yaml:\d+:\d+: services\.store\.cores: expected a number of cores > 0 \(fractions allowed, e\.g\. 0\.5\), got 0$/);
    model.services.store.cores = -2;
    expect(loadError(model)).toMatch(/services\.store\.cores: expected a number of cores > 0 .*, got -2$/);
  });

  it('compiles into the node options: threads, event loop, cores', () => {
    const model = baseModel();
    model.services.api.cores = 2;
    model.services.api.concurrency = { eventLoop: { maxInFlight: 100 } };
    model.services.store.replicas = 2;
    model.services.store.concurrency = { threads: 3 };
    const { data, source } = parseModelText(stringify(model), 'system.yaml');
    const world = new World(1);
    buildSystem(world, modelVariants(data, source)[0]!.model);
    const options = (name: string) => {
      const { workers, concurrency, cores } = world.node(name).options;
      return { workers, concurrency, cores };
    };
    expect(options('api')).toEqual({ workers: 100, concurrency: 'event-loop', cores: 2 });
    expect(options('store-2')).toEqual({ workers: 3, concurrency: 'threads', cores: undefined });
  });

  it('workers alone still gives thread-per-request, with CPU as a plain delay', () => {
    const model = baseModel();
    model.services.api.workers = 5;
    const { data, source } = parseModelText(stringify(model), 'system.yaml');
    const world = new World(1);
    buildSystem(world, modelVariants(data, source)[0]!.model);
    const { workers, concurrency, cores } = world.node('api').options;
    expect({ workers, concurrency, cores }).toEqual({ workers: 5, concurrency: 'threads', cores: undefined });
  });
});

describe('SLO checks', () => {
  it('an SLO without a target is refused', () => {
    const model = baseModel();
    model.checks = [{ slo: { endpoint: 'api.get' } }];
    expect(loadError(model)).toMatch(/^system\.yaml:\d+:\d+: checks\[0\]\.slo: an SLO needs a target: give at least one of p50Ms, p99Ms, p999Ms, availability \(e\.g\. slo: \{ p99Ms: 200 \}\)$/);
  });

  it('an availability out of (0, 1] and an unknown phase are refused', () => {
    const model = baseModel();
    model.checks = [{ slo: { availability: 0 } }];
    expect(loadError(model)).toMatch(/checks\[0\]\.slo\.availability: expected a fraction in \(0, 1\], e\.g\. 0\.999, got 0$/);
    model.checks = [{ slo: { p99Ms: 100, phase: 'during-fault' } }];
    expect(loadError(model)).toMatch(/checks\[0\]\.slo\.phase: .*"during-faults".*got "during-fault"$/);
  });

  it('the checks of before SLOs name the SLO that replaces them', () => {
    const model = baseModel();
    model.checks = [{ availability: { min: 0.98 } }];
    expect(loadError(model)).toMatch(/checks\[0\]: "availability" is now an SLO: write slo: \{ availability: 0\.98 \}$/);
    model.checks = [{ latency: { percentile: 'p99', maxMs: 150 } }];
    expect(loadError(model)).toMatch(/checks\[0\]: "latency" is now an SLO: write slo: \{ p99Ms: 150 \}$/);
    model.checks = [{ latency: { percentile: 'p90', maxMs: 150 } }];
    expect(loadError(model)).toMatch(/"latency" is now an SLO: write slo: \{ p99Ms: 150 \} \(an SLO targets p50Ms, p99Ms or p999Ms, not p90\)$/);
  });
});
