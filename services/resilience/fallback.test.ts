// Tests for services/resilience/fallback.ts: the fallback value or function replaces handled failures only,
// and every use is a `fallback.used` trace event.
import { describe, expect, it } from 'vitest';
import { emptyNodeContext } from '../../test/kit/world.ts';
import { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError, RpcError, isRpcError } from '../../sim/engine/errors.ts';
import { FallbackPolicy } from './fallback.ts';
import type { Attempt } from './policy.ts';

function setup() {
  const world = new World(1);
  const ctx = emptyNodeContext(world);
  const used: string[] = [];
  world.sim.trace.addFilteredSink(['fallback.used'], (event) => used.push(`${event.atMs} ${event.detail}`));
  return { world, ctx, used };
}

const failWith = (code: 'unavailable' | 'bad-request') => async (): Promise<number> => {
  throw new RpcError(code, `failed with ${code}`);
};

describe('FallbackPolicy', () => {
  it('answers with the fallback value when the operation fails, and emits fallback.used', async () => {
    const t = setup();
    const policy = new FallbackPolicy(t.ctx, { value: 0 });
    expect(await policy.execute(failWith('unavailable'))).toBe(0);
    expect(t.used).toEqual(['0 unavailable']);
    expect(policy.used).toBe(1);
  });

  it('passes a success through untouched and emits nothing', async () => {
    const t = setup();
    const policy = new FallbackPolicy(t.ctx, { value: 0 });
    expect(await policy.execute(async () => 42)).toBe(42);
    expect(t.used).toEqual([]);
  });

  it('calls the fallback function with the error and the attempt, awaiting it', async () => {
    const t = setup();
    const seen: string[] = [];
    const policy = new FallbackPolicy(t.ctx, {
      fallback: async (error: unknown, attempt: Attempt) => {
        seen.push(`${(error as RpcError).code} #${attempt.attempt} by ${attempt.deadlineMs}`);
        return -1;
      },
    });
    expect(await policy.execute(failWith('unavailable'), { attempt: 2, deadlineMs: 500 })).toBe(-1);
    expect(seen).toEqual(['unavailable #2 by 500']);
  });

  it('lets errors that shouldHandle rejects pass through, without an event', async () => {
    const t = setup();
    const policy = new FallbackPolicy(t.ctx, { value: 0, shouldHandle: (error) => isRpcError(error, 'unavailable') });
    await expect(policy.execute(failWith('bad-request'))).rejects.toMatchObject({ code: 'bad-request' });
    expect(await policy.execute(failWith('unavailable'))).toBe(0);
    expect(t.used).toEqual(['0 unavailable']);
  });

  it('fails with the error failWith returns for a handled failure, counted and emitted as a use', async () => {
    const t = setup();
    const seen: string[] = [];
    const policy = new FallbackPolicy(t.ctx, {
      shouldHandle: (error) => isRpcError(error, 'unavailable'),
      failWith: (error: unknown, attempt: Attempt) => {
        seen.push(`${(error as RpcError).code} #${attempt.attempt}`);
        return new RpcError('overloaded', 'try later');
      },
    });
    await expect(policy.execute(failWith('unavailable'), { attempt: 3, deadlineMs: undefined })).rejects.toMatchObject({ code: 'overloaded', message: 'try later' });
    await expect(policy.execute(failWith('bad-request'))).rejects.toMatchObject({ code: 'bad-request' });
    expect(await policy.execute(async () => 7)).toBe(7);
    expect(seen).toEqual(['unavailable #3']);
    expect(t.used).toEqual(['0 unavailable']);
    expect(policy.used).toBe(1);
  });

  it('needs exactly one of value, fallback and failWith', () => {
    const t = setup();
    expect(() => new FallbackPolicy(t.ctx, {})).toThrow(ConfigError);
    expect(() => new FallbackPolicy(t.ctx, { value: 1, fallback: () => 2 })).toThrow(ConfigError);
    expect(() => new FallbackPolicy(t.ctx, { value: 1, failWith: () => new Error('x') })).toThrow(ConfigError);
    expect(() => new FallbackPolicy(t.ctx, { fallback: () => 2, failWith: () => new Error('x') })).toThrow(ConfigError);
    expect(() => new FallbackPolicy(t.ctx, { value: undefined })).not.toThrow();
    expect(() => new FallbackPolicy(t.ctx, { failWith: () => new Error('x') })).not.toThrow();
  });
});
