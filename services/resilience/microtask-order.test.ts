// Tests that the policies settle on the same microtask as the async functions they replaced
// (`try { return await operation() } catch …`): two promise chains at one virtual instant run in
// microtask order, so one microtask more or less would reorder a run's events and change its trace hash.
import { describe, expect, it } from 'vitest';
import { emptyNodeContext } from '../../test/kit/world.ts';
import { World } from '../../sim/world/world.ts';
import { RpcError } from '../../sim/engine/errors.ts';
import { CircuitBreaker } from './breaker.ts';
import { FallbackPolicy } from './fallback.ts';
import { RetryPolicy } from './retry.ts';
import { Failed, TimeoutPolicy } from './timeout.ts';
import { wrap } from './wrap.ts';
import type { Operation } from './policy.ts';

/** `<microtask> ok <value>` or `<microtask> failed <message>`: when and how `start()`'s promise settled. */
async function settled(start: () => Promise<unknown>): Promise<string> {
  let tick = 0;
  let seen = '';
  let promise: Promise<unknown>;
  try {
    promise = start();
  } catch (error) {
    return `sync throw ${(error as Error).message}`;
  }
  promise.then(
    (value) => (seen = `${tick} ok ${String(value)}`),
    (error: unknown) => (seen = `${tick} failed ${(error as Error).message}`),
  );
  for (let step = 0; step < 40 && seen === ''; step++) {
    await undefined;
    tick++;
  }
  return seen;
}

/** Operations that settle after a few microtasks, or at once, or throw before returning a promise. */
const operations: Record<string, () => Operation<string>> = {
  'resolves at once': () => () => Promise.resolve('v'),
  'resolves after 3 microtasks': () => async () => {
    await undefined;
    await undefined;
    return 'v';
  },
  'rejects at once': () => () => Promise.reject(new RpcError('unavailable', 'down')),
  'rejects after 2 microtasks': () => async () => {
    await undefined;
    throw new RpcError('bad-request', 'refused');
  },
  'throws before returning': () => () => {
    throw new RpcError('unavailable', 'sync');
  },
};

/** The async-function form each policy had: the specification of its timing. */
async function awaited<T>(operation: Operation<T>): Promise<T> {
  try {
    return await operation({ attempt: 1, deadlineMs: undefined });
  } catch (error) {
    throw error;
  }
}

function context() {
  return emptyNodeContext(new World(1));
}

describe('policies settle on the microtask of their async-function form', () => {
  for (const [name, make] of Object.entries(operations)) {
    it(`a closed breaker, an operation that ${name}`, async () => {
      const breaker = new CircuitBreaker(context());
      expect(await settled(() => breaker.execute(make()))).toBe(await settled(() => awaited(make())));
    });

    it(`a retry that does not retry, an operation that ${name}`, async () => {
      const policy = new RetryPolicy(context(), { maxAttempts: 1 });
      expect(await settled(() => policy.execute(make()))).toBe(await settled(() => awaited(make())));
    });

    it(`a fallback, an operation that ${name}`, async () => {
      const value = new FallbackPolicy(context(), { value: 'fallback' });
      const reference = async (operation: Operation<string>): Promise<string> => {
        try {
          return await operation({ attempt: 1, deadlineMs: undefined });
        } catch {
          return await 'fallback';
        }
      };
      expect(await settled(() => value.execute(make()))).toBe(await settled(() => reference(make())));
    });

    it(`a timeout's settle resolves with Failed when execute rejects, on the same microtask, an operation that ${name}`, async () => {
      const policy = new TimeoutPolicy(context(), { timeoutMs: 100 });
      // As the saga orchestrator uses each: the failure as a value, or caught from the await.
      const asValue = async () => {
        const outcome = await policy.settle(make());
        return outcome instanceof Failed ? `failed ${(outcome.error as Error).message}` : `ok ${outcome}`;
      };
      const reference = async () => {
        try {
          return `ok ${await policy.execute(make())}`;
        } catch (error) {
          return `failed ${(error as Error).message}`;
        }
      };
      expect(await settled(asValue)).toBe(await settled(reference));
    });

    it(`wrap(fallback, retry, breaker), an operation that ${name}`, async () => {
      const ctx = context();
      const policy = wrap(new FallbackPolicy(ctx, { value: 'fallback', shouldHandle: (error) => (error as Error).message === 'sync' }), new RetryPolicy(ctx, { maxAttempts: 1 }), new CircuitBreaker(ctx));
      const reference = async (operation: Operation<string>): Promise<string> => {
        try {
          return await awaited(() => awaited(operation));
        } catch (error) {
          if ((error as Error).message !== 'sync') throw error;
          return await 'fallback';
        }
      };
      expect(await settled(() => policy.execute(make()))).toBe(await settled(() => reference(make())));
    });
  }

  it('an open breaker rejects with a promise already rejected, as an async function that throws at once', async () => {
    const ctx = context();
    const breaker = new CircuitBreaker(ctx, { openDurationMs: 1000 });
    breaker.isolate();
    const reference = async (): Promise<string> => {
      throw new Error('circuit isolated: calls rejected until reset');
    };
    expect(await settled(() => breaker.execute(operations['resolves at once']!()))).toBe(await settled(reference));
  });

  it('a fallback whose function throws, one that answers later, and failWith', async () => {
    const ctx = context();
    const failing = operations['rejects after 2 microtasks']!;
    const throwing = new FallbackPolicy(ctx, {
      fallback: () => {
        throw new Error('parked');
      },
    });
    const later = new FallbackPolicy(ctx, { fallback: async () => 'late' });
    const failWith = new FallbackPolicy(ctx, { failWith: () => new Error('parked') });
    const reference = async (fallback: () => unknown): Promise<unknown> => {
      try {
        return await failing()({ attempt: 1, deadlineMs: undefined });
      } catch {
        return await fallback();
      }
    };
    const thrown = await settled(() =>
      reference(() => {
        throw new Error('parked');
      }),
    );
    expect(await settled(() => throwing.execute(failing()))).toBe(thrown);
    expect(await settled(() => failWith.execute(failing()))).toBe(thrown);
    expect(await settled(() => later.execute(failing()))).toBe(await settled(() => reference(async () => 'late')));
  });
});
