// Workload drivers: open-loop Poisson arrivals at a (possibly time-varying) rate, or closed-loop
// clients with think time. Each request enters the system through the world's client ingress.
import type { World } from '../world/world.ts';
import type { Rng, Distribution } from '../engine/rng.ts';
import { validateDistribution } from '../engine/rng.ts';
import { ConfigError } from '../engine/errors.ts';
import type { CallOutcome } from '../world/rpc.ts';
import { LatencyHistogram, TimeSeries, EndpointStats } from './metrics.ts';

/** One request a workload sends. `endpoint` names it in reports (`POST /orders`). */
export interface RequestSpec {
  endpoint: string;
  method: string;
  payload?: unknown;
  /** The node to send to; default: the variant's entry node. */
  to?: string;
  /** Client timeout for this request; default: the workload's. */
  timeoutMs?: number;
}

/** Makes the i-th request from the workload's random stream. */
export type RequestGenerator = (rng: Rng, index: number) => RequestSpec;

/** Open loop: arrivals come at their rate whether or not the system keeps up (Poisson). */
export interface OpenWorkload {
  kind: 'open';
  /** Mean arrivals per virtual second; a function of virtual time gives a ramp or a spike. */
  ratePerSec: number | ((nowMs: number) => number);
  request: RequestGenerator;
  /** Stop after this many requests (a limit for shrinking; default: no limit). */
  maxRequests?: number;
  /** Send only the requests with these indexes (set by shrinking); the others are still drawn, so the kept ones stay the same. */
  onlyRequests?: readonly number[];
  /** Client timeout per request. Default 1000 ms. */
  timeoutMs?: number;
}

/** Closed loop: each client sends, waits for the answer, thinks, and sends again. */
export interface ClosedWorkload {
  kind: 'closed';
  clients: number;
  thinkTimeMs: Distribution;
  request: RequestGenerator;
  maxRequests?: number;
  onlyRequests?: readonly number[];
  timeoutMs?: number;
}

/** A workload, as a scenario declares it. */
export type WorkloadSpec = OpenWorkload | ClosedWorkload;

/** What a workload measured. Bounded memory: histograms and fixed time buckets only. */
export class WorkloadMetrics {
  /** Per endpoint, one latency record per request; the totals below are merged from it on demand. */
  readonly endpoints = new EndpointStats();
  readonly series: TimeSeries;
  readonly errors = new Map<string, number>();
  sent = 0;
  ok = 0;
  failed = 0;
  /** Called for every finished request (SLO checks keep their own figures from it). */
  readonly listeners: ((endpoint: string, startMs: number, endMs: number, ok: boolean) => void)[] = [];

  constructor(bucketMs: number) {
    this.series = new TimeSeries({ bucketMs });
  }

  /** Latency of every finished request, ok or failed (merged from the endpoints when asked). */
  get latency(): LatencyHistogram {
    return this.endpoints.latency();
  }

  /** Latency of the successful requests only (merged from the endpoints when asked). */
  get successLatency(): LatencyHistogram {
    return this.endpoints.successLatency();
  }

  /** Records one finished request. */
  record(endpoint: string, startMs: number, endMs: number, outcome: CallOutcome): void {
    const latencyMs = endMs - startMs;
    this.series.record(endMs, latencyMs, outcome.ok);
    for (let index = 0; index < this.listeners.length; index++) this.listeners[index]!(endpoint, startMs, endMs, outcome.ok);
    if (outcome.ok) {
      this.ok++;
      this.endpoints.record(endpoint, latencyMs, true);
    } else {
      this.failed++;
      this.endpoints.record(endpoint, latencyMs, false, outcome.code);
      this.errors.set(outcome.code, (this.errors.get(outcome.code) ?? 0) + 1);
    }
  }
}

/** Checks a workload's numbers; throws ConfigError naming the field. */
export function validateWorkload(spec: WorkloadSpec): void {
  if (spec.kind === 'open') {
    if (typeof spec.ratePerSec === 'number' && !(spec.ratePerSec > 0 && Number.isFinite(spec.ratePerSec))) {
      throw new ConfigError(`workload ratePerSec is ${spec.ratePerSec}: use a finite number > 0`);
    }
  } else if (spec.kind === 'closed') {
    if (!Number.isInteger(spec.clients) || spec.clients < 1) throw new ConfigError(`workload clients is ${spec.clients}: use a whole number >= 1`);
    validateDistribution(spec.thinkTimeMs, 'workload thinkTimeMs');
  } else {
    throw new ConfigError(`workload kind must be 'open' or 'closed'`);
  }
  if (spec.maxRequests !== undefined && !(Number.isInteger(spec.maxRequests) && spec.maxRequests >= 0)) {
    throw new ConfigError(`workload maxRequests is ${spec.maxRequests}: use a whole number >= 0`);
  }
  if (spec.onlyRequests !== undefined && !(Array.isArray(spec.onlyRequests) && spec.onlyRequests.every((index) => Number.isInteger(index) && index >= 0))) {
    throw new ConfigError('workload onlyRequests must be a list of whole numbers >= 0 (request indexes)');
  }
  if (spec.timeoutMs !== undefined && !(spec.timeoutMs > 0)) throw new ConfigError(`workload timeoutMs is ${spec.timeoutMs}: use a number > 0`);
}

