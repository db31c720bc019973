// The synchronous service call: resolve instances through discovery, pick one with a balancer, run
// the call under the caller's policy, send the RPC with deadline and trace context, count in-flight.
import type { NodeContext } from '../../sim/world/context.ts';
import type { Request } from '../../sim/world/node.ts';
import { RpcError } from '../../sim/engine/errors.ts';
import { earliestDeadline } from '../../sim/world/rpc.ts';
import type { Attempt, Policy } from '../resilience/policy.ts';
import type { DiscoveryClient } from './discovery-client.ts';
import type { ServiceInstance } from './instance.ts';
import { createBalancer, type Balancer, type BalancerKind } from './balancer.ts';

/** How one service is called. */
export interface ServiceClientOptions {
  /** The service name discovery knows (`payments`). */
  service: string;
  /** The node's discovery client (share one per node). */
  discovery: DiscoveryClient;
  /** A balancer, or its kind. Default `round-robin`. Give each service its own. */
  balancer?: Balancer | BalancerKind;
  /** Policies to run every call under (compose several with `wrap`). Each attempt re-resolves and re-picks. */
  policy?: Policy;
  /** Timeout of each attempt's RPC. Default: the node's `defaultTimeoutMs`. */
  timeoutMs?: number;
}

/** Options of one call. */
export interface ServiceCallOptions {
  /** The request being served: its trace continues and its deadline bounds the call. */
  parent?: Request;
  /** Affinity key for the consistent-hash balancer (client id, IP, entity id). */
  key?: string;
  /** Timeout of each attempt's RPC; overrides the client's. */
  timeoutMs?: number;
  /** Absolute true virtual time after which the answer is useless (tightens the parent's deadline). */
  deadlineMs?: number;
}

const NO_OPTIONS: ServiceCallOptions = {};

/**
 * Calls one service from a node: `serviceClient(ctx, { service: 'payments', discovery, policy })
 * .call('charge', body, { parent: request })`. Rejects with an RpcError: `unavailable` when
 * discovery lists no instance, otherwise whatever the RPC or the policy failed with.
 */
export class ServiceClient {
  readonly service: string;
  readonly balancer: Balancer;
  private readonly discovery: DiscoveryClient;
  private readonly policy: Policy | undefined;
  private readonly timeoutMs: number | undefined;

  constructor(
    private readonly ctx: NodeContext,
    options: ServiceClientOptions,
  ) {
    this.service = options.service;
    this.discovery = options.discovery;
    this.policy = options.policy;
    this.timeoutMs = options.timeoutMs;
    const balancer = options.balancer ?? 'round-robin';
    this.balancer = typeof balancer === 'string' ? createBalancer(balancer, ctx.stream(`balancer/${options.service}`)) : balancer;
  }

  /** Calls `method` on one instance of the service and resolves with its answer. */
  call<T = unknown>(method: string, payload?: unknown, options: ServiceCallOptions = NO_OPTIONS): Promise<T> {
    const policy = this.policy;
    const deadlineMs = earliestDeadline(options.deadlineMs, options.parent?.deadlineMs);
    if (policy === undefined) return this.attempt<T>(method, payload, options, deadlineMs);
    return policy.execute<T>(
      (attempt: Attempt) => this.attempt<T>(method, payload, options, attempt.deadlineMs === undefined ? deadlineMs : attempt.deadlineMs),
      { attempt: 1, deadlineMs },
    );
  }

  /** Instances discovery lists for this service right now (empty before the first lookup). */
  instances(): readonly ServiceInstance[] {
    return this.discovery.instances(this.service) ?? [];
  }

  private attempt<T>(method: string, payload: unknown, options: ServiceCallOptions, deadlineMs: number | undefined): Promise<T> {
    const list = this.discovery.instances(this.service);
    if (list === undefined) {
      return this.discovery.resolve(this.service).then((resolved) => this.send<T>(resolved, method, payload, options, deadlineMs));
    }
    return this.send<T>(list, method, payload, options, deadlineMs);
  }

  private send<T>(
    list: readonly ServiceInstance[],
    method: string,
    payload: unknown,
    options: ServiceCallOptions,
    deadlineMs: number | undefined,
  ): Promise<T> {
    let instance: ServiceInstance | undefined;
    try {
      instance = this.balancer.pick(list, options.key);
    } catch (error) {
      return Promise.reject(error);
    }
    if (instance === undefined) {
      return Promise.reject(new RpcError('unavailable', `no instance of ${this.service} is available`, this.ctx.name));
    }
    const target = instance;
    target.inFlight++;
    this.discovery.routed(target);
    const parent = options.parent;
    const callsBefore = this.ctx.callsInFlight;
    const answer = this.ctx.call<T>(target.name, method, payload, {
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      deadlineMs,
      traceKey: parent?.traceKey,
      parentSpanKey: parent?.spanKey,
      inFlight: target,
    });
    // A call the context made lowers the count as it settles, where the first reaction on its
    // promise would have (no reaction, closure or promise of our own); one refused at once made no
    // call, and the count drops here one microtask later, as it always did.
    if (this.ctx.callsInFlight === callsBefore) return settleAfter(answer, () => void target.inFlight--);
    // The caller's promise settles one microtask after the answer's, as settleAfter's does.
    return answer.then();
  }
}

/**
 * `answer`, one microtask later, after `onSettle` ran: the same microtasks as
 * `answer.then((v) => { onSettle(); return v }, (e) => { onSettle(); throw e })`, without rethrowing
 * a failure (a JavaScript throw costs more than the call). The two reactions run back to back when
 * `answer` settles, so the returned promise settles where the `.then` form's would.
 */
export function settleAfter<T>(answer: Promise<T>, onSettle: () => void): Promise<T> {
  answer.then(onSettle, onSettle);
  return answer.then();
}

/** Builds a client for one service on this node. */
export function serviceClient(ctx: NodeContext, options: ServiceClientOptions): ServiceClient {
  return new ServiceClient(ctx, options);
}

/** How a node calls any service by name. */
export interface ServiceCallerOptions {
  discovery: DiscoveryClient;
  /** Balancer kind for every service, or a factory called once per service. Default `round-robin`. */
  balancer?: BalancerKind | ((service: string) => Balancer);
  /** The policy for a service (called once per service; stateful policies must not be shared). */
  policyFor?: (service: string) => Policy | undefined;
  /** Default timeout of each attempt's RPC. */
  timeoutMs?: number;
}

/**
 * `call(service, method, payload, options)` for any service: one `ServiceClient` per service, made
 * on first use, each with its own balancer and policy.
 */
export class ServiceCaller {
  private readonly clients = new Map<string, ServiceClient>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: ServiceCallerOptions,
  ) {}

  /** Calls `method` on an instance of `service`. */
  call<T = unknown>(service: string, method: string, payload?: unknown, options?: ServiceCallOptions): Promise<T> {
    return this.client(service).call<T>(method, payload, options);
  }

  /** The client for `service`, made on first use. */
  client(service: string): ServiceClient {
    let client = this.clients.get(service);
    if (client === undefined) {
      const balancer = this.options.balancer;
      client = new ServiceClient(this.ctx, {
        service,
        discovery: this.options.discovery,
        balancer: typeof balancer === 'function' ? balancer(service) : balancer,
        policy: this.options.policyFor?.(service),
        timeoutMs: this.options.timeoutMs,
      });
      this.clients.set(service, client);
    }
    return client;
  }
}

/** Builds a by-name caller for this node. */
export function serviceCaller(ctx: NodeContext, options: ServiceCallerOptions): ServiceCaller {
  return new ServiceCaller(ctx, options);
}
