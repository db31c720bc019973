// Tests for services/resilience/timeout.ts: exact rejection time of a hanging operation, deadline tightening,
// and a deadline propagated through two RPC hops in a real World.
import { describe, expect, it } from 'vitest';
import { emptyNodeContext } from '../../test/kit/world.ts';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import type { Request } from '../../sim/world/node.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import { TimeoutPolicy } from './timeout.ts';

function setup() {
  const world = new World(1);
  const ctx = emptyNodeContext(world);
  const expired: string[] = [];
  world.sim.trace.addFilteredSink(['timeout.expired'], (event) => expired.push(`${event.atMs} ${event.detail}`));
  return { world, ctx, expired };
}

describe('TimeoutPolicy', () => {
  it('rejects with RpcError timeout exactly at now + timeoutMs when the operation hangs', async () => {
    const t = setup();
    const policy = new TimeoutPolicy(t.ctx, { timeoutMs: 200 });
    let outcome = '';
    t.ctx.setTimer(50, () => {
      policy.execute(() => new Promise<never>(() => undefined)).catch((error: RpcError) => (outcome = `${t.world.nowMs} ${error.code} ${error.source}`));
    });
    await t.world.sim.run();
    expect(outcome).toBe('250 timeout api');
    expect(t.expired).toEqual(['250 200ms']);
    expect(policy.expired).toBe(1);
  });

  it('passes the answer through and cancels its timer, so the run ends when the operation does', async () => {
    const t = setup();
    const policy = new TimeoutPolicy(t.ctx, { timeoutMs: 200 });
    let outcome = '';
    t.ctx.setTimer(0, () => {
      policy
        .execute(async (attempt) => {
          await t.ctx.sleep(30);
          return `deadline ${attempt.deadlineMs}`;
        })
        .then((value) => (outcome = `${t.world.nowMs} ${value}`));
    });
    const stop = await t.world.sim.run();
    expect(outcome).toBe('30 deadline 200');
    expect(stop).toMatchObject({ reason: 'idle', atMs: 30 });
    expect(t.expired).toEqual([]);
  });

  it('keeps a tighter outer deadline and rejects at it', async () => {
    const t = setup();
    const policy = new TimeoutPolicy(t.ctx, { timeoutMs: 200 });
    const seen: (number | undefined)[] = [];
    let outcome = '';
    t.ctx.setTimer(0, () => {
      policy
        .execute(
          (attempt) => {
            seen.push(attempt.deadlineMs);
            return new Promise<never>(() => undefined);
          },
          { attempt: 2, deadlineMs: 120 },
        )
        .catch((error: RpcError) => (outcome = `${t.world.nowMs} ${error.code}`));
      // An outer deadline already passed: rejected at once, the operation never runs.
      policy.execute(async () => seen.push(-1), { attempt: 1, deadlineMs: 0 }).catch((error: RpcError) => seen.push(error.code === 'timeout' ? 0 : NaN));
    });
    await t.world.sim.run();
    expect(seen).toEqual([120, 0]);
    expect(outcome).toBe('120 timeout');
  });

  it('propagates the tightened deadline through two hops: A calls B calls C', async () => {
    const world = new World(1); // links: 1 ms one way
    const seenByC: Record<string, number> = {};
    world.addNode('A', (ctx) => {
      const policy = new TimeoutPolicy(ctx, { timeoutMs: 300 });
      return {
        handlers: {
          order: (payload: string, request: Request) =>
            policy.execute(
              (attempt) => ctx.call('B', 'relay', payload, { deadlineMs: attempt.deadlineMs, traceId: request.traceId, parentSpanId: request.spanId }),
              { attempt: 1, deadlineMs: request.deadlineMs },
            ),
        },
      };
    });
    world.addNode('B', (ctx) => {
      const policy = new TimeoutPolicy(ctx, { timeoutMs: 100 });
      return {
        handlers: {
          relay: (payload: string, request: Request) =>
            payload === 'tighten-at-B'
              ? policy.execute(
                  (attempt) => ctx.call('C', 'read', payload, { deadlineMs: attempt.deadlineMs, traceId: request.traceId, parentSpanId: request.spanId }),
                  { attempt: 1, deadlineMs: request.deadlineMs },
                )
              : request.call('C', 'read', payload),
        },
      };
    });
    world.addNode('C', (ctx) => ({
      handlers: {
        read: async (payload: string, request: Request) => {
          seenByC[payload] = request.deadlineMs;
          if (payload === 'hang') await ctx.sleep(10_000);
          return 'ok';
        },
      },
    }));
    const outcomes: string[] = [];
    const send = (atMs: number, payload: string): void => {
      world.sim.schedule(atMs, () => {
        world.call('A', 'order', payload, { timeoutMs: 1000 }).then(
          () => outcomes.push(`${world.nowMs} ${payload} ok`),
          (error: RpcError) => outcomes.push(`${world.nowMs} ${payload} ${error.code}`),
        );
      });
    };
    send(0, 'plain'); // client deadline 1000, A tightens to 0 + 300: C sees 300
    send(2000, 'tighten-at-B'); // A: 2300; B (at 2001) tightens to 2101: C sees 2101
    send(4000, 'hang'); // C sees 4300; A's policy gives up at 4300 though C never answers in time
    await world.sim.run({ untilMs: 20_000 });
    expect(seenByC).toEqual({ plain: 300, 'tighten-at-B': 2101, hang: 4300 });
    expect(outcomes).toEqual(['4 plain ok', '2004 tighten-at-B ok', '4300 hang timeout']);
  });

  it('rejects a timeoutMs that is not a positive finite number', () => {
    const t = setup();
    for (const timeoutMs of [0, -5, Infinity, Number.NaN]) expect(() => new TimeoutPolicy(t.ctx, { timeoutMs })).toThrow(ConfigError);
  });
});
