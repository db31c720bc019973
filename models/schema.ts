// The schema of a model file (an architecture as data), in zod: what `sim run system.yaml` accepts.
// Every object is strict, so a misspelt key is an error that names the nearest valid key; the same
// schema is published as JSON Schema (models/system.schema.json) for editors.
import { z } from 'zod';
import { BALANCER_KINDS, type BalancerKind } from '../services/routing/balancer.ts';
import { nearestKey } from './nearest.ts';

/**
 * A strict object whose unknown-key error names the nearest valid key: `retries` → `did you mean
 * "retry"?`. zod reports unknown keys; only the schema knows which keys would have been valid.
 */
function strict<T extends z.ZodRawShape>(shape: T, what: string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const key = issue.keys[0]!;
        const near = nearestKey(key, known);
        return `unknown key "${key}" in ${what}${near ? `: did you mean "${near}"?` : ''} (valid keys: ${known.join(', ')})`;
      }
      if (issue.code === 'invalid_type') return `expected ${what}, got ${describeValue(issue.input)}`;
      return undefined;
    },
  });
}

/** A value as an error message shows it: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

const nonNegative = z.number().nonnegative();
const positive = z.number().positive();
const wholeAtLeast = (min: number) => z.number().int().min(min);
/** A probability in [0, 1]. */
export const Probability = z.number({ error: (issue) => `expected a probability in [0, 1], got ${describeValue(issue.input)}` }).min(0, 'expected a probability in [0, 1]').max(1, 'expected a probability in [0, 1]');

const DistributionObject = z.discriminatedUnion(
  'kind',
  [
    strict({ kind: z.literal('constant'), value: nonNegative }, 'a constant distribution { kind, value }'),
    strict({ kind: z.literal('uniform'), min: nonNegative, max: nonNegative }, 'a uniform distribution { kind, min, max }'),
    strict({ kind: z.literal('exponential'), mean: nonNegative }, 'an exponential distribution { kind, mean }'),
    strict({ kind: z.literal('normal'), mean: z.number(), stddev: nonNegative, min: z.number().optional() }, 'a normal distribution { kind, mean, stddev, min? }'),
    strict({ kind: z.literal('lognormal'), median: positive, sigma: nonNegative, max: positive.optional() }, 'a lognormal distribution { kind, median, sigma, max? }'),
    strict({ kind: z.literal('pareto'), scale: positive, shape: positive, max: positive.optional() }, 'a pareto distribution { kind, scale, shape, max? }'),
  ],
  { error: () => 'expected a distribution: kind is one of constant, uniform, exponential, normal, lognormal, pareto' },
);

/** Milliseconds as a distribution (sim/rng.ts `Distribution`), or a plain number for a constant. */
export const Distribution = z
  .union([nonNegative, DistributionObject], {
    error: (issue) => `expected a distribution (a number of ms, or { kind: lognormal, median, sigma }…), got ${describeValue(issue.input)}`,
  })
  .meta({ description: 'Milliseconds: a number (constant) or a distribution { kind: constant|uniform|exponential|normal|lognormal|pareto, … }' });

/** A network link (sim/network.ts `LinkOptions`). */
export const Link = strict(
  {
    latencyMs: Distribution.optional(),
    jitterMs: Distribution.optional(),
    lossProbability: Probability.optional(),
    duplicateProbability: Probability.optional(),
    reorderProbability: Probability.optional(),
  },
  'a link { latencyMs, jitterMs, lossProbability, duplicateProbability, reorderProbability }',
);

/** Retry policy of a call (services/retry.ts). */
export const Retry = strict(
  {
    maxAttempts: wholeAtLeast(1).max(20).optional().meta({ description: 'Attempts, the first included. Default 3.' }),
    baseDelayMs: nonNegative.optional(),
    maxDelayMs: nonNegative.optional(),
    multiplier: z.number().min(1).optional(),
    jitter: z.enum(['none', 'full', 'equal', 'decorrelated']).optional(),
  },
  'a retry policy { maxAttempts, baseDelayMs, maxDelayMs, multiplier, jitter }',
);

