// The idempotent consumer: applies each message id at most once, with the ids already applied kept
// in the consumer's durable state (so a restart does not forget them) and bounded by an explicit cap.
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import type { DeliveryMeta, EventHandler } from './bus.ts';

/** Settings of one idempotent consumer. */
export interface IdempotentConsumerOptions {
  /** Names the durable store (`idempotent:<name>`); use one name per logical consumer on a node. */
  name: string;
  /**
   * Ids remembered; beyond that the least recently seen is forgotten. Default 10 000.
   *
   * The trade-off: memory is bounded by `capacity` ids, and dedup is exact as long as a duplicate
   * arrives before `capacity` other ids were seen after its original. Bus duplicates arrive close
   * together (a redelivery precedes every later message of its partition; a publisher's retry
   * follows its original within that publisher's few messages in flight), so a cap of a few times
   * (partitions × publishers × messages in flight) is safe. A duplicate arriving later than that is
   * applied twice: the bounded store fails towards at-least-once, never towards loss.
   *
   * Why not per-key high-water marks (O(keys) memory)? Ids are `publisher:sequence` with one
   * sequence per publisher, and concurrent publishes or retries can append a key's messages out of
   * sequence order; a high-water mark would then drop a real message as a "duplicate".
   */
  capacity?: number;
}

/** Dedup by message id, backed by the node's durable state. */
export interface IdempotentConsumer {
  /** True if `id` was applied (and is still remembered). */
  has(id: string): boolean;
  /**
   * Runs the synchronous `effect` and records `id` in the same step, unless `id` was applied
   * before; returns whether it ran. Crash-atomic: with no `await` between them, a crash cannot
   * fall between the effect and the record. Prefer it when the effect is a durable write.
   */
  once(id: string, effect: () => void): boolean;
  /**
   * Wraps an event handler: a duplicate is acked without running it; a delivery of an id already
   * in progress waits for that run and then acks (or runs it itself if that run failed). The id is
   * recorded when the handler resolves, so an effect written before the handler's last `await`
   * can be applied twice if the node crashes in between: keep the durable write in its last step,
   * or use `once` inside the handler.
   */
  wrap<T>(handler: EventHandler<T>): (event: T, meta: DeliveryMeta) => Promise<void>;
  /** Ids remembered now (at most `capacity`). */
  readonly size: number;
}

/** Builds the idempotent consumer `options.name` over `ctx.durable`; call it in the node factory. */
export function idempotentConsumer(ctx: NodeContext, options: IdempotentConsumerOptions): IdempotentConsumer {
  const capacity = options.capacity ?? 10_000;
  if (!options.name) throw new ConfigError('idempotent consumer has no name: pass { name } (it keys the durable store)');
  if (!Number.isInteger(capacity) || capacity < 1) throw new ConfigError(`idempotent consumer ${options.name} capacity is ${capacity}: use a whole number >= 1`);
  const storeKey = `idempotent:${options.name}`;
  // A Set keeps insertion order: the first entry is the least recently seen one.
  let seen = ctx.durable.get(storeKey) as Set<string> | undefined;
  if (!seen) {
    seen = new Set();
    ctx.durable.set(storeKey, seen);
  }
  const store = seen;
  /** Runs in progress on this incarnation (volatile: a crash ends them all). */
  const inProgress = new Map<string, Promise<void>>();

  const has = (id: string): boolean => store.has(id);

  const duplicate = (id: string): void => {
    // Refresh its place, so a message duplicated again and again stays remembered.
    store.delete(id);
    store.add(id);
    ctx.emit('idempotent.duplicate', `${options.name} id=${id}`);
  };

  const record = (id: string): void => {
    store.add(id);
    if (store.size > capacity) {
      const oldest = store.values().next().value as string;
      store.delete(oldest);
    }
  };

  const once = (id: string, effect: () => void): boolean => {
    if (store.has(id)) {
      duplicate(id);
      return false;
    }
    effect();
    record(id);
    return true;
  };

  const wrap = <T>(handler: EventHandler<T>): ((event: T, meta: DeliveryMeta) => Promise<void>) => {
    return async (event: T, meta: DeliveryMeta): Promise<void> => {
      for (;;) {
        if (store.has(meta.id)) {
          duplicate(meta.id);
          return;
        }
        const running = inProgress.get(meta.id);
        if (running === undefined) break;
        // Acking now would be wrong: if that run fails, nobody applies the message.
        await running.then(undefined, () => undefined);
      }
      const run = (async () => {
        await handler(event, meta);
        record(meta.id);
      })();
      inProgress.set(meta.id, run);
      try {
        await run;
      } finally {
        inProgress.delete(meta.id);
      }
    };
  };

  return {
    has,
    once,
    wrap,
    get size() {
      return store.size;
    },
  };
}
