// A service's side of the event bus: publishing with durable acks, retries and stable message ids,
// and subscribing as a member of a consumer group (heartbeats, and the `bus.deliver` handler).
import type { NodeContext } from '../../sim/world/context.ts';
import type { Handler } from '../../sim/world/node.ts';
import { ConfigError, RpcError, errorMessage, isTransientRpcError } from '../../sim/engine/errors.ts';
import {
  BUS_METHODS,
  messageId,
  type Delivery,
  type DeliveryMeta,
  type EventHandler,
  type PublishAck,
  type PublishRequest,
  type Subscription,
} from './bus.ts';

/** Client settings; only `broker` is required. */
export interface BusClientOptions {
  /** Name of the broker node. */
  broker: string;
  /** Wait this long for the broker's append ack before trying again. Default 500 ms. */
  publishTimeoutMs?: number;
  /** Tries per publish (1 = no retry). Transient errors only (timeout, refused, overloaded…). Default 3. */
  publishAttempts?: number;
  /** Base pause between tries; each pause is drawn uniformly in [0.5×, 1.5×] from the node's rng. Default 100 ms. */
  publishRetryDelayMs?: number;
  /** How often a subscriber tells the broker it is alive. Keep it well below the broker's session timeout. Default 250 ms. */
  heartbeatIntervalMs?: number;
}

/** Per-publish settings. */
export interface PublishOptions {
  /** Use this id instead of a fresh `node:sequence` one, e.g. to make a higher-level retry dedupable. */
  id?: string;
  /** Trace to continue (the delivery joins it). */
  traceId?: string;
}

/** Subscription settings. */
export interface SubscribeOptions {
  /** The consumer group: every group gets every message; members of a group share partitions. */
  group: string;
}

/** The bus as a service sees it. */
export interface BusClient {
  /**
   * Publishes `event` on `topic` under `key` (same key → same partition → delivered in order) and
   * resolves once the broker has appended it durably. Retries transient failures with the same id,
   * so a lost ack can leave a duplicate in the log (consumers dedup by `meta.id`). Rejects with the
   * last RpcError when every try failed.
   */
  publish<T>(topic: string, key: string, event: T, options?: PublishOptions): Promise<PublishAck>;
  /**
   * Joins `options.group` on `topic`: the handler's success acks a message, a throw nacks it
   * (redelivered later). Call it in `onStart` so the subscription is re-established after a restart.
   */
  subscribe<T>(topic: string, options: SubscribeOptions, handler: EventHandler<T>): void;
  /** RPC handlers the broker delivers to: spread them into the service's `handlers`. */
  readonly handlers: Readonly<Record<string, Handler>>;
}

/** Where a node keeps its publish sequence, so ids stay unique across its restarts. */
export const PUBLISH_SEQUENCE_KEY = 'bus:publish-sequence';

/**
 * The bus client of one node incarnation. A subscriber must include `...bus.handlers` in its
 * service's handlers (the broker pushes messages as `bus.deliver` calls, like a push endpoint).
 *
 * ```ts
 * world.addNode('payments', (ctx) => {
 *   const bus = busClient(ctx, { broker: 'broker' });
 *   return {
 *     handlers: { ...bus.handlers },
 *     onStart: () => bus.subscribe('order.created', { group: 'payments' }, async (event, meta) => { … }),
 *   };
 * });
 * ```
 */
