// The service registry, a node of its own: instances register and heartbeat, registrations expire
// after a TTL without heartbeat, health checks mark instances unhealthy, and clients look up the
// healthy ones. Its state is volatile: after a restart, heartbeats re-register every live instance.
import type { NodeContext } from '../../sim/world/context.ts';
import type { NodeFactory, ServiceDefinition } from '../../sim/world/node.ts';
import { ConfigError, RpcError } from '../../sim/engine/errors.ts';
import { registerTimelineKinds } from '../../sim/harness/timeline.ts';

// What discovery did goes on the run's timeline and into trace exports.
registerTimelineKinds('discovery.register', 'discovery.deregister', 'discovery.expire', 'discovery.healthy', 'discovery.unhealthy', 'discovery.failover');

/** What an instance tells the registry about itself (in `register` and every `heartbeat`). */
export interface Registration {
  /** The service name (`payments`). */
  service: string;
  /** The instance's node name, the address callers use. */
  instance: string;
  /** Relative traffic share for weighted balancing (> 0). */
  weight: number;
}

/** Payload of `deregister`. */
export interface Deregistration {
  service: string;
  instance: string;
}

/** Payload of `lookup`: the services a client wants. */
export interface LookupRequest {
  services: readonly string[];
}

/** One healthy instance in a lookup answer. */
export interface LookupInstance {
  instance: string;
  weight: number;
}

/** Answer of `lookup`: for each requested service in order, its healthy instances in registration order. */
export interface LookupResponse {
  services: { service: string; instances: LookupInstance[] }[];
}

/** Answer of `heartbeat`: `known` is false when the heartbeat had to register the instance anew. */
export interface HeartbeatResponse {
  known: boolean;
}

/** One registration as `list` reports it (tests, reports). */
export interface RegistryEntryView {
  service: string;
  instance: string;
  weight: number;
  healthy: boolean;
  lastHeartbeatMs: number;
}

/** RPC method names of the registry. */
export const REGISTRY_METHODS = {
  register: 'register',
  heartbeat: 'heartbeat',
  deregister: 'deregister',
  lookup: 'lookup',
  list: 'list',
} as const;

/** Heartbeats, refreshes, checks and expiry sweeps are background work: they never keep a run alive alone. */
const BACKGROUND = Object.freeze({ daemon: true });

/** The method a registry calls on instances to check their health. */
export const HEALTH_METHOD = 'health';

/** Registry settings, as given. */
export interface RegistryOptions {
  /** A registration expires this long after its last heartbeat (registry clock). Default 3000 ms. */
  ttlMs?: number;
  /** How often every instance's `health` method is called; 0 turns checks off. Default 0. */
  healthCheckIntervalMs?: number;
  /** A health check without an answer within this time fails. Default min(interval, 500) ms. */
  healthCheckTimeoutMs?: number;
  /** Consecutive failed checks that mark an instance unhealthy. Default 1. */
  unhealthyThreshold?: number;
}

/** Registry settings with defaults filled. */
export interface ResolvedRegistryOptions {
  ttlMs: number;
  healthCheckIntervalMs: number;
  healthCheckTimeoutMs: number;
  unhealthyThreshold: number;
}

/** Fills registry defaults and validates them; throws ConfigError naming the bad option. */
export function resolveRegistryOptions(options: RegistryOptions): ResolvedRegistryOptions {
  const healthCheckIntervalMs = options.healthCheckIntervalMs ?? 0;
  const resolved: ResolvedRegistryOptions = {
    ttlMs: options.ttlMs ?? 3000,
    healthCheckIntervalMs,
    healthCheckTimeoutMs: options.healthCheckTimeoutMs ?? Math.min(healthCheckIntervalMs || 500, 500),
    unhealthyThreshold: options.unhealthyThreshold ?? 1,
  };
  if (!(resolved.ttlMs > 0)) throw new ConfigError(`registry ttlMs is ${resolved.ttlMs}: use a number of ms > 0`);
  if (!(resolved.healthCheckIntervalMs >= 0)) {
    throw new ConfigError(`registry healthCheckIntervalMs is ${resolved.healthCheckIntervalMs}: use ms >= 0 (0 turns checks off)`);
  }
  if (!(resolved.healthCheckTimeoutMs > 0)) {
    throw new ConfigError(`registry healthCheckTimeoutMs is ${resolved.healthCheckTimeoutMs}: use a number of ms > 0`);
  }
  if (!Number.isInteger(resolved.unhealthyThreshold) || resolved.unhealthyThreshold < 1) {
    throw new ConfigError(`registry unhealthyThreshold is ${resolved.unhealthyThreshold}: use a whole number >= 1`);
  }
  return resolved;
}