/** Circuit breaker of a call (services/breaker.ts): consecutive failures, or a failure rate over a count window. */
export const Breaker = strict(
  {
    failureThreshold: wholeAtLeast(1).optional().meta({ description: 'Opens after this many consecutive failures. Default 5 (unless failureRateThreshold is set).' }),
    failureRateThreshold: z.number().gt(0).max(1).optional().meta({ description: 'Opens when this share of the last windowSize calls failed.' }),
    slowCallRateThreshold: z.number().gt(0).max(1).optional().meta({ description: 'Opens when this share of the last windowSize calls was slower than slowCallDurationMs.' }),
    windowSize: wholeAtLeast(1).optional(),
    minimumCalls: wholeAtLeast(1).optional(),
    openDurationMs: positive.optional(),
    halfOpenProbes: wholeAtLeast(1).optional(),
    slowCallDurationMs: positive.optional(),
  },
  'a breaker { failureThreshold | failureRateThreshold, slowCallRateThreshold, windowSize, minimumCalls, openDurationMs, halfOpenProbes, slowCallDurationMs }',
);

/** Bulkhead of a call (services/bulkhead.ts): at most this many calls at once, this many waiting. */
export const Bulkhead = strict({ maxConcurrent: wholeAtLeast(1), maxQueued: wholeAtLeast(0).optional() }, 'a bulkhead { maxConcurrent, maxQueued }');

/** Fallback of a call (services/fallback.ts): answer `value` instead of failing. */
export const Fallback = strict({ value: z.unknown().optional() }, 'a fallback { value }');

/** How a service calls one dependency: the policies around each call (outermost first: fallback, retry, breaker, bulkhead; timeout per attempt). */
export const CallPolicy = strict(
  {
    timeoutMs: positive.optional().meta({ description: 'Timeout of each attempt. Default: the caller node default (1000 ms).' }),
    retry: Retry.optional(),
    breaker: Breaker.optional(),
    bulkhead: Bulkhead.optional(),
    fallback: Fallback.optional(),
  },
  'call policies { timeoutMs, retry, breaker, bulkhead, fallback }',
);

/** One step of an operation. Exactly one of call, publish, parallel, queries, cpuMs. */
export interface StepInput {
  call?: string;
  publish?: string;
  parallel?: StepInput[];
  queries?: number;
  cpuMs?: z.infer<typeof Distribution>;
  probability?: number;
}

const STEP_KINDS = ['call', 'publish', 'parallel', 'queries', 'cpuMs'] as const;

export const Step: z.ZodType<StepInput> = z.lazy(() =>
  strict(
    {
      call: z.string().regex(/^[^.\s]+\.[^\s]+$/, 'expected "service.operation"').optional().meta({ description: 'A synchronous call: "service.operation".' }),
      publish: z.string().min(1).optional().meta({ description: 'An asynchronous publish on the bus: the topic.' }),
      parallel: z.array(Step).min(1).max(32).optional().meta({ description: 'Steps run at once; the operation waits for all.' }),
      queries: wholeAtLeast(1).max(100).optional().meta({ description: "Sequential round trips to the service's own database." }),
      cpuMs: Distribution.optional().meta({ description: 'More CPU time at this point of the operation.' }),
      probability: Probability.optional().meta({ description: 'Chance that the step runs. Default 1.' }),
    },
    'a step { call | publish | parallel | queries | cpuMs, probability }',
  ).superRefine((step, context) => {
    const kinds = STEP_KINDS.filter((kind) => step[kind] !== undefined);
    if (kinds.length !== 1) {
      context.addIssue({ code: 'custom', message: `a step needs exactly one of ${STEP_KINDS.join(', ')}, got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}` });
    }
  }),
);

/** One operation a service serves. */
export const Operation = strict(
  {
    cpuMs: Distribution.meta({ description: 'CPU time of the operation before its steps, in a worker slot.' }),
    steps: z.array(Step).max(64).optional(),
    errorRate: Probability.optional().meta({ description: 'Share of requests that fail on their own (an application error).' }),
  },
  'an operation { cpuMs, steps, errorRate }',
);

/** A service's own database: a node `<service>-db` answering `queries` steps. */
export const Database = strict(
  {
    queryMs: Distribution,
    connections: wholeAtLeast(1).optional().meta({ description: 'Queries served at once. Default 8.' }),
    queueCapacity: wholeAtLeast(0).optional(),
  },
  'a database { queryMs, connections, queueCapacity }',
);

