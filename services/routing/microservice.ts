// A microservice instance in one call: it registers with the registry (when it serves a service),
// keeps a discovery view, and holds a client per service it calls. Built in the node factory, so a
// restart builds all of it afresh, as a restarted process would.
import type { NodeContext } from '../../sim/world/context.ts';
import type { NodeFactory, ServiceDefinition } from '../../sim/world/node.ts';
import { DiscoveryClient } from './discovery-client.ts';
import { ServiceClient, type ServiceClientOptions } from './client.ts';
import { registered, type RegistrationOptions } from './registration.ts';

/** How an instance calls one service: the client's options, or a function of the node's context (for policies). */
export type CallSpec = Omit<ServiceClientOptions, 'service' | 'discovery'> | ((ctx: NodeContext) => Omit<ServiceClientOptions, 'service' | 'discovery'>);

/** What a microservice declares. */
export interface MicroserviceOptions<Calls extends string> {
  /** The registry node it registers with and looks services up in. */
  registry: string;
  /** The service it serves (and registers as); omit for a node that only calls others (a frontend). */
  service?: string;
  /** Time between refreshes of its discovery view. Default 1000 ms. */
  refreshMs?: number;
  /** The services it calls, each with its client options. */
  calls?: Record<Calls, CallSpec>;
  /** Registration details (heartbeat, weight, health) besides registry and service. */
  registration?: Omit<RegistrationOptions, 'registry' | 'service'>;
}

/** What the service's own factory receives besides its context. */
export interface MicroserviceParts<Calls extends string> {
  discovery: DiscoveryClient;
  /** One client per called service, by name. */
  clients: Record<Calls, ServiceClient>;
}

/**
 * A node factory for a microservice: `world.addNode('api-1', microservice({ registry: 'registry',
 * service: 'api', calls: { dep: { timeoutMs: 100 } } }, (ctx, { clients }) => ({ handlers: … })))`.
 */
export function microservice<Calls extends string = never>(
  options: MicroserviceOptions<Calls>,
  factory: (ctx: NodeContext, parts: MicroserviceParts<Calls>) => ServiceDefinition,
): NodeFactory {
  const instance: NodeFactory = (ctx) => {
    const discovery = new DiscoveryClient(ctx, { registry: options.registry, ...(options.refreshMs !== undefined ? { refreshMs: options.refreshMs } : {}) });
    const clients = {} as Record<Calls, ServiceClient>;
    for (const [service, spec] of Object.entries(options.calls ?? {}) as [Calls, CallSpec][]) {
      const clientOptions = typeof spec === 'function' ? spec(ctx) : spec;
      clients[service] = new ServiceClient(ctx, { ...clientOptions, service, discovery });
    }
    return factory(ctx, { discovery, clients });
  };
  if (options.service === undefined) return instance;
  return registered({ ...options.registration, registry: options.registry, service: options.service }, instance);
}
