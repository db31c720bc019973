// Tests for services/resilience/retry.ts: exact backoff delays for each jitter mode on a fixed seed, the
// retry budget, deadlines, and which errors are retried, all on the virtual clock.
import { describe, expect, it } from 'vitest';
import { emptyNodeContext } from '../../test/kit/world.ts';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError, type RpcErrorCode } from '../../sim/engine/errors.ts';
import { RetryBudget, RetryPolicy, type RetryOptions } from './retry.ts';
import type { Attempt } from './policy.ts';

function setup(seed = 7) {
  const world = new World(seed);
  const ctx = emptyNodeContext(world);
  const events: string[] = [];
  world.sim.trace.addFilteredSink(['retry.attempt', 'retry.budget-exhausted', 'retry.deadline'], (event) =>
    events.push(`${event.atMs} ${event.kind} ${event.detail}`),
  );
  return { world, ctx, events };
}

/** Runs one execution at t=0 whose operation fails with `code` until attempt `succeedOn`; logs attempt times. */
async function runOnce(options: RetryOptions, code: RpcErrorCode = 'unavailable', succeedOn = Infinity, attempt?: Attempt) {
  const t = setup();
  const policy = new RetryPolicy(t.ctx, options);
  const attempts: string[] = [];
  let outcome = '';
  t.ctx.setTimer(0, () => {
    policy
      .execute(async (a) => {
        attempts.push(`${t.world.nowMs}#${a.attempt}`);
        if (a.attempt >= succeedOn) return 'done';
        throw new RpcError(code, `attempt ${a.attempt} failed`);
      }, attempt)
      .then(
        (value) => (outcome = `${t.world.nowMs} ${value}`),
        (error: RpcError) => (outcome = `${t.world.nowMs} ${error.code}: ${error.message}`),
      );
  });
  await t.world.sim.run({ untilMs: 100_000 });
  return { attempts, outcome, events: t.events, policy, ctx: t.ctx };
}

/** Times at which attempts started, from the `<ms>#<n>` log. */
const times = (attempts: string[]) => attempts.map((entry) => Number(entry.split('#')[0]));
/** Attempt start times the clock gives for these delays: it adds each delay to the current time, as here. */
const startsAfter = (delays: number[]) => delays.reduce((starts, delayMs) => [...starts, (starts.at(-1) as number) + delayMs], [0]);

const BACKOFF = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, multiplier: 2 } as const;

describe('RetryPolicy backoff', () => {
  it('jitter none: base × multiplier^(n-1), capped at maxDelayMs', async () => {
    const run = await runOnce({ ...BACKOFF, maxDelayMs: 500, jitter: 'none' });
    expect(run.attempts).toEqual(['0#1', '100#2', '300#3', '700#4', '1200#5']);
    expect(run.outcome).toBe('1200 unavailable: attempt 5 failed');
  });

  // The retry's stream on `api` in World(7) is fixed, so these delays are exact. Each test also
  // recomputes them from the AWS formula on a replay of that stream, so a wrong formula fails too.
  it('jitter full: uniform in [0, exp)', async () => {
    const run = await runOnce({ ...BACKOFF, jitter: 'full' });
    const replay = run.ctx.stream('retry');
    expect(times(run.attempts)).toEqual(startsAfter([100, 200, 400, 800].map((exp) => replay.uniform(0, exp))));
    expect(times(run.attempts)).toEqual(FULL_TIMES);
  });

  it('jitter equal: exp/2 + uniform in [0, exp/2)', async () => {
    const run = await runOnce({ ...BACKOFF, jitter: 'equal' });
    const replay = run.ctx.stream('retry');
    expect(times(run.attempts)).toEqual(startsAfter([100, 200, 400, 800].map((exp) => exp / 2 + replay.uniform(0, exp / 2))));
    expect(times(run.attempts)).toEqual(EQUAL_TIMES);
  });

  it('jitter decorrelated: min(maxDelayMs, uniform in [base, previous × 3))', async () => {
    const run = await runOnce({ ...BACKOFF, maxDelayMs: 400, jitter: 'decorrelated' });
    const replay = run.ctx.stream('retry');
    let previous = 100;
    const expected = [1, 2, 3, 4].map(() => (previous = Math.min(400, replay.uniform(100, previous * 3))));
    expect(times(run.attempts)).toEqual(startsAfter(expected));
    expect(times(run.attempts)).toEqual(DECORRELATED_TIMES);
  });
});

