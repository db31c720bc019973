// Tests for services/resilience/bulkhead.ts: concurrency cap, FIFO queue, rejection when full, deadlines of
// queued calls, and state events, exact on the virtual clock.
import { describe, expect, it } from 'vitest';
import { emptyNodeContext } from '../../test/kit/world.ts';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import { BulkheadPolicy, type BulkheadOptions } from './bulkhead.ts';

function setup(options: BulkheadOptions) {
  const world = new World(1);
  const ctx = emptyNodeContext(world);
  const states: string[] = [];
  world.sim.trace.addFilteredSink(['bulkhead.state'], (event) => states.push(`${event.atMs} ${event.detail}`));
  const bulkhead = new BulkheadPolicy(ctx, options);
  const log: string[] = [];
  /** At `atMs`, runs `label` through the bulkhead for `durationMs`; logs its start and its end. */
  const call = (atMs: number, label: string, durationMs: number, options: { deadlineMs?: number; fails?: boolean } = {}): void => {
    ctx.setTimer(atMs, () => {
      bulkhead
        .execute(
          async () => {
            log.push(`${world.nowMs} ${label} start`);
            await ctx.sleep(durationMs);
            if (options.fails) throw new RpcError('application', `${label} failed`);
          },
          { attempt: 1, deadlineMs: options.deadlineMs },
        )
        .then(
          () => log.push(`${world.nowMs} ${label} done`),
          (error: RpcError) => log.push(`${world.nowMs} ${label} ${error.code}: ${error.message}`),
        );
    });
  };
  return { world, ctx, bulkhead, states, log, call };
}

describe('BulkheadPolicy', () => {
  it('runs maxConcurrent at once, queues maxQueued in FIFO order, rejects the rest at once', async () => {
    const t = setup({ maxConcurrent: 2, maxQueued: 2 });
    t.call(0, 'c1', 100);
    t.call(0, 'c2', 150);
    t.call(0, 'c3', 100);
    t.call(0, 'c4', 100);
    t.call(0, 'c5', 100);
    t.call(0, 'c6', 100);
    await t.world.sim.run();
    expect(t.log).toEqual([
      '0 c1 start',
      '0 c2 start',
      '0 c5 unavailable: bulkhead full: 2 running, 2 queued',
      '0 c6 unavailable: bulkhead full: 2 running, 2 queued',
      '100 c3 start', // the first slot to free goes to the oldest waiter
      '100 c1 done',
      '150 c4 start',
      '150 c2 done',
      '200 c3 done',
      '250 c4 done',
    ]);
    expect(t.states).toEqual(['0 available->saturated', '0 saturated->full', '100 full->saturated', '200 saturated->available']);
    expect(t.bulkhead.stats()).toEqual({ admitted: 4, queued: 2, rejected: 2, expiredInQueue: 0 });
    expect([t.bulkhead.running, t.bulkhead.queued, t.bulkhead.state]).toEqual([0, 0, 'available']);
  });

  it('fails a queued call with timeout at its deadline, freeing its queue place', async () => {
    const t = setup({ maxConcurrent: 1, maxQueued: 2 });
    t.call(0, 'c1', 100);
    t.call(10, 'late', 10, { deadlineMs: 50 });
    t.call(20, 'c3', 10);
    t.call(60, 'c4', 10); // takes the place `late` left: the queue holds c3 and c4
    t.call(70, 'c5', 10); // queue full again
    await t.world.sim.run();
    expect(t.log).toEqual([
      '0 c1 start',
      '50 late timeout: deadline passed while queued in the bulkhead',
      '70 c5 unavailable: bulkhead full: 1 running, 2 queued',
      '100 c3 start',
      '100 c1 done',
      '110 c4 start',
      '110 c3 done',
      '120 c4 done',
    ]);
    expect(t.bulkhead.stats()).toEqual({ admitted: 3, queued: 3, rejected: 1, expiredInQueue: 1 });
  });

  it('fails a call at once with timeout when its deadline passed before it could queue', async () => {
    const t = setup({ maxConcurrent: 1, maxQueued: 1 });
    t.call(0, 'c1', 100);
    t.call(30, 'stale', 10, { deadlineMs: 30 });
    await t.world.sim.run();
    expect(t.log).toEqual(['0 c1 start', '30 stale timeout: deadline passed before a bulkhead slot was free', '100 c1 done']);
  });

  it('frees the slot when the operation fails', async () => {
    const t = setup({ maxConcurrent: 1, maxQueued: 1 });
    t.call(0, 'bad', 10, { fails: true });
    t.call(0, 'next', 10);
    await t.world.sim.run();
    expect(t.log).toEqual(['0 bad start', '10 next start', '10 bad application: bad failed', '20 next done']);
  });

  it('rejects impossible options with a one-line ConfigError', () => {
    const t = setup({});
    for (const options of [{ maxConcurrent: 0 }, { maxConcurrent: 1.5 }, { maxQueued: -1 }]) {
      expect(() => new BulkheadPolicy(t.ctx, options)).toThrow(ConfigError);
    }
  });
});
