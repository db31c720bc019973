// The pod side of a Deployment: wraps a service's node factory with what the control plane needs
// from inside the process: readiness after a cold start, liveness, request counters for rollout
// analysis. (A crash-loop fault's crashing starts are the engine's: `world.crashLoop`.)
import type { Handler, HandlerSpec, NodeFactory } from '../../sim/world/node.ts';
import type { Distribution } from '../../sim/engine/rng.ts';
import { RpcError } from '../../sim/engine/errors.ts';
import { LIVENESS_METHOD, READY_METHOD } from './probes.ts';
import type { RequestCounts } from './analysis.ts';

/** What the control plane hands the wrapper of one pod. Read at every start of the pod. */
export interface PodHooks {
  /** Warm-up after each start before `ready` passes (drawn per start when a distribution). */
  coldStartMs: number | Distribution;
  /** Requests the service answered (probes excluded); the control plane reads them for analysis. */
  counts: RequestCounts;
}

/**
 * A pod's node factory: the service's own definition plus `ready` (fails until the cold start is
 * over, then defers to the service's `ready` if it has one) and `health` (the service's, or `ok`).
 * Every other handler is counted in `hooks.counts`.
 */
export function podFactory(factory: NodeFactory, hooks: PodHooks): NodeFactory {
  return (ctx) => {
    const startedAtMs = ctx.now();
    const coldStartMs = typeof hooks.coldStartMs === 'number' ? hooks.coldStartMs : Math.max(0, ctx.stream('cold-start').sample(hooks.coldStartMs));
    const definition = factory(ctx);
    const handlers: Record<string, Handler | HandlerSpec> = {};
    let ownReady: Handler | HandlerSpec | undefined;
    let ownHealth: Handler | HandlerSpec | undefined;
    for (const [method, handler] of Object.entries(definition.handlers ?? {})) {
      if (method === READY_METHOD) ownReady = handler;
      else if (method === LIVENESS_METHOD) ownHealth = handler;
      else handlers[method] = counted(handler, hooks.counts);
    }
    handlers[READY_METHOD] = (payload: unknown, request) => {
      if (ctx.now() - startedAtMs < coldStartMs) throw new RpcError('unavailable', `${ctx.name} is still warming up`, ctx.name);
      return ownReady === undefined ? 'ready' : handlerFunction(ownReady)(payload, request);
    };
    handlers[LIVENESS_METHOD] = ownHealth ?? alive;
    return { ...definition, handlers };
  };
}

const alive: Handler = () => 'ok';

function handlerFunction(handler: Handler | HandlerSpec): Handler {
  return typeof handler === 'function' ? handler : handler.handle;
}

function counted(handler: Handler | HandlerSpec, counts: RequestCounts): Handler | HandlerSpec {
  if (typeof handler === 'function') return countedHandler(handler, counts);
  return { serviceTimeMs: handler.serviceTimeMs, handle: countedHandler(handler.handle, counts) };
}

function countedHandler(handle: Handler, counts: RequestCounts): Handler {
  return (payload, request) => {
    let result: unknown;
    try {
      result = handle(payload, request);
    } catch (error) {
      counts.errors++;
      throw error;
    }
    if (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function') {
      return (result as PromiseLike<unknown>).then(
        (value) => {
          counts.ok++;
          return value;
        },
        (error: unknown) => {
          counts.errors++;
          throw error;
        },
      );
    }
    counts.ok++;
    return result;
  };
}
