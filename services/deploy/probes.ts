// Readiness and liveness probes: RPCs the control plane sends to a pod on a period, and the state
// machine that turns consecutive answers into "passing" or "failing" the way kubelet does.
import { ConfigError } from '../../sim/engine/errors.ts';
import { HEALTH_METHOD } from '../routing/discovery.ts';

/** The method a readiness probe calls: it fails until the pod can take traffic (cold start done). */
export const READY_METHOD = 'ready';
/** The method a liveness probe calls (the same one the registry's health checks use). */
export const LIVENESS_METHOD = HEALTH_METHOD;

/** Probe settings, as given. */
export interface ProbeOptions {
  /** Time between probes (control-plane clock). */
  periodMs?: number;
  /** A probe without an answer in this time fails. Must be below `periodMs`. */
  timeoutMs?: number;
  /** Consecutive failures that make the probe fail. */
  failureThreshold?: number;
  /** Consecutive successes that make it pass again. */
  successThreshold?: number;
  /** Wait after a pod starts before its first probe. */
  initialDelayMs?: number;
}

/** Probe settings with every default filled. */
export interface ResolvedProbe {
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
  initialDelayMs: number;
}

/** Readiness defaults: Kubernetes' thresholds on a period scaled down to simulated seconds. */
export const READINESS_DEFAULTS: ResolvedProbe = Object.freeze({ periodMs: 500, timeoutMs: 250, failureThreshold: 3, successThreshold: 1, initialDelayMs: 0 });
/** Liveness defaults. */
export const LIVENESS_DEFAULTS: ResolvedProbe = Object.freeze({ periodMs: 1000, timeoutMs: 500, failureThreshold: 3, successThreshold: 1, initialDelayMs: 0 });

/** Fills probe defaults and validates them; throws ConfigError naming `where` and the field. */
export function resolveProbe(options: ProbeOptions = {}, defaults: ResolvedProbe, where: string): ResolvedProbe {
  const resolved: ResolvedProbe = {
    periodMs: options.periodMs ?? defaults.periodMs,
    timeoutMs: options.timeoutMs ?? Math.min(defaults.timeoutMs, options.periodMs ?? defaults.periodMs),
    failureThreshold: options.failureThreshold ?? defaults.failureThreshold,
    successThreshold: options.successThreshold ?? defaults.successThreshold,
    initialDelayMs: options.initialDelayMs ?? defaults.initialDelayMs,
  };
  if (!(resolved.periodMs > 0 && Number.isFinite(resolved.periodMs))) throw new ConfigError(`${where}: periodMs is ${resolved.periodMs}; use a finite number of ms > 0`);
  if (!(resolved.timeoutMs > 0 && resolved.timeoutMs <= resolved.periodMs)) {
    throw new ConfigError(`${where}: timeoutMs is ${resolved.timeoutMs}; use ms > 0 and <= periodMs (${resolved.periodMs})`);
  }
  for (const field of ['failureThreshold', 'successThreshold'] as const) {
    if (!Number.isInteger(resolved[field]) || resolved[field] < 1) throw new ConfigError(`${where}: ${field} is ${resolved[field]}; use a whole number >= 1`);
  }
  if (!(resolved.initialDelayMs >= 0)) throw new ConfigError(`${where}: initialDelayMs is ${resolved.initialDelayMs}; use ms >= 0`);
  return resolved;
}

/** What a probe concluded so far: nothing yet, passing, or failing. */
export type ProbeStatus = 'unknown' | 'passing' | 'failing';

/**
 * One probe of one pod incarnation. The owner asks `due(now)`, sends the RPC, calls `begin`, and
 * reports the answer with `end`; at most one probe is in flight, so a slow pod is not flooded.
 */
export class Probe {
  status: ProbeStatus = 'unknown';
  private successes = 0;
  private failures = 0;
  private inFlight = false;
  private nextAtMs: number;

  constructor(
    readonly method: string,
    readonly options: ResolvedProbe,
    startedAtMs: number,
  ) {
    this.nextAtMs = startedAtMs + options.initialDelayMs;
  }

  /** True when a probe should be sent now. */
  due(nowMs: number): boolean {
    return !this.inFlight && nowMs >= this.nextAtMs;
  }

  /** Marks a probe sent at `nowMs`; the next is due one period later. */
  begin(nowMs: number): void {
    this.inFlight = true;
    this.nextAtMs = nowMs + this.options.periodMs;
  }

  /** Forgets a probe whose answer can never arrive (the prober itself restarted). */
  abandon(): void {
    this.inFlight = false;
  }

  /** Records an answer; returns true when the status changed. */
  end(passed: boolean): boolean {
    this.inFlight = false;
    const before = this.status;
    if (passed) {
      this.failures = 0;
      this.successes++;
      if (this.successes >= this.options.successThreshold) this.status = 'passing';
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failures >= this.options.failureThreshold) this.status = 'failing';
    }
    return this.status !== before;
  }
}
