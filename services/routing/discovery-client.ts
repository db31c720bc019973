// A node's cached view of the registry: refreshed every `refreshMs`, so it can be stale — an
// instance that died keeps receiving calls until the registry drops it and the next refresh lands.
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { REGISTRY_METHODS, type LookupInstance, type LookupResponse } from './discovery.ts';
import { newInstance, type ServiceInstance } from './instance.ts';

/** Told of every call routed to an instance (a staleness meter, a report). Must not affect the run. */
export interface RouteObserver {
  routed(instance: string): void;
}

/** How a discovery client reaches the registry. */
export interface DiscoveryClientOptions {
  /** The registry node, or several: lookups go to the first that answers, and stick to it. */
  registry: string | readonly string[];
  /** Time between refreshes of the cached view (node clock). Default 1000 ms. */
  refreshMs?: number;
  /** Timeout of one lookup call before failing over to the next registry. Default min(refreshMs, 200) ms. */
  lookupTimeoutMs?: number;
  /** Told of every routed call. */
  observer?: RouteObserver;
}

interface ServiceView {
  service: string;
  /** The current view; replaced (never mutated) when it changes, so balancers can cache by identity. */
  list: readonly ServiceInstance[];
  /** Instance objects by name: those listed plus departed ones with calls still in flight. */
  known: Map<string, ServiceInstance>;
  /** True once a lookup answer (or a failed first lookup) set the view. */
  fetched: boolean;
  /** Sequence number of the lookup last applied; older answers arriving late are ignored. */
  appliedSequence: number;
  firstFetch: Promise<readonly ServiceInstance[]> | undefined;
}

/** Heartbeats, refreshes, checks and expiry sweeps are background work: they never keep a run alive alone. */
const BACKGROUND = Object.freeze({ daemon: true });

/** Departed instances whose last routed time is kept (memory stays bounded under churn). */
export const DEPARTED_REMEMBERED = 64;

const NO_INSTANCES: readonly ServiceInstance[] = Object.freeze([]);

/**
 * Discovery as one node sees it. `instances(service)` answers from the cache without a network
 * round trip; `resolve(service)` fetches on first use. Trace events: `discovery.view` when a
 * service's view changes, `discovery.failover` when lookups move to another registry,
 * `discovery.lookup-failed` when no registry answered (the old view is kept).
 */