const eventLoopExpected = (issue: { input?: unknown }): string => `expected true or { maxInFlight }, got ${describeValue(issue.input)}`;

/** How a replica serves requests at once: a thread per request, or an event loop (sim/world/node.ts). */
export const Concurrency = strict(
  {
    threads: wholeAtLeast(1).optional().meta({ description: 'Thread-per-request: a request holds one of these threads until it answers, waits on calls included (same as workers).' }),
    eventLoop: z
      .union([z.literal(true, { error: eventLoopExpected }), strict({ maxInFlight: wholeAtLeast(1).optional() }, 'an event loop { maxInFlight }')], { error: eventLoopExpected })
      .optional()
      .meta({ description: 'Event loop: a request holds nothing while it awaits; only CPU uses the cores (1 unless cores is set). maxInFlight (default 1000) bounds requests admitted at once.' }),
  },
  'a concurrency model { threads | eventLoop }',
).superRefine((concurrency, context) => {
  if (concurrency.threads !== undefined && concurrency.eventLoop !== undefined) {
    context.addIssue({ code: 'custom', message: 'a replica is thread-per-request or an event loop: give threads or eventLoop, not both' });
  } else if (concurrency.threads === undefined && concurrency.eventLoop === undefined) {
    context.addIssue({ code: 'custom', message: 'give threads: N (thread-per-request) or eventLoop: true | { maxInFlight }' });
  }
});

/** One service: replicas, capacity, its dependencies' policies, its operations. */
export const Service = strict(
  {
    replicas: wholeAtLeast(1).max(100).optional().meta({ description: 'Instances (nodes <service>-1…); 1 gives one node named <service>. Default 1.' }),
    workers: wholeAtLeast(1).optional().meta({ description: 'Requests served at once per replica (thread-per-request worker slots; same as concurrency.threads). Default 8.' }),
    cores: z
      .number({ error: (issue) => `expected a number of cores > 0, got ${describeValue(issue.input)}` })
      .positive('expected a number of cores > 0 (fractions allowed, e.g. 0.5)')
      .optional()
      .meta({ description: 'CPU cores per replica, shared by processor sharing among every CPU burst. Without it (and without an event loop) CPU time is a plain delay.' }),
    concurrency: Concurrency.optional(),
    queueCapacity: wholeAtLeast(0).optional().meta({ description: 'Requests waiting for a worker per replica; more are shed. Default 64.' }),
    balancer: z.enum(BALANCER_KINDS as unknown as [BalancerKind, ...BalancerKind[]]).optional().meta({ description: 'How callers pick among its replicas. Default round-robin.' }),
    calls: z.record(z.string(), CallPolicy).optional().meta({ description: 'Policies on calls to each dependency, by service name.' }),
    operations: z.record(z.string(), Operation),
    subscribes: z.record(z.string(), z.string()).optional().meta({ description: 'Bus topics this service consumes: topic → the operation each event runs.' }),
    database: Database.optional(),
  },
  'a service { replicas, workers, cores, concurrency, queueCapacity, balancer, calls, operations, subscribes, database }',
).superRefine((service, context) => {
  if (service.workers !== undefined && service.concurrency !== undefined) {
    context.addIssue({ code: 'custom', path: ['concurrency'], message: 'workers and concurrency are both set; give one (workers: N is concurrency: { threads: N })' });
  }
});