/** A request the workload sent and waits for (a class, so V8 never pretenures its allocation site). */
class InFlight {
  constructor(
    readonly endpoint: string,
    readonly startMs: number,
    readonly client: number,
  ) {}
}

/**
 * Drives a workload against a world until `stop()` or `untilMs`. Arrivals and client think times
 * come from the `workload` stream, so faults and new nodes never shift them.
 */
export class WorkloadDriver {
  private stopped = false;
  private index = 0;
  private readonly rng: Rng;
  private readonly arrivalRng: Rng;
  private readonly onArrival = (): void => this.arrive();
  // A re-check after a zero rate is not an arrival: it only looks at the rate again.
  private readonly onRateCheck = (): void => {
    if (!this.exhausted) this.scheduleArrival();
  };
  private readonly onThink = (client: unknown): void => this.sendFrom(client as number);
  /** Indexes to send when shrinking kept only some; undefined sends all. */
  private readonly only: ReadonlySet<number> | undefined;

  constructor(
    private readonly world: World,
    private readonly spec: WorkloadSpec,
    private readonly entry: (spec: RequestSpec) => string,
    readonly metrics: WorkloadMetrics,
    private readonly untilMs: number,
  ) {
    const stream = world.sim.rng.fork('workload');
    this.rng = stream.fork('requests');
    this.arrivalRng = stream.fork('arrivals');
    this.only = spec.onlyRequests !== undefined ? new Set(spec.onlyRequests) : undefined;
  }

  /** Starts sending. */
  start(): void {
    if (this.spec.kind === 'open') {
      this.scheduleArrival();
    } else {
      for (let client = 0; client < this.spec.clients; client++) {
        const delayMs = this.arrivalRng.sample(this.spec.thinkTimeMs);
        this.world.sim.schedule(delayMs, this.onThink, client);
      }
    }
  }

  /** Stops sending new requests; those in flight still finish. */
  stop(): void {
    this.stopped = true;
  }

  private get exhausted(): boolean {
    return this.stopped || (this.spec.maxRequests !== undefined && this.index >= this.spec.maxRequests);
  }

  private scheduleArrival(): void {
    const spec = this.spec as OpenWorkload;
    const now = this.world.sim.nowMs;
    const rate = typeof spec.ratePerSec === 'number' ? spec.ratePerSec : spec.ratePerSec(now);
    if (!(rate > 0)) {
      this.pauseArrivals(now);
      return;
    }
    const gapMs = this.arrivalRng.exponential(1000 / rate);
    if (now + gapMs >= this.untilMs) return;
    this.world.sim.schedule(gapMs, this.onArrival);
  }

  /** A rate of zero pauses arrivals; look again a virtual second later. */
  private pauseArrivals(nowMs: number): void {
    if (nowMs + 1000 < this.untilMs) this.world.sim.schedule(1000, this.onRateCheck);
  }

  private arrive(): void {
    if (this.exhausted) return;
    this.send(-1);
    this.scheduleArrival();
  }

  private sendFrom(client: number): void {
    if (this.exhausted || this.world.sim.nowMs >= this.untilMs) return;
    this.send(client);
  }

  private send(client: number): void {
    const index = this.index++;
    const request = this.spec.request(this.rng, index);
    if (this.only !== undefined && !this.only.has(index)) {
      this.leaveOut(client);
      return;
    }
    const to = request.to ?? this.entry(request);
    const inFlight = new InFlight(request.endpoint, this.world.sim.nowMs, client);
    this.metrics.sent++;
    // One options record, rewritten per request: the world reads it before `request` returns.
    this.ingressOptions.timeoutMs = request.timeoutMs ?? this.spec.timeoutMs ?? 1000;
    this.world.request(to, request.method, request.payload, this.ingressOptions, this.onFinished, inFlight);
  }

  /**
   * Left out by shrinking: drawn but not sent; a closed-loop client thinks and tries its next one.
   * (Out of `send`, like the zero-rate pause out of `scheduleArrival`: the arrival path then stays
   * small enough for V8 to inline its draw and its schedule call.)
   */
  private leaveOut(client: number): void {
    if (client >= 0 && this.spec.kind === 'closed') this.world.sim.schedule(this.arrivalRng.sample(this.spec.thinkTimeMs), this.onThink, client);
  }

  private readonly ingressOptions: { timeoutMs: number } = { timeoutMs: 1000 };
  private readonly onFinished = (outcome: CallOutcome, inFlight: unknown): void => this.finish(inFlight as InFlight, outcome);

  private finish(inFlight: InFlight, outcome: CallOutcome): void {
    this.metrics.record(inFlight.endpoint, inFlight.startMs, this.world.sim.nowMs, outcome);
    if (inFlight.client >= 0 && this.spec.kind === 'closed') {
      this.world.sim.schedule(this.arrivalRng.sample(this.spec.thinkTimeMs), this.onThink, inFlight.client);
    }
  }
}
