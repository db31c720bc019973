// Tests for services/resilience/hedge.ts: when hedges start, which answer wins, failures and deadlines,
// exact on the virtual clock.
import { describe, expect, it } from 'vitest';
import { emptyNodeContext } from '../../test/kit/world.ts';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError, type RpcErrorCode } from '../../sim/engine/errors.ts';
import { HedgePolicy, type HedgeOptions } from './hedge.ts';
import type { Attempt } from './policy.ts';

/** How attempt n behaves: answers after `ms`, or fails with `code` after `ms`. */
type Script = Record<number, { ms: number; code?: RpcErrorCode }>;

async function runHedged(options: HedgeOptions, script: Script, attempt?: Attempt) {
  const world = new World(1);
  const ctx = emptyNodeContext(world);
  const events: string[] = [];
  world.sim.trace.addFilteredSink(['hedge.attempt', 'hedge.won'], (event) => events.push(`${event.atMs} ${event.kind} ${event.detail}`));
  const policy = new HedgePolicy(ctx, options);
  const started: string[] = [];
  let outcome = '';
  ctx.setTimer(0, () => {
    policy
      .execute(async (a) => {
        started.push(`${world.nowMs}#${a.attempt}`);
        const step = script[a.attempt] as { ms: number; code?: RpcErrorCode };
        await ctx.sleep(step.ms);
        if (step.code) throw new RpcError(step.code, `attempt ${a.attempt} failed`);
        return `answer of #${a.attempt}`;
      }, attempt)
      .then(
        (value) => (outcome = `${world.nowMs} ${value}`),
        (error: RpcError) => (outcome = `${world.nowMs} ${error.message}`),
      );
  });
  const stop = await world.sim.run({ untilMs: 10_000 });
  return { started, outcome, events, stats: policy.stats(), stop };
}

describe('HedgePolicy', () => {
  it('does not hedge when the first attempt answers within delayMs (and leaves no timer behind)', async () => {
    const run = await runHedged({ delayMs: 100 }, { 1: { ms: 60 } });
    expect(run.started).toEqual(['0#1']);
    expect(run.outcome).toBe('60 answer of #1');
    expect(run.events).toEqual([]);
    expect(run.stop.reason).toBe('idle');
    expect(run.stop.atMs).toBe(60);
  });

  it('starts a hedge after delayMs and takes the first success, ignoring the slower answer', async () => {
    const run = await runHedged({ delayMs: 100 }, { 1: { ms: 300 }, 2: { ms: 50 } });
    expect(run.started).toEqual(['0#1', '100#2']);
    expect(run.outcome).toBe('150 answer of #2');
    expect(run.events).toEqual(['100 hedge.attempt attempt 2', '150 hedge.won attempt 2']);
    expect(run.stats).toEqual({ executions: 1, hedges: 1, wonByHedge: 1 });
  });

  it('starts at most maxHedges hedges, delayMs apart, and the first answer wins even if it is the original', async () => {
    const run = await runHedged({ delayMs: 100, maxHedges: 2 }, { 1: { ms: 250 }, 2: { ms: 300 }, 3: { ms: 100 } });
    expect(run.started).toEqual(['0#1', '100#2', '200#3']);
    expect(run.outcome).toBe('250 answer of #1');
    expect(run.events).toEqual(['100 hedge.attempt attempt 2', '200 hedge.attempt attempt 3']);
  });

  it('starts the next hedge at once after a retryable failure', async () => {
    const run = await runHedged({ delayMs: 100, maxHedges: 2 }, { 1: { ms: 20, code: 'unavailable' }, 2: { ms: 200 }, 3: { ms: 30 } });
    expect(run.started).toEqual(['0#1', '20#2', '120#3']);
    expect(run.outcome).toBe('150 answer of #3');
  });

  it('fails with the last error when every attempt failed', async () => {
    const run = await runHedged({ delayMs: 100, maxHedges: 1 }, { 1: { ms: 150, code: 'timeout' }, 2: { ms: 10, code: 'overloaded' } });
    expect(run.started).toEqual(['0#1', '100#2']);
    expect(run.outcome).toBe('150 attempt 1 failed'); // #2 failed at 110; #1 was still out until 150
  });

  it('ends at once on a failure that is not retryable', async () => {
    const run = await runHedged({ delayMs: 100 }, { 1: { ms: 300 }, 2: { ms: 10, code: 'bad-request' } });
    expect(run.outcome).toBe('110 attempt 2 failed');
  });

  it('starts no hedge at or after the deadline', async () => {
    const run = await runHedged({ delayMs: 100, maxHedges: 3 }, { 1: { ms: 500 } }, { attempt: 1, deadlineMs: 100 });
    expect(run.started).toEqual(['0#1']);
    expect(run.outcome).toBe('500 answer of #1');
  });

  it('rejects impossible options with a one-line ConfigError', async () => {
    const world = new World(1);
    const node = world.addNode('api', () => ({ handlers: {} }));
    for (const options of [{ delayMs: -1 }, { delayMs: Infinity }, { delayMs: 10, maxHedges: -1 }, { delayMs: 10, maxHedges: 0.5 }]) {
      expect(() => new HedgePolicy(node.ctx, options)).toThrow(ConfigError);
    }
  });
});
