// Schemas of the files the CLI reads back (result JSON, sweep results, replay files), checked at
// the edge with zod: a malformed file is one line naming the path of the bad field, exit 2.
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { UsageError, oneLine } from './cli-errors.ts';

const finite = z.number().finite();
const count = z.number().int().nonnegative();
const text = z.string();

const distribution = z.looseObject({ kind: z.enum(['constant', 'uniform', 'exponential', 'normal', 'lognormal', 'pareto']) });

const linkOptions = z.strictObject({
  latencyMs: distribution.optional(),
  jitterMs: distribution.optional(),
  lossProbability: finite.min(0).max(1).optional(),
  duplicateProbability: finite.min(0).max(1).optional(),
  reorderProbability: finite.min(0).max(1).optional(),
  ordering: z.enum(['fifo', 'independent']).optional(),
  bandwidthBytesPerSec: z.number().positive().optional(),
});

/** Where a per-call fault applies: a node's method (all when omitted) or a link. */
const callTarget = z.union([z.strictObject({ node: text, method: text.optional() }), z.strictObject({ from: text, to: text })]);
const rate = finite.min(0).max(1);
const errorCode = z.enum(['timeout', 'refused', 'unavailable', 'overloaded', 'rate-limited', 'unauthorized', 'not-found', 'bad-request', 'conflict', 'application']);

/** A fault value (sim/harness/faults.ts `Fault`), one shape per kind. */
export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('crash'), node: text, wipeDurable: z.boolean().optional() }),
  z.strictObject({ kind: z.literal('restart'), node: text }),
  z.strictObject({ kind: z.literal('crash-loop'), node: text, starts: count, startupMs: finite.nonnegative().optional() }),
  z.strictObject({ kind: z.literal('pause'), node: text }),
  z.strictObject({ kind: z.literal('resume'), node: text }),
  z.strictObject({ kind: z.literal('slow'), node: text, factor: finite.positive() }),
  z.strictObject({ kind: z.literal('skew'), node: text, skewMs: finite, driftPpm: finite.optional() }),
  z.strictObject({ kind: z.literal('partition'), from: z.array(text), to: z.array(text), oneWay: z.boolean().optional() }),
  z.strictObject({ kind: z.literal('isolate'), node: text }),
  z.strictObject({ kind: z.literal('heal') }),
  z.strictObject({ kind: z.literal('hold'), from: text, to: text }),
  z.strictObject({ kind: z.literal('release'), from: text.optional(), to: text.optional() }),
  z.strictObject({ kind: z.literal('link'), from: text, to: text, link: linkOptions }),
  z.strictObject({ kind: z.literal('call-latency'), target: callTarget, rate, latencyMs: distribution }),
  z.strictObject({ kind: z.literal('call-error'), target: callTarget, rate, code: errorCode }),
  z.strictObject({ kind: z.literal('call-blackhole'), target: callTarget, rate }),
  z.strictObject({ kind: z.literal('call-bandwidth'), target: callTarget, rate, bytesPerSec: finite.positive() }),
  z.strictObject({ kind: z.literal('call-first-byte'), target: callTarget, rate, delayMs: distribution }),
]);

const scheduledFault = z.looseObject({ atMs: finite.nonnegative(), durationMs: finite.nonnegative().optional(), fault: faultSchema });

const failure = z.looseObject({ kind: text, check: text, atMs: finite, message: text });

const latency = z.looseObject({ p50: finite, p90: finite, p99: finite, p999: finite, max: finite, mean: finite });

const metrics = z.looseObject({
  requests: z.looseObject({ total: count, ok: count, failed: count }),
  latencyMs: latency,
  availability: finite.min(0).max(1),
  consistency: z.record(text, finite).optional(),
  errors: z.record(text, count).optional(),
  endpoints: z.array(z.looseObject({ endpoint: text, total: count, ok: count, failed: count })).optional(),
});

const variantResult = z.looseObject({
  name: text,
  ok: z.boolean(),
  traceHash: text,
  simulatedMs: finite,
  events: count,
  failures: z.array(failure),
  metrics,
  faultSchedule: z.array(scheduledFault).optional(),
  faults: z.array(text).optional(),
});

/** What `sim run --json` prints and `--report` writes as result.json. */
export const scenarioResultSchema = z.looseObject({
  scenario: text,
  seed: count,
  ok: z.boolean(),
  traceHash: text,
  variants: z.array(variantResult).min(1),
});

const seedRange = z.looseObject({ first: count, last: count }).refine((range) => range.first <= range.last, { message: 'first must be <= last' });

const sweepEntry = z.looseObject({
  seed: count,
  ok: z.boolean(),
  traceHash: text,
  variants: z.array(z.looseObject({ name: text, ok: z.boolean(), traceHash: text, failures: z.array(failure) })),
  coverage: z.array(text).optional(),
});

/** What `sim sweep --out` writes and `sim merge` / `--resume` read. */
export const sweepResultSchema = z.looseObject({
  scenario: text,
  file: text,
  swarm: z.boolean(),
  variant: text.optional(),
  seeds: seedRange,
  shard: z.looseObject({ index: count.min(1), count: count.min(1) }).optional(),
  interrupted: z.boolean().optional(),
  results: z.array(sweepEntry),
  coverage: z.record(text, count),
});

/** What `sim shrink` writes and `sim run --replay` reads. */
export const replayFileSchema = z
  .looseObject({
    scenario: text,
    file: text.optional(),
    seed: count,
    variant: text,
    plan: z.looseObject({
      seed: count,
      variant: text,
      faults: z.array(scheduledFault),
      durationMs: finite.positive(),
      maxRequests: count.optional(),
      onlyRequests: z.array(count).optional(),
      options: z.record(text, finite),
    }),
    failure: z.looseObject({ kind: text, check: text, atMs: finite.optional(), message: text.optional() }),
  })
  .refine((replay) => replay.plan.seed === replay.seed, { message: 'differs from seed', path: ['plan', 'seed'] })
  .refine((replay) => replay.plan.variant === replay.variant, { message: 'differs from variant', path: ['plan', 'variant'] });

/** `variants[0].metrics.latencyMs.p50` from a zod issue path. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  return out === '' ? '(top level)' : out;
}

/**
 * Reads a JSON file and checks it against `schema`; every problem is a one-line UsageError naming
 * the file, the bad field and `hint` (which command writes such a file).
 */
export function readJsonFile<T>(path: string, schema: z.ZodType<T>, what: string, hint: string): T {
  let source: string;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${what} ${path} is a folder: give the file (${hint})`);
    source = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${what} not found: ${path} (${hint})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (error) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${oneLine(error instanceof Error ? error.message : String(error))}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${what} ${path}: ${fieldPath(issue.path)}: ${oneLine(issue.message)} (${hint})`);
  }
  return parsed.data;
}