interface Entry {
  registration: Registration;
  /** Registry clock at the last register or heartbeat. */
  lastHeartbeatMs: number;
  healthy: boolean;
  consecutiveFailures: number;
  /** A health check is in flight; the next round skips this entry. */
  checking: boolean;
}

/**
 * A registry node factory: `world.addNode('registry', registryNode({ ttlMs: 3000 }))`.
 * Trace events: `discovery.register`, `discovery.deregister`, `discovery.expire`,
 * `discovery.unhealthy`, `discovery.healthy` (detail: the service; peer: the instance).
 */
export function registryNode(options: RegistryOptions = {}): NodeFactory {
  const resolved = resolveRegistryOptions(options);
  return (ctx) => new Registry(ctx, resolved).definition();
}

/** The registry's state and handlers; one per registry node start. */
class Registry {
  /** service → instance → entry, both in first-registration order. */
  private readonly services = new Map<string, Map<string, Entry>>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: ResolvedRegistryOptions,
  ) {}

  definition(): ServiceDefinition {
    return {
      handlers: {
        [REGISTRY_METHODS.register]: (payload: unknown) => {
          this.upsert(parseRegistration(payload), 'register');
          return { known: true };
        },
        [REGISTRY_METHODS.heartbeat]: (payload: unknown): HeartbeatResponse => ({
          known: this.upsert(parseRegistration(payload), 'heartbeat'),
        }),
        [REGISTRY_METHODS.deregister]: (payload: unknown) => {
          this.deregister(parseDeregistration(payload));
          return { ok: true };
        },
        [REGISTRY_METHODS.lookup]: (payload: unknown): LookupResponse => this.lookup(parseLookup(payload)),
        [REGISTRY_METHODS.list]: (): RegistryEntryView[] => this.list(),
      },
      onStart: () => {
        if (this.options.healthCheckIntervalMs > 0) this.ctx.setTimer(this.options.healthCheckIntervalMs, () => this.checkAll(), BACKGROUND);
      },
    };
  }

  /** Registers or refreshes; returns true if the instance was already registered. */
  private upsert(registration: Registration, via: 'register' | 'heartbeat'): boolean {
    let instances = this.services.get(registration.service);
    if (!instances) {
      instances = new Map();
      this.services.set(registration.service, instances);
    }
    const existing = instances.get(registration.instance);
    const nowMs = this.ctx.now();
    if (existing) {
      existing.lastHeartbeatMs = nowMs;
      existing.registration = registration;
      return true;
    }
    const entry: Entry = { registration, lastHeartbeatMs: nowMs, healthy: true, consecutiveFailures: 0, checking: false };
    instances.set(registration.instance, entry);
    this.ctx.emit('discovery.register', via === 'register' ? registration.service : `${registration.service} (heartbeat)`, registration.instance);
    this.ctx.setTimer(this.options.ttlMs, () => this.checkExpiry(entry), BACKGROUND);
    return false;
  }

  private deregister(request: Deregistration): void {
    const entry = this.services.get(request.service)?.get(request.instance);
    if (!entry) return;
    this.remove(entry);
    this.ctx.emit('discovery.deregister', request.service, request.instance);
  }

  /** Expires the entry if its last heartbeat is a TTL old; otherwise looks again when it would be. */
  private checkExpiry(entry: Entry): void {
    if (!this.isCurrent(entry)) return;
    const idleMs = this.ctx.now() - entry.lastHeartbeatMs;
    // A hair of tolerance: with clock drift, local and true ms convert with rounding.
    if (idleMs >= this.options.ttlMs - 1e-9) {
      this.remove(entry);
      this.ctx.emit('discovery.expire', entry.registration.service, entry.registration.instance);
      return;
    }
    this.ctx.setTimer(this.options.ttlMs - idleMs, () => this.checkExpiry(entry), BACKGROUND);
  }

  private checkAll(): void {
    for (const instances of this.services.values()) {
      for (const entry of instances.values()) if (!entry.checking) this.check(entry);
    }
    this.ctx.setTimer(this.options.healthCheckIntervalMs, () => this.checkAll(), BACKGROUND);
  }

  private check(entry: Entry): void {
    entry.checking = true;
    this.ctx
      .call(entry.registration.instance, HEALTH_METHOD, undefined, { timeoutMs: this.options.healthCheckTimeoutMs })
      .then(
        () => this.checked(entry, true),
        () => this.checked(entry, false),
      );
  }

  private checked(entry: Entry, passed: boolean): void {
    entry.checking = false;
    if (!this.isCurrent(entry)) return;
    const { service, instance } = entry.registration;
    if (passed) {
      entry.consecutiveFailures = 0;
      if (!entry.healthy) {
        entry.healthy = true;
        this.ctx.emit('discovery.healthy', service, instance);
      }
      return;
    }
    entry.consecutiveFailures++;
    if (entry.healthy && entry.consecutiveFailures >= this.options.unhealthyThreshold) {
      entry.healthy = false;
      this.ctx.emit('discovery.unhealthy', service, instance);
    }
  }

  private lookup(request: LookupRequest): LookupResponse {
    const services: LookupResponse['services'] = [];
    for (const service of request.services) {
      const instances: LookupInstance[] = [];
      const entries = this.services.get(service);
      if (entries) {
        for (const entry of entries.values()) {
          if (entry.healthy) instances.push({ instance: entry.registration.instance, weight: entry.registration.weight });
        }
      }
      services.push({ service, instances });
    }
    return { services };
  }

  private list(): RegistryEntryView[] {
    const views: RegistryEntryView[] = [];
    for (const entries of this.services.values()) {
      for (const entry of entries.values()) {
        const { service, instance, weight } = entry.registration;
        views.push({ service, instance, weight, healthy: entry.healthy, lastHeartbeatMs: entry.lastHeartbeatMs });
      }
    }
    return views;
  }

  private isCurrent(entry: Entry): boolean {
    return this.services.get(entry.registration.service)?.get(entry.registration.instance) === entry;
  }

  private remove(entry: Entry): void {
    const instances = this.services.get(entry.registration.service);
    if (!instances) return;
    instances.delete(entry.registration.instance);
    // Keeps memory bounded by live registrations, not by every service ever seen.
    if (instances.size === 0) this.services.delete(entry.registration.service);
  }
}

function parseRegistration(payload: unknown): Registration {
  const value = payload as Partial<Registration> | null;
  if (!value || typeof value.service !== 'string' || typeof value.instance !== 'string') {
    throw new RpcError('bad-request', 'registration needs { service, instance, weight }');
  }
  const weight = value.weight ?? 1;
  if (!(typeof weight === 'number' && weight > 0 && Number.isFinite(weight))) {
    throw new RpcError('bad-request', `registration weight is ${String(weight)}: use a finite number > 0`);
  }
  return { service: value.service, instance: value.instance, weight };
}

function parseDeregistration(payload: unknown): Deregistration {
  const value = payload as Partial<Deregistration> | null;
  if (!value || typeof value.service !== 'string' || typeof value.instance !== 'string') {
    throw new RpcError('bad-request', 'deregistration needs { service, instance }');
  }
  return { service: value.service, instance: value.instance };
}

function parseLookup(payload: unknown): LookupRequest {
  const value = payload as Partial<LookupRequest> | null;
  if (!value || !Array.isArray(value.services) || !value.services.every((service) => typeof service === 'string')) {
    throw new RpcError('bad-request', 'lookup needs { services: string[] }');
  }
  return { services: value.services };
}
