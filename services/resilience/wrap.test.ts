// Tests for services/resilience/wrap.ts: policies run outermost first, and their order changes behaviour —
// retry around a breaker versus a breaker around retry, with exact call counts.
import { describe, expect, it } from 'vitest';
import { emptyNodeContext } from '../../test/kit/world.ts';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import { CircuitBreaker, ConsecutiveFailureStrategy } from './breaker.ts';
import { RetryPolicy } from './retry.ts';
import { TimeoutPolicy } from './timeout.ts';
import { wrap } from './wrap.ts';
import type { Policy } from './policy.ts';

function setup() {
  const world = new World(1);
  const ctx = emptyNodeContext(world);
  const breaker = new CircuitBreaker(ctx, { strategy: new ConsecutiveFailureStrategy({ failureThreshold: 3 }), openDurationMs: 10_000 });
  const retry = new RetryPolicy(ctx, { maxAttempts: 3, baseDelayMs: 10, jitter: 'none' });
  return { world, ctx, breaker, retry };
}

/** Runs four executions of an always-failing operation, 1000 ms apart; returns when the operation ran. */
async function fourFailingExecutions(t: ReturnType<typeof setup>, policy: Policy) {
  const operationCalls: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < 4; i++) {
    t.ctx.setTimer(i * 1000, () => {
      policy
        .execute(async () => {
          operationCalls.push(t.world.nowMs);
          throw new RpcError('unavailable', 'dependency down');
        })
        .catch((error: RpcError) => errors.push(`${t.world.nowMs} ${error.name}`));
    });
  }
  await t.world.sim.run({ untilMs: 5000 });
  return { operationCalls, errors };
}

describe('wrap', () => {
  it('retry outside the breaker: each attempt is a breaker call, and an open circuit is not retried', async () => {
    const t = setup();
    const run = await fourFailingExecutions(t, wrap(t.retry, t.breaker));
    expect(run.operationCalls).toEqual([0, 10, 30]); // the third failure opens the breaker
    // By default retry does not retry a fast rejection from an open breaker: later executions fail at once.
    expect(run.errors).toEqual(['30 RpcError', '1000 BrokenCircuitError', '2000 BrokenCircuitError', '3000 BrokenCircuitError']);
    expect(t.breaker.stats()).toMatchObject({ calls: 6, failures: 3, rejected: 3 });
  });

  it('breaker outside retry: a whole retry sequence is one breaker call, so it takes three sequences to open', async () => {
    const t = setup();
    const run = await fourFailingExecutions(t, wrap(t.breaker, t.retry));
    expect(run.operationCalls).toEqual([0, 10, 30, 1000, 1010, 1030, 2000, 2010, 2030]);
    expect(run.errors).toEqual(['30 RpcError', '1030 RpcError', '2030 RpcError', '3000 BrokenCircuitError']);
    expect(t.breaker.stats()).toMatchObject({ calls: 4, failures: 3, rejected: 1 });
  });

  it('passes each attempt inward: a timeout outside retry bounds all attempts, inside it bounds each', async () => {
    const seen = async (outer: 'timeout' | 'retry') => {
      const t = setup();
      const timeout = new TimeoutPolicy(t.ctx, { timeoutMs: 25 });
      const policy = outer === 'timeout' ? wrap(timeout, t.retry) : wrap(t.retry, timeout);
      const attempts: string[] = [];
      t.ctx.setTimer(0, () => {
        policy
          .execute(async (attempt) => {
            attempts.push(`${t.world.nowMs}: #${attempt.attempt} by ${attempt.deadlineMs}`);
            throw new RpcError('unavailable', 'down');
          })
          .catch(() => undefined);
      });
      await t.world.sim.run();
      return attempts;
    };
    // Outside: one deadline (25) for all; retry skips attempt 3, which could only start at 30.
    expect(await seen('timeout')).toEqual(['0: #1 by 25', '10: #2 by 25']);
    // Inside: each attempt gets its own 25 ms from its start.
    expect(await seen('retry')).toEqual(['0: #1 by 25', '10: #2 by 35', '30: #3 by 55']);
  });

  it('names the chain and needs at least one policy', () => {
    const t = setup();
    expect(wrap(t.retry, t.breaker).name).toBe('wrap(retry,breaker)');
    expect(() => wrap()).toThrow(ConfigError);
  });
});
