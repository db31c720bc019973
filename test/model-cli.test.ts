// End-to-end tests of model files through the CLI: `sim run system.yaml` runs like a scenario
// file, `sim model from-traces` derives one, and every bad input is one line on stderr, exit 2.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSim, expectBadInput, type CliRun } from './run-cli.ts';
import { loadScenario } from '../bin/load-scenario.ts';
import { reportError } from '../bin/cli-errors.ts';
import { fromTracesCommand } from '../bin/commands/model.ts';
import { runScenario } from '../sim/harness/runner.ts';
import { createTraceCollector } from '../reports/trace-export.ts';

const dir = mkdtempSync(join(tmpdir(), 'dsim-model-'));

/**
 * Runs a command's body in this process as bin/sim.ts does (errors through `reportError`), with
 * stderr captured: the same path to exit 2 and one line as a spawned CLI, without a process per case.
 */
async function inProcess(body: () => Promise<unknown>): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const writes = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string) => (stdout += chunk, true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => (stderr += chunk, true)) as typeof process.stderr.write;
  try {
    const status = await body();
    return { status: typeof status === 'number' ? status : 0, stdout, stderr };
  } catch (error) {
    return { status: reportError(error), stdout, stderr };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  }
}

const run = (path: string): Promise<CliRun> => inProcess(() => loadScenario(path));
const fromTraces = (path: string): Promise<CliRun> => inProcess(() => fromTracesCommand(path, { out: join(dir, 'unused.yaml') }));