export class DiscoveryClient {
  /** The registries, in failover order. */
  readonly registries: readonly string[];
  readonly refreshMs: number;
  readonly lookupTimeoutMs: number;
  private readonly views = new Map<string, ServiceView>();
  /** Last routed time of instances that left the view, oldest departure first. */
  private readonly departed = new Map<string, number>();
  private preferred = 0;
  private sequence = 0;
  private loopStarted = false;
  private refreshing = false;
  private stopped = false;
  private timer = -1;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: DiscoveryClientOptions,
  ) {
    this.registries = typeof options.registry === 'string' ? [options.registry] : [...options.registry];
    if (this.registries.length === 0) throw new ConfigError(`discovery client on ${ctx.name} has no registry: pass { registry: 'registry' }`);
    this.refreshMs = options.refreshMs ?? 1000;
    if (!(this.refreshMs > 0)) throw new ConfigError(`discovery refreshMs is ${this.refreshMs}: use a number of ms > 0`);
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? Math.min(this.refreshMs, 200);
    if (!(this.lookupTimeoutMs > 0)) throw new ConfigError(`discovery lookupTimeoutMs is ${this.lookupTimeoutMs}: use a number of ms > 0`);
  }

  /** The registry lookups currently go to. */
  get currentRegistry(): string {
    return this.registries[this.preferred]!;
  }

  /** The cached view of `service`, or undefined before its first lookup (use `resolve` then). */
  instances(service: string): readonly ServiceInstance[] | undefined {
    let view = this.lastView;
    if (view === undefined || view.service !== service) {
      view = this.views.get(service);
      if (view !== undefined) this.lastView = view;
    }
    return view !== undefined && view.fetched ? view.list : undefined;
  }

  /**
   * The view `instances` found last: a client asks for its one service call after call, and a
   * service's view, once made, stays its view (views are updated in place, never replaced or removed).
   */
  private lastView: ServiceView | undefined = undefined;

  /** The cached view, fetching it first if this service was never looked up. Starts the refresh loop. */
  resolve(service: string): Promise<readonly ServiceInstance[]> {
    let view = this.views.get(service);
    if (view !== undefined && view.fetched) return Promise.resolve(view.list);
    if (view === undefined) {
      view = { service, list: NO_INSTANCES, known: new Map(), fetched: false, appliedSequence: 0, firstFetch: undefined };
      this.views.set(service, view);
    }
    this.startLoop();
    if (view.firstFetch !== undefined) return view.firstFetch;
    const pending = view;
    // A failed first lookup still counts as fetched (empty): calls fail fast until a refresh lands.
    const firstFetch = this.lookup([service]).then(() => {
      pending.fetched = true;
      pending.firstFetch = undefined;
      return pending.list;
    });
    pending.firstFetch = firstFetch;
    return firstFetch;
  }

  /** Looks up every watched service now (the loop also does this every `refreshMs`). */
  async refresh(): Promise<void> {
    if (this.views.size === 0) return;
    await this.lookup([...this.views.keys()]);
  }

  /** Records that a call is being routed to `instance` (the client calls this). */
  routed(instance: ServiceInstance): void {
    instance.lastRoutedMs = this.ctx.now();
    this.options.observer?.routed(instance.name);
  }

  /**
   * Node-clock time this node last routed a call to the named instance: known for listed
   * instances and for the last `DEPARTED_REMEMBERED` that left the view.
   */
  lastRoutedMs(instance: string): number | undefined {
    for (const view of this.views.values()) {
      const known = view.known.get(instance);
      if (known?.lastRoutedMs !== undefined) return known.lastRoutedMs;
    }
    return this.departed.get(instance);
  }

  /** Stops the refresh loop (the view stays as it is). */
  stop(): void {
    this.stopped = true;
    if (this.loopStarted) this.ctx.clearTimer(this.timer);
  }

  private startLoop(): void {
    if (this.loopStarted || this.stopped) return;
    this.loopStarted = true;
    this.timer = this.ctx.setTimer(this.refreshMs, this.tick, BACKGROUND);
  }

  private readonly tick = (): void => {
    if (this.stopped) return;
    // A lookup slower than refreshMs must not pile up a second one behind it.
    if (!this.refreshing) {
      this.refreshing = true;
      this.refresh().then(() => {
        this.refreshing = false;
      });
    }
    this.timer = this.ctx.setTimer(this.refreshMs, this.tick, BACKGROUND);
  };

  /** Asks the registries in failover order; applies the first answer. Never rejects. */
  private async lookup(services: string[]): Promise<void> {
    const sequence = ++this.sequence;
    const count = this.registries.length;
    for (let offset = 0; offset < count; offset++) {
      const index = (this.preferred + offset) % count;
      const registry = this.registries[index]!;
      let response: LookupResponse;
      try {
        response = await this.ctx.call<LookupResponse>(registry, REGISTRY_METHODS.lookup, { services }, { timeoutMs: this.lookupTimeoutMs });
      } catch {
        continue;
      }
      if (index !== this.preferred) {
        this.ctx.emit('discovery.failover', `${this.registries[this.preferred]} -> ${registry}`, registry);
        this.preferred = index;
      }
      for (const answer of response.services) this.apply(answer.service, answer.instances, sequence);
      return;
    }
    this.ctx.emit('discovery.lookup-failed', services.join(','));
  }

  private rememberDeparted(name: string, lastRoutedMs: number): void {
    this.departed.delete(name);
    if (this.departed.size >= DEPARTED_REMEMBERED) this.departed.delete(this.departed.keys().next().value!);
    this.departed.set(name, lastRoutedMs);
  }

  private apply(service: string, listed: readonly LookupInstance[], sequence: number): void {
    const view = this.views.get(service);
    if (view === undefined || sequence <= view.appliedSequence) return;
    view.appliedSequence = sequence;
    const wasFetched = view.fetched;
    view.fetched = true;
    if (wasFetched && sameInstances(view.list, listed)) return;
    const list: ServiceInstance[] = [];
    const listedNames = new Set<string>();
    for (const { instance: name, weight } of listed) {
      let instance = view.known.get(name);
      if (instance === undefined) {
        instance = newInstance(service, name, weight);
        view.known.set(name, instance);
      }
      instance.weight = weight;
      list.push(instance);
      listedNames.add(name);
    }
    // Departed instances are forgotten once their calls end, so memory follows the live set.
    for (const [name, instance] of view.known) {
      if (listedNames.has(name) || instance.inFlight > 0) continue;
      view.known.delete(name);
      if (instance.lastRoutedMs !== undefined) this.rememberDeparted(name, instance.lastRoutedMs);
    }
    view.list = list;
    this.ctx.emit('discovery.view', `${service}: ${list.map((instance) => instance.name).join(',') || '(none)'}`);
  }
}

function sameInstances(current: readonly ServiceInstance[], listed: readonly LookupInstance[]): boolean {
  if (current.length !== listed.length) return false;
  for (let index = 0; index < listed.length; index++) {
    const instance = current[index]!;
    const entry = listed[index]!;
    if (instance.name !== entry.instance || instance.weight !== entry.weight) return false;
  }
  return true;
}