/** One gateway route: a path prefix to a service's operation. */
export const Route = strict(
  {
    prefix: z.string().regex(/^\//, 'expected a path prefix starting with "/"'),
    to: z.string().regex(/^[^.\s]+\.[^\s]+$/, 'expected "service.operation"'),
    cacheTtlMs: nonNegative.optional(),
    policy: CallPolicy.optional(),
  },
  'a route { prefix, to, cacheTtlMs, policy }',
);

/** The API gateway in front (services/gateway.ts). */
export const Gateway = strict(
  {
    processingMs: nonNegative.optional(),
    workers: wholeAtLeast(1).optional(),
    queueCapacity: wholeAtLeast(0).optional(),
    routes: z.array(Route).min(1),
  },
  'a gateway { processingMs, workers, queueCapacity, routes }',
);

/** One kind of request the workload sends: to a gateway path, or straight to a service's operation. */
export const Endpoint = strict(
  {
    endpoint: z.string().optional().meta({ description: 'Name in reports. Default "METHOD path" or "service.operation".' }),
    weight: positive.optional(),
    path: z.string().regex(/^\//, 'expected a path starting with "/"').optional().meta({ description: 'Sent to the gateway.' }),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    call: z.string().regex(/^[^.\s]+\.[^\s]+$/, 'expected "service.operation"').optional().meta({ description: 'Sent straight to a replica of the service.' }),
  },
  'an endpoint { endpoint, weight, path, method, call }',
);

/** One point of a piecewise rate profile: from `atMs` on, `ratePerSec`. */
export const RatePoint = strict({ atMs: nonNegative, ratePerSec: nonNegative }, 'a rate point { atMs, ratePerSec }');

/** The workload: open (arrivals at a rate, possibly a profile over time) or closed (clients with think time). */
export const Workload = strict(
  {
    kind: z.enum(['open', 'closed']).optional(),
    ratePerSec: positive.optional(),
    rateProfile: z.array(RatePoint).min(1).max(10_000).optional().meta({ description: 'Piecewise constant rate: each point holds until the next.' }),
    rateCsv: z.string().optional().meta({ description: 'A CSV file (relative to the model) with a header time,rate (seconds, per second) or timeMs,ratePerSec.' }),
    clients: wholeAtLeast(1).max(100_000).optional(),
    thinkTimeMs: Distribution.optional(),
    timeoutMs: positive.optional(),
    maxRequests: wholeAtLeast(0).optional(),
    mix: z.array(Endpoint).min(1),
  },
  'a workload { kind, ratePerSec | rateProfile | rateCsv, clients, thinkTimeMs, timeoutMs, mix }',
);

const nodeFault = <K extends string>(kind: K) => ({ kind: z.literal(kind), node: z.string() });
/** A fault value (sim/faults.ts `Fault`); `node` may name a service (every replica) or one node. */
export const Fault = z.discriminatedUnion(
  'kind',
  [
    strict({ ...nodeFault('crash'), wipeDurable: z.boolean().optional() }, 'a crash fault { kind, node, wipeDurable }'),
    strict(nodeFault('restart'), 'a restart fault { kind, node }'),
    strict({ ...nodeFault('crash-loop'), starts: wholeAtLeast(1), startupMs: nonNegative.optional() }, 'a crash-loop fault { kind, node, starts, startupMs }'),
    strict(nodeFault('pause'), 'a pause fault { kind, node }'),
    strict(nodeFault('resume'), 'a resume fault { kind, node }'),
    strict({ ...nodeFault('slow'), factor: positive }, 'a slow fault { kind, node, factor }'),
    strict({ ...nodeFault('skew'), skewMs: z.number(), driftPpm: z.number().optional() }, 'a skew fault { kind, node, skewMs, driftPpm }'),
    strict({ kind: z.literal('partition'), from: z.array(z.string()).min(1), to: z.array(z.string()).min(1), oneWay: z.boolean().optional() }, 'a partition fault { kind, from, to, oneWay }'),
    strict(nodeFault('isolate'), 'an isolate fault { kind, node }'),
    strict({ kind: z.literal('heal') }, 'a heal fault { kind }'),
    strict({ kind: z.literal('hold'), from: z.string(), to: z.string() }, 'a hold fault { kind, from, to }'),
    strict({ kind: z.literal('release'), from: z.string().optional(), to: z.string().optional() }, 'a release fault { kind, from, to }'),
    strict({ kind: z.literal('link'), from: z.string(), to: z.string(), link: Link }, 'a link fault { kind, from, to, link }'),
  ],
  { error: () => 'expected a fault: kind is one of crash, restart, crash-loop, pause, resume, slow, skew, partition, isolate, heal, hold, release, link' },
);

/** A fault at a virtual time, reverted `durationMs` later when given. */
export const ScheduledFault = strict({ atMs: nonNegative, durationMs: positive.optional(), fault: Fault }, 'a scheduled fault { atMs, durationMs, fault }');

/** The latency percentiles an SLO can target. */
const SLO_TARGETS = ['p50Ms', 'p99Ms', 'p999Ms', 'availability'] as const;

/** A service-level objective (sim/harness/slo.ts `slo()`): targets on the workload's requests, as the clients saw them. */
export const Slo = strict(
  {
    endpoint: z.string().min(1).optional().meta({ description: 'Only requests of this workload endpoint (as named in reports). Default: every request.' }),
    p50Ms: positive.optional(),
    p99Ms: positive.optional(),
    p999Ms: positive.optional(),
    availability: z.number().gt(0, 'expected a fraction in (0, 1], e.g. 0.999').max(1, 'expected a fraction in (0, 1], e.g. 0.999').optional().meta({ description: 'Share of requests that succeed in time.' }),
    phase: z.enum(['all', 'during-faults', 'after-recovery']).optional().meta({ description: 'Which requests count, by when they were sent. Default all.' }),
  },
  'an SLO { endpoint, p50Ms, p99Ms, p999Ms, availability, phase }',
).superRefine((spec, context) => {
  if (SLO_TARGETS.every((key) => spec[key] === undefined)) {
    context.addIssue({ code: 'custom', message: `an SLO needs a target: give at least one of ${SLO_TARGETS.join(', ')} (e.g. slo: { p99Ms: 200 })` });
  }
});

/** The check keys models had before SLOs, with the SLO that says the same. */
function replacedCheck(key: string, input: unknown): string | undefined {
  const value = (input as Record<string, unknown>)[key] as Record<string, unknown> | undefined;
  if (key === 'availability') return `"availability" is now an SLO: write slo: { availability: ${String(value?.min ?? 0.99)} }`;
  if (key === 'latency') {
    const percentile = String(value?.percentile ?? 'p99');
    const target = ['p50', 'p99', 'p999'].includes(percentile) ? `${percentile}Ms` : 'p99Ms';
    return `"latency" is now an SLO: write slo: { ${target}: ${String(value?.maxMs ?? 200)} }${target.startsWith(percentile) ? '' : ` (an SLO targets p50Ms, p99Ms or p999Ms, not ${percentile})`}`;
  }
  return undefined;
}

/** A check of the model: an SLO over the workload's requests, judged once when the run ends. */
export const CheckSpec = z.strictObject(
  {
    name: z.string().optional(),
    slo: Slo,
  },
  {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const key = issue.keys[0]!;
        return replacedCheck(key, issue.input) ?? `unknown key "${key}" in a check${nearestKey(key, ['name', 'slo']) ? `: did you mean "${nearestKey(key, ['name', 'slo'])}"?` : ''} (valid keys: name, slo)`;
      }
      if (issue.code === 'invalid_type') return `expected a check { name, slo }, got ${describeValue(issue.input)}`;
      return undefined;
    },
  },
);

