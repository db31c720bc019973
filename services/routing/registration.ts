// The registration agent an instance runs: registers with every registry on start, heartbeats on
// a timer (each heartbeat re-registers if a registry forgot it), deregisters on graceful stop.
import type { NodeContext } from '../../sim/world/context.ts';
import type { Handler, NodeFactory, ServiceDefinition } from '../../sim/world/node.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import { HEALTH_METHOD, REGISTRY_METHODS, type Deregistration, type Registration } from './discovery.ts';

/** Heartbeats, refreshes, checks and expiry sweeps are background work: they never keep a run alive alone. */
const BACKGROUND = Object.freeze({ daemon: true });

/** How an instance registers. */
export interface RegistrationOptions {
  /** The registry node, or several (the instance registers with each). */
  registry: string | readonly string[];
  /** The service this instance serves. */
  service: string;
  /** Time between heartbeats (node clock). Keep it well under the registry's TTL. Default 1000 ms. */
  heartbeatMs?: number;
  /** Relative traffic share for weighted balancing (> 0). Default 1. */
  weight?: number;
  /** Timeout of each register/heartbeat/deregister call. Default min(heartbeatMs, 500) ms. */
  callTimeoutMs?: number;
  /** Answer of the `health` method: false makes health checks fail. Default: always healthy. */
  healthy?: () => boolean;
}

/**
 * Keeps one instance registered. Built in a node factory, so a restart builds a fresh agent; its
 * timers die with the node, which is exactly what makes a crashed instance's registration expire.
 */
export class RegistrationAgent {
  private readonly registries: readonly string[];
  private readonly registration: Registration;
  private readonly heartbeatMs: number;
  private readonly callTimeoutMs: number;
  private running = false;
  private timer = -1;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: RegistrationOptions,
  ) {
    this.registries = typeof options.registry === 'string' ? [options.registry] : [...options.registry];
    if (this.registries.length === 0) throw new ConfigError(`registration of ${options.service} has no registry: pass { registry: 'registry' }`);
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    if (!(this.heartbeatMs > 0)) throw new ConfigError(`heartbeatMs is ${this.heartbeatMs}: use a number of ms > 0`);
    this.callTimeoutMs = options.callTimeoutMs ?? Math.min(this.heartbeatMs, 500);
    if (!(this.callTimeoutMs > 0)) throw new ConfigError(`callTimeoutMs is ${this.callTimeoutMs}: use a number of ms > 0`);
    const weight = options.weight ?? 1;
    if (!(weight > 0 && Number.isFinite(weight))) throw new ConfigError(`weight of ${options.service} is ${weight}: use a finite number > 0`);
    this.registration = { service: options.service, instance: ctx.name, weight };
  }

  /** Registers with every registry and starts heartbeating. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.sendToAll(REGISTRY_METHODS.register, this.registration);
    this.timer = this.ctx.setTimer(this.heartbeatMs, this.beat, BACKGROUND);
  }

  /** Stops heartbeating and deregisters from every registry (fire and forget: the node is leaving). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.ctx.clearTimer(this.timer);
    const deregistration: Deregistration = { service: this.registration.service, instance: this.registration.instance };
    this.sendToAll(REGISTRY_METHODS.deregister, deregistration);
  }

  /** The `health` handler the registry's checks call. */
  readonly health: Handler = () => {
    if (this.options.healthy && !this.options.healthy()) {
      throw new RpcError('unavailable', `${this.ctx.name} reports itself unhealthy`, this.ctx.name);
    }
    return 'ok';
  };

  private readonly beat = (): void => {
    if (!this.running) return;
    this.sendToAll(REGISTRY_METHODS.heartbeat, this.registration);
    this.timer = this.ctx.setTimer(this.heartbeatMs, this.beat, BACKGROUND);
  };

  private sendToAll(method: string, payload: unknown): void {
    for (const registry of this.registries) {
      // A lost heartbeat is normal (the next one retries); the registry's TTL decides.
      this.ctx.call(registry, method, payload, { timeoutMs: this.callTimeoutMs }).then(undefined, ignore);
    }
  }
}

/** Builds an agent for this node; call `start()` in `onStart` and `stop()` in `onStop`. */
export function registerWith(ctx: NodeContext, options: RegistrationOptions): RegistrationAgent {
  return new RegistrationAgent(ctx, options);
}

/**
 * Wraps a service definition so the instance registers on start, deregisters on graceful stop and
 * answers health checks (unless the definition has its own `health` handler). The definition's
 * own hooks still run, after registration on start and after deregistration on stop.
 */
export function withRegistration(ctx: NodeContext, options: RegistrationOptions, definition: ServiceDefinition): ServiceDefinition {
  const agent = registerWith(ctx, options);
  const { onStart, onStop } = definition;
  return {
    ...definition,
    handlers: { [HEALTH_METHOD]: agent.health, ...definition.handlers },
    onStart() {
      agent.start();
      return onStart?.call(definition);
    },
    onStop() {
      agent.stop();
      return onStop?.call(definition);
    },
  };
}

/** A node factory whose instances register themselves: `world.addNode('orders-1', registered({ … }, factory))`. */
export function registered(options: RegistrationOptions, factory: NodeFactory): NodeFactory {
  return (ctx) => withRegistration(ctx, options, factory(ctx));
}

function ignore(): void {}