export function busClient(ctx: NodeContext, options: BusClientOptions): BusClient {
  const settings = resolveClientOptions(options);
  const subscriptions = new Map<string, { subscription: Subscription; handler: EventHandler<unknown> }>();
  let heartbeating = false;
  /** Publish retries' jitter, on its own stream. */
  const jitter = ctx.stream('bus-client');

  const publish = async <T>(topic: string, key: string, event: T, publishOptions: PublishOptions = {}): Promise<PublishAck> => {
    const request: PublishRequest = { topic, key, id: publishOptions.id ?? nextMessageId(ctx), payload: event };
    if (publishOptions.traceId !== undefined) request.traceId = publishOptions.traceId;
    for (let attempt = 1; ; attempt++) {
      try {
        const timeoutMs = settings.publishTimeoutMs;
        const traceId = publishOptions.traceId;
        return await ctx.call<PublishAck>(settings.broker, BUS_METHODS.publish, request, traceId !== undefined ? { timeoutMs, traceId } : { timeoutMs });
      } catch (error) {
        if (attempt >= settings.publishAttempts || !isTransientRpcError(error)) throw error;
        ctx.emit('bus.publish-retry', `${topic} id=${request.id} attempt=${attempt + 1} after=${(error as RpcError).code}`, settings.broker);
        await ctx.sleep(settings.publishRetryDelayMs * jitter.uniform(0.5, 1.5));
      }
    }
  };

  const sendHeartbeat = async (): Promise<void> => {
    try {
      await ctx.call(settings.broker, BUS_METHODS.heartbeat, { member: ctx.name, subscriptions: [...subscriptions.values()].map((entry) => entry.subscription) }, {
        timeoutMs: settings.heartbeatIntervalMs,
      });
    } catch {
      // A missed heartbeat is harmless; the next one follows, and the broker only drops a member
      // after a whole session without any.
    }
  };

  const heartbeatLoop = async (): Promise<void> => {
    // Let the node finish starting (the subscribes of onStart, the handler table) first.
    await Promise.resolve();
    if (!ctx.node.hasMethod(BUS_METHODS.deliver)) {
      throw new ConfigError(`${ctx.name} subscribes to the bus but its service lacks the ${BUS_METHODS.deliver} handler: spread ...bus.handlers into its handlers`);
    }
    for (;;) {
      void sendHeartbeat();
      await ctx.sleep(settings.heartbeatIntervalMs);
    }
  };

  const subscribe = <T>(topic: string, subscribeOptions: SubscribeOptions, handler: EventHandler<T>): void => {
    if (!topic) throw new ConfigError(`${ctx.name} subscribes to an empty topic name: name the topic`);
    if (!subscribeOptions.group) throw new ConfigError(`${ctx.name} subscribes to ${topic} without a group: pass { group: 'name' }`);
    const key = `${topic}\u0000${subscribeOptions.group}`;
    if (subscriptions.has(key)) throw new ConfigError(`${ctx.name} subscribes to ${topic} as group ${subscribeOptions.group} twice: subscribe once per topic and group`);
    subscriptions.set(key, { subscription: { topic, group: subscribeOptions.group }, handler: handler as EventHandler<unknown> });
    ctx.emit('bus.subscribe', `${topic} group=${subscribeOptions.group}`, settings.broker);
    if (!heartbeating) {
      heartbeating = true;
      ctx.spawn(heartbeatLoop);
    } else {
      // Joined after the loop started: tell the broker now rather than at the next beat.
      void sendHeartbeat();
    }
  };

  const deliver: Handler = async (payload: Delivery) => {
    const entry = subscriptions.get(`${payload.topic}\u0000${payload.group}`);
    if (!entry) throw new RpcError('not-found', `${ctx.name} is not subscribed to ${payload.topic} as group ${payload.group}`, ctx.name);
    const { payload: event, ...meta } = payload;
    try {
      await entry.handler(event, meta as DeliveryMeta);
    } catch (error) {
      // A bug in the handler fails the run even though the message is nacked (and redelivered).
      ctx.reportCaught(error, `consumer ${payload.topic}`);
      // Always a plain nack: an RpcError the handler let through (say `refused` from its own
      // downstream call) must not look to the broker like this consumer being down.
      throw new RpcError('application', errorMessage(error), ctx.name);
    }
    return true;
  };

  return { publish, subscribe, handlers: { [BUS_METHODS.deliver]: deliver } };
}

/** The next `node:sequence` id of this node; the counter is durable, so ids never repeat. */
function nextMessageId(ctx: NodeContext): string {
  const sequence = ((ctx.durable.get(PUBLISH_SEQUENCE_KEY) as number | undefined) ?? 0) + 1;
  ctx.durable.set(PUBLISH_SEQUENCE_KEY, sequence);
  return messageId(ctx.name, sequence);
}

function resolveClientOptions(options: BusClientOptions): Required<BusClientOptions> {
  const resolved: Required<BusClientOptions> = {
    broker: options.broker,
    publishTimeoutMs: options.publishTimeoutMs ?? 500,
    publishAttempts: options.publishAttempts ?? 3,
    publishRetryDelayMs: options.publishRetryDelayMs ?? 100,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 250,
  };
  if (!resolved.broker) throw new ConfigError('bus client has no broker: pass { broker: "<broker node name>" }');
  if (!(resolved.publishTimeoutMs > 0)) throw new ConfigError(`bus client publishTimeoutMs is ${resolved.publishTimeoutMs}: use a number of ms > 0`);
  if (!Number.isInteger(resolved.publishAttempts) || resolved.publishAttempts < 1) {
    throw new ConfigError(`bus client publishAttempts is ${resolved.publishAttempts}: use a whole number >= 1`);
  }
  if (!(resolved.publishRetryDelayMs >= 0)) throw new ConfigError(`bus client publishRetryDelayMs is ${resolved.publishRetryDelayMs}: use a number of ms >= 0`);
  if (!(resolved.heartbeatIntervalMs > 0 && Number.isFinite(resolved.heartbeatIntervalMs))) {
    throw new ConfigError(`bus client heartbeatIntervalMs is ${resolved.heartbeatIntervalMs}: use a finite number of ms > 0`);
  }
  return resolved;
}
