// A Service object (the endpoints controller): keeps discovery in step with the ready pods of one
// service. It registers pods that became ready, deregisters those that stopped being ready or are
// terminating, and heartbeats the rest, so the registry's TTL drops them if the control plane dies.
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { REGISTRY_METHODS, type Deregistration, type Registration } from '../routing/discovery.ts';

/** Service object settings, as given. */
export interface ServiceObjectOptions {
  /** The registry node(s) to register with. */
  registry: string | readonly string[];
  /** Time between heartbeats for every endpoint. Keep it well under the registry's TTL. Default 1000 ms. */
  heartbeatMs?: number;
  /** Timeout of each registry call. Default 500 ms. */
  callTimeoutMs?: number;
}

/**
 * The endpoints of one service. `sync` is called every control-plane tick with the pods that are
 * ready now. Trace events: `service.endpoint-add` and `service.endpoint-remove` (detail: the
 * service; peer: the pod).
 */
export class ServiceObject {
  private readonly registries: readonly string[];
  private readonly heartbeatMs: number;
  private readonly callTimeoutMs: number;
  /** Registered pods, in registration order. */
  private readonly endpoints = new Set<string>();
  private nextHeartbeatAtMs = 0;

  constructor(
    readonly service: string,
    options: ServiceObjectOptions,
  ) {
    this.registries = typeof options.registry === 'string' ? [options.registry] : [...options.registry];
    if (this.registries.length === 0) throw new ConfigError(`service ${service} has no registry: pass { registry: 'registry' } to the control plane`);
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    if (!(this.heartbeatMs > 0)) throw new ConfigError(`service ${service}: heartbeatMs is ${this.heartbeatMs}; use a number of ms > 0`);
    this.callTimeoutMs = options.callTimeoutMs ?? 500;
    if (!(this.callTimeoutMs > 0)) throw new ConfigError(`service ${service}: callTimeoutMs is ${this.callTimeoutMs}; use a number of ms > 0`);
  }

  /** Pods in discovery now, in registration order. */
  get registered(): string[] {
    return [...this.endpoints];
  }

  /** Brings discovery in line with `readyPods` and heartbeats when one is due. */
  sync(ctx: NodeContext, readyPods: readonly string[], nowMs: number): void {
    const ready = new Set(readyPods);
    for (const pod of this.endpoints) {
      if (ready.has(pod)) continue;
      this.endpoints.delete(pod);
      const deregistration: Deregistration = { service: this.service, instance: pod };
      this.sendToAll(ctx, REGISTRY_METHODS.deregister, deregistration);
      ctx.emit('service.endpoint-remove', this.service, pod);
    }
    for (const pod of readyPods) {
      if (this.endpoints.has(pod)) continue;
      this.endpoints.add(pod);
      this.sendToAll(ctx, REGISTRY_METHODS.register, this.registration(pod));
      ctx.emit('service.endpoint-add', this.service, pod);
    }
    if (nowMs >= this.nextHeartbeatAtMs) {
      this.nextHeartbeatAtMs = nowMs + this.heartbeatMs;
      for (const pod of this.endpoints) this.sendToAll(ctx, REGISTRY_METHODS.heartbeat, this.registration(pod));
    }
  }

  private registration(pod: string): Registration {
    return { service: this.service, instance: pod, weight: 1 };
  }

  private sendToAll(ctx: NodeContext, method: string, payload: unknown): void {
    for (const registry of this.registries) {
      // A lost call is repaired by the next heartbeat (which re-registers) or by the registry's TTL.
      ctx.call(registry, method, payload, { timeoutMs: this.callTimeoutMs }).then(undefined, ignore);
    }
  }
}

function ignore(): void {}