/** Writes `text` to a fresh file in the test folder and returns its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const SMALL = `name: small
durationMs: 2000
quiesceMs: 1000
services:
  api:
    operations:
      get: { cpuMs: 1, steps: [{ call: store.read }] }
  store:
    operations:
      read: { cpuMs: { kind: lognormal, median: 2, sigma: 0.3 } }
workload: { ratePerSec: 50, mix: [{ call: api.get }] }
`;

// In-process runs share the one simulation slot of this thread, so these tests run one after another.
describe('sim run <model>', () => {
  it('runs a .yaml model: seed first, a table per variant, exit 0; --json gives the contract', async () => {
    const run = await runSim(['run', 'examples/breaker-cascade.yaml', '--seed', '1', '--json']);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.scenario).toBe('breaker-cascade');
    expect(result.variants.map((variant: { name: string }) => variant.name)).toEqual(['unprotected', 'with-breaker', 'with-bulkhead']);
    const history = (name: string) =>
      result.variants.find((variant: { name: string }) => variant.name === name).metrics.endpoints.find((entry: { endpoint: string }) => entry.endpoint === 'GET /orders/history');
    // The cascade reaches an endpoint that never calls payments; both overlays contain it.
    expect(history('unprotected').availability).toBeLessThan(0.95);
    expect(history('with-breaker').availability).toBe(1);
    expect(history('with-bulkhead').availability).toBe(1);
  });

  it('runs the same model written as .json and .yml, with the same trace', async () => {
    const { parse } = await import('yaml');
    const hashes = [];
    for (const path of [file('small.yml', SMALL), file('small.json', JSON.stringify(parse(SMALL)))]) {
      hashes.push((await runScenario(await loadScenario(path), 4)).traceHash);
    }
    expect(hashes[1]).toBe(hashes[0]);
  });

  it('derives a model from its own OTLP export, and the derived model runs', async () => {
    const otlp = join(dir, 'small.otlp.json');
    const out = join(dir, 'derived.yaml');
    const collector = createTraceCollector('otlp');
    await runScenario(await loadScenario(file('small-2.yaml', SMALL)), 2, { observersFor: () => ({ filteredSinks: [{ kinds: collector.kinds, sink: collector.sink }] }) });
    writeFileSync(otlp, collector.finish());
    const derive = await inProcess(() => fromTracesCommand(otlp, { out }));
    expect(derive.status).toBe(0);
    expect(derive.stdout).toMatch(/arrivals: [\d.]+ req\/s from \d+ top-level requests \(api\.get ×\d+\)/);
    expect(derive.stdout).toMatch(/get: self time .* from \d+ spans/);
    expect(derive.stdout).toMatch(/call store\.read p=1 \(\d+\/\d+\)/);
    expect(readFileSync(out, 'utf8')).toContain('call: store.read');
    const derived = await runScenario(await loadScenario(out), 2);
    expect(derived.ok).toBe(true);
    expect(derived.variants[0]!.metrics.requests.total).toBeGreaterThan(50);
  });
});

describe('SLOs in a model', () => {
  const sloModel = (p99Ms: number) => `name: slo
durationMs: 2000
quiesceMs: 500
services:
  api:
    operations:
      get: { cpuMs: 20 }
workload: { ratePerSec: 20, mix: [{ endpoint: GET /x, call: api.get }] }
checks:
  - slo: { endpoint: GET /x, p99Ms: ${p99Ms} }
  - slo: { availability: 0.99 }
`;

  it('a missed SLO fails the run, exit 1, naming the figure, the measured value and the target', async () => {
    const run = await runSim(['run', file('slo-miss.yaml', sloModel(10)), '--seed', '1']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('✗ base: correctness failure of slo GET /x p99<=10ms');
    expect(run.stdout).toMatch(/p99 latency of GET \/x is 20 ms, target <= 10 ms \(\d+ requests\)/);
    expect(run.stdout).not.toContain('availability>=0.99');
  });

  it('SLOs that hold pass, exit 0', async () => {
    const run = await runSim(['run', file('slo-hold.yaml', sloModel(30)), '--seed', '1', '--json']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).ok).toBe(true);
  });

  it('an SLO on an endpoint the workload never sends is refused, naming what it sends', async () => {
    const run = await runSim(['run', file('slo-endpoint.yaml', sloModel(30).replace('endpoint: GET /x, p99Ms', 'endpoint: GET /y, p99Ms')), '--seed', '1']);
    expectBadInput(run, /the workload never sends endpoint 'GET \/y' \(it sends 'GET \/x'\)/);
  });
});

describe('bad model input: one line, exit 2 (sim run / sim model from-traces)', () => {
  it('malformed YAML names line and column', async () => {
    expectBadInput(await runSim(['run', file('malformed.yaml', 'name: x\nservices:\n  api: [1, 2\nworkload: {}\n')]), /malformed\.yaml:4:1: malformed YAML/);
  });

  it('an unknown key names the nearest valid key', async () => {
    expectBadInput(await run(file('unknown-key.yaml', SMALL.replace('durationMs', 'durationMS'))), /\(top level\): unknown key "durationMS".*did you mean "durationMs"\?/);
  });

  it('a call to an undefined service is named', async () => {
    expectBadInput(await run(file('undefined.yaml', SMALL.replace('call: store.read', 'call: stores.read'))), /"stores\.read" calls an undefined service "stores" \(did you mean "store"\?\)/);
  });

  it('a cycle of sync calls is refused', async () => {
    const cyclic = SMALL.replace('read: { cpuMs: { kind: lognormal, median: 2, sigma: 0.3 } }', 'read: { cpuMs: 1, steps: [{ call: api.get }] }');
    expectBadInput(await run(file('cycle.yaml', cyclic)), /a cycle of sync calls: api\.get -> store\.read -> api\.get/);
  });

  it('a probability outside [0, 1] is refused', async () => {
    expectBadInput(await run(file('probability.yaml', SMALL.replace('call: store.read', 'call: store.read, probability: -0.2'))), /steps\[0\]\.probability: expected a probability in \[0, 1\], got -0\.2/);
  });

  it('an overlay path that matches nothing is refused', async () => {
    const overlay = `${SMALL}variants:\n  with-breaker:\n    services.api.calls.store.breaker: { failureThreshold: 3 }\n`;
    expectBadInput(await run(file('overlay.yaml', overlay)), /variants\.with-breaker: "services\.api\.calls\.store\.breaker" matches nothing: no "calls" in services\.api/);
  });

  it('an OTLP file that is not OTLP is refused', async () => {
    expectBadInput(await fromTraces(file('not-otlp.json', '{"spans": []}')), /is not OTLP JSON: expected an object with "resourceSpans"/);
  });

  it('an OTLP file with no spans is refused', async () => {
    expectBadInput(await fromTraces(file('empty.otlp.json', '{"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": []}]}]}')), /is OTLP but holds no spans/);
  });
});