/** A whole model file. */
export const SystemModel = strict(
  {
    $schema: z.string().optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    durationMs: positive,
    quiesceMs: nonNegative.optional(),
    network: Link.optional(),
    broker: strict({ ackTimeoutMs: positive.optional(), appendTimeMs: nonNegative.optional() }, 'a broker { ackTimeoutMs, appendTimeMs }').optional(),
    gateway: Gateway.optional(),
    services: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'expected a service name of letters, digits, - and _'), Service),
    workload: Workload,
    faults: z.array(ScheduledFault).max(10_000).optional(),
    checks: z.array(CheckSpec).optional(),
    baseline: z.string().optional().meta({ description: 'Name of the base model as a variant. Default "base".' }),
    variants: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .optional()
      .meta({ description: 'Overlays on the base model: variant name → { "dotted.path": value } (null deletes).' }),
  },
  'a system model { name, durationMs, services, workload, … }',
);

/** A validated model, as the compiler reads it. */
export type SystemModel = z.infer<typeof SystemModel>;
export type ServiceModel = z.infer<typeof Service>;
export type OperationModel = z.infer<typeof Operation>;
export type CallPolicyModel = z.infer<typeof CallPolicy>;
export type WorkloadModel = z.infer<typeof Workload>;
export type DistributionModel = z.infer<typeof Distribution>;
export type FaultModel = z.infer<typeof Fault>;
export type CheckModel = z.infer<typeof CheckSpec>;
export type ConcurrencyModel = z.infer<typeof Concurrency>;
