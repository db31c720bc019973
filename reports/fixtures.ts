// Test-only: a synthetic scenario result with two variants, so report tests do not depend on real
// scenarios. Every figure is computed from a formula: the fixture is the same on every call.
import type { ScenarioResult, VariantResult, TimelineEntry } from '../sim/harness/result.ts';
import type { TimeBucket } from '../sim/harness/metrics.ts';
import type { ScheduledFault } from '../sim/harness/faults.ts';

/** Options of `syntheticResult`. */
export interface SyntheticOptions {
  /** Scenario name (tests put markup here to check escaping). */
  scenario?: string;
  /** Names of the two variants. */
  variantNames?: [string, string];
  /** Whether the second variant reports breaker state changes in its timeline (default true). */
  breakerTimeline?: boolean;
}

const FAULT_SCHEDULE: ScheduledFault[] = [
  { atMs: 20_000, durationMs: 10_000, fault: { kind: 'crash', node: 'payments' } },
  { atMs: 40_000, durationMs: 5_000, fault: { kind: 'slow', node: 'inventory', factor: 4 } },
];
const FAULT_LINES = ['@20000ms for 10000ms: crash payments', '@40000ms for 5000ms: slow inventory x4'];
const DURATION_MS = 60_000;
const BUCKET_MS = 1_000;

/** One-second buckets over the run; latency and errors rise while payments is down. */
function series(baseLatencyMs: number, outageErrorRate: number): TimeBucket[] {
  const buckets: TimeBucket[] = [];
  for (let index = 0; index < DURATION_MS / BUCKET_MS; index++) {
    const startMs = index * BUCKET_MS;
    const inOutage = startMs >= 20_000 && startMs < 30_000;
    const inSlow = startMs >= 40_000 && startMs < 45_000;
    const total = 100;
    const failed = inOutage ? Math.round(total * outageErrorRate) : 0;
    const p50Ms = baseLatencyMs * (inSlow ? 3 : 1) + (index % 5) * 0.25;
    const p99Ms = p50Ms * (inOutage ? 12 : 4);
    buckets.push({
      startMs,
      endMs: startMs + BUCKET_MS,
      ok: total - failed,
      failed,
      throughputPerSec: total,
      errorRate: failed / total,
      p50Ms,
      p99Ms,
      maxMs: p99Ms * 1.5,
      meanMs: p50Ms * 1.2,
    });
  }
  return buckets;
}

function breakerTimeline(): TimelineEntry[] {
  return [
    { atMs: 0, kind: 'fault', node: 'crash payments', detail: '' },
    { atMs: 20_350, kind: 'breaker.state', node: 'orders', detail: 'closed->open' },
    { atMs: 25_350, kind: 'breaker.state', node: 'orders', detail: 'open->half-open' },
    { atMs: 25_420, kind: 'breaker.state', node: 'orders', detail: 'half-open->open' },
    { atMs: 30_420, kind: 'breaker.state', node: 'orders', detail: 'open->half-open' },
    { atMs: 30_480, kind: 'breaker.state', node: 'orders', detail: 'half-open->closed' },
  ];
}

function variant(name: string, overrides: Partial<VariantResult> & { metrics: VariantResult['metrics'] }): VariantResult {
  return {
    name,
    ok: true,
    traceHash: '0123456789abcdef',
    simulatedMs: 65_000,
    events: 1_234_567,
    failures: [],
    faultSchedule: FAULT_SCHEDULE,
    faults: FAULT_LINES,
    coverage: { 'a breaker half-opened': false },
    options: {},
    series: series(4, 1),
    timeline: [],
    ...overrides,
  };
}

/** A two-variant result: a failing monolith and a passing microservices variant with a breaker. */
export function syntheticResult(options: SyntheticOptions = {}): ScenarioResult {
  const [firstName, secondName] = options.variantNames ?? ['monolith', 'microservices-sync+breaker'];
  const first = variant(firstName, {
    ok: false,
    traceHash: '1111222233334444',
    events: 987_654,
    failures: [
      { kind: 'correctness', check: 'money conserved', atMs: 24_500.125, message: 'ledger total 9990 != 10000' },
      { kind: 'liveness', check: 'every order final', atMs: 65_000, message: 'not reached 5000 ms after faults healed: 3 orders pending' },
    ],
    metrics: {
      requests: { total: 6000, ok: 5000, failed: 1000 },
      latencyMs: { p50: 4.125, p90: 9.5, p99: 1000, p999: 1000, max: 1000.001, mean: 170.333 },
      availability: 5000 / 6000,
      throughputPerSec: 5000 / 60,
      costInstanceSeconds: 130.0004,
      errors: { timeout: 700, refused: 300 },
      endpoints: [],
      consistency: { ordersNonFinal: 3, timeToFinalP50Ms: 12.5, timeToFinalP99Ms: 480.25 },
      processErrors: 0,
    },
    series: series(4, 1),
  });
  const second = variant(secondName, {
    traceHash: '5555666677778888',
    metrics: {
      requests: { total: 6000, ok: 5994, failed: 6 },
      latencyMs: { p50: 0.875, p90: 2.25, p99: 38.5, p999: 251.125, max: 1999.5, mean: 3.456 },
      availability: 5994 / 6000,
      throughputPerSec: 5994 / 60,
      costInstanceSeconds: 395.5,
      errors: { 'circuit-open': 6 },
      endpoints: [],
      consistency: { ordersNonFinal: 0, timeToFinalP50Ms: 35.75, timeToFinalP99Ms: 2890, staleReads: 17 },
      processErrors: 0,
    },
    coverage: { 'a breaker half-opened': true },
    series: series(1.5, 0.06),
    timeline: options.breakerTimeline === false ? [] : breakerTimeline(),
  });
  return {
    scenario: options.scenario ?? 'payment-outage',
    description: 'Payments crashes for 10 s; inventory slows down. Does the shop stay up?',
    seed: 42,
    ok: false,
    traceHash: 'aaaabbbbccccdddd',
    variants: [first, second],
  };
}