describe('RetryPolicy decisions', () => {
  it('returns the first success and numbers the attempts', async () => {
    const run = await runOnce({ ...BACKOFF, jitter: 'none' }, 'timeout', 3);
    expect(run.attempts).toEqual(['0#1', '100#2', '300#3']);
    expect(run.outcome).toBe('300 done');
    expect(run.events).toEqual(['0 retry.attempt attempt 2 in 100ms after timeout', '100 retry.attempt attempt 3 in 200ms after timeout']);
  });

  it('never retries a non-transient error such as bad-request', async () => {
    for (const code of ['bad-request', 'not-found', 'unauthorized', 'application'] as const) {
      const run = await runOnce({ ...BACKOFF, jitter: 'none' }, code);
      expect(run.attempts).toEqual(['0#1']);
      expect(run.events).toEqual([]);
    }
  });

  it('gives up with the last error when the next attempt would start at or past the deadline', async () => {
    const run = await runOnce({ ...BACKOFF, jitter: 'none' }, 'overloaded', Infinity, { attempt: 1, deadlineMs: 300 });
    // Attempt 3 would start at 100 + 200 = 300, the deadline itself: pointless, so it is not made.
    expect(run.attempts).toEqual(['0#1', '100#2']);
    expect(run.outcome).toBe('100 overloaded: attempt 2 failed');
    expect(run.events.at(-1)).toBe('100 retry.deadline attempt 3 would start after 200ms, only 200ms left');
    expect(run.policy.stats()).toEqual({ executions: 1, retries: 1, budgetExhausted: 0, deadlineReached: 1 });
  });

  it('fails with the last error once the budget is spent, and emits retry.budget-exhausted', async () => {
    const t = setup();
    const budget = new RetryBudget({ budgetRatio: 0.5, minRetriesPerSec: 0, windowMs: 10_000 });
    const policy = new RetryPolicy(t.ctx, { ...BACKOFF, maxAttempts: 2, jitter: 'none', budget });
    let operationCalls = 0;
    const outcomes: string[] = [];
    t.ctx.setTimer(0, () => {
      // Four requests: the budget allows 0.5 × 4 = 2 retries.
      for (let i = 0; i < 4; i++) {
        policy
          .execute(async () => {
            operationCalls++;
            throw new RpcError('unavailable', `request ${i} failed`);
          })
          .catch((error: RpcError) => outcomes.push(`${t.world.nowMs} ${error.message}`));
      }
    });
    await t.world.sim.run({ untilMs: 1000 });
    expect(operationCalls).toBe(6);
    expect(outcomes).toEqual(['0 request 2 failed', '0 request 3 failed', '100 request 0 failed', '100 request 1 failed']);
    expect(t.events.filter((e) => e.includes('budget-exhausted'))).toEqual([
      '0 retry.budget-exhausted attempt 2 refused: unavailable',
      '0 retry.budget-exhausted attempt 2 refused: unavailable',
    ]);
    expect(policy.stats()).toEqual({ executions: 4, retries: 2, budgetExhausted: 2, deadlineReached: 0 });
  });

  it('rejects impossible options with a one-line ConfigError', () => {
    const t = setup();
    for (const options of [{ maxAttempts: 0 }, { baseDelayMs: -1 }, { baseDelayMs: 100, maxDelayMs: 50 }, { multiplier: 0.5 }, { jitter: 'random' as never }]) {
      expect(() => new RetryPolicy(t.ctx, options)).toThrow(ConfigError);
    }
    expect(() => new RetryBudget({ budgetRatio: -0.1 })).toThrow(ConfigError);
    expect(() => new RetryBudget({ windowMs: 0 })).toThrow(ConfigError);
  });
});

describe('RetryBudget', () => {
  it('allows minRetriesPerSec × window + budgetRatio × requests, and forgets a bucket at a time', () => {
    const budget = new RetryBudget({ budgetRatio: 0.2, minRetriesPerSec: 1, windowMs: 1000 });
    for (let i = 0; i < 10; i++) budget.recordRequest(0);
    expect(budget.allowedRetries).toBe(3);
    expect([1, 2, 3, 4].map(() => budget.tryWithdraw(50))).toEqual([true, true, true, false]);
    expect(budget.tryWithdraw(999)).toBe(false); // bucket 9: bucket 0 still counts
    expect(budget.tryWithdraw(1000)).toBe(true); // bucket 10: bucket 0 left, only the floor of 1 remains
    expect(budget.requestsInWindow).toBe(0);
    expect(budget.tryWithdraw(1001)).toBe(false);
  });
});

// Exact attempt start times on World(7) (node `api`): see the replay checks above for their formula.
const FULL_TIMES = [0, 22.79883926716443, 124.80621970160789, 215.02625916470123, 813.751881498277];
const EQUAL_TIMES = [0, 61.39941963358221, 212.40310985080396, 457.51312958235064, 1156.8759407491384];
// Decorrelated: delays 145.6, 271.8, 261.3, then the 400 ms cap.
const DECORRELATED_TIMES = [0, 145.59767853432885, 417.3745550864534, 678.7174491783471, 1078.7174491783471];
