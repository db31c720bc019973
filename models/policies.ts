// The policies a model puts on a call, built from the real services/: fallback, retry, breaker and
// bulkhead, composed outermost first with `wrap` (the timeout is per attempt, on the client).
import type { NodeContext } from '../sim/index.ts';
import type { Policy } from '../services/resilience/policy.ts';
import { wrap } from '../services/resilience/wrap.ts';
import { retry } from '../services/resilience/retry.ts';
import { circuitBreaker, type CircuitBreaker } from '../services/resilience/breaker.ts';
import { ConsecutiveFailureStrategy, CountWindowStrategy } from '../services/resilience/breaker-strategies.ts';
import { bulkhead } from '../services/resilience/bulkhead.ts';
import { fallback } from '../services/resilience/fallback.ts';
import type { CallPolicyModel } from './schema.ts';

/** Told of every breaker a model builds, so the system can count its openings. */
export type BreakerObserver = (breaker: CircuitBreaker) => void;

/**
 * The policy for calls to `peer` under `spec`, or undefined when it sets none. Built once per node
 * start: breakers and bulkheads hold state that must not be shared between nodes.
 */
export function buildPolicy(ctx: NodeContext, spec: CallPolicyModel | undefined, peer: string, onBreaker?: BreakerObserver): Policy | undefined {
  if (spec === undefined) return undefined;
  const policies: Policy[] = [];
  if (spec.fallback) {
    const value = spec.fallback.value ?? null;
    policies.push(fallback(ctx, { fallback: () => value }));
  }
  if (spec.retry) {
    const { maxAttempts, baseDelayMs, maxDelayMs, multiplier, jitter } = spec.retry;
    policies.push(retry(ctx, { maxAttempts, baseDelayMs, maxDelayMs, multiplier, jitter }));
  }
  if (spec.breaker) {
    const options = spec.breaker;
    const strategy =
      options.failureRateThreshold !== undefined || options.slowCallRateThreshold !== undefined
        ? new CountWindowStrategy({
            failureRateThreshold: options.failureRateThreshold,
            slowCallRateThreshold: options.slowCallRateThreshold,
            windowSize: options.windowSize,
            minimumCalls: options.minimumCalls,
          })
        : new ConsecutiveFailureStrategy({ failureThreshold: options.failureThreshold });
    const breaker = circuitBreaker(ctx, {
      strategy,
      peer,
      ...(options.openDurationMs !== undefined ? { openDurationMs: options.openDurationMs } : {}),
      ...(options.halfOpenProbes !== undefined ? { halfOpenProbes: options.halfOpenProbes } : {}),
      ...(options.slowCallDurationMs !== undefined ? { slowCallDurationMs: options.slowCallDurationMs } : {}),
    });
    onBreaker?.(breaker);
    policies.push(breaker);
  }
  if (spec.bulkhead) policies.push(bulkhead(ctx, { maxConcurrent: spec.bulkhead.maxConcurrent, maxQueued: spec.bulkhead.maxQueued ?? 0 }));
  if (policies.length === 0) return undefined;
  return policies.length === 1 ? policies[0] : wrap(...policies);
}
