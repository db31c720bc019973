// Measures how stale discovery views are, from outside the services: the world's trace says when
// an instance died, discovery clients say when they routed to it; the gap is the staleness.
import type { World } from '../../sim/world/world.ts';
import type { TraceEvent } from '../../sim/engine/trace.ts';
import type { RouteObserver } from './discovery-client.ts';

/** Staleness figures of one instance over the run. */
export interface InstanceStaleness {
  instance: string;
  /** Times it crashed or was removed. */
  deaths: number;
  /** Calls routed to it while it was dead. */
  routesWhileDead: number;
  /** Largest gap (true virtual ms) between a death and the last call routed to it before it came back. */
  maxStaleMs: number;
}

/** Staleness over every instance that died. */
export interface StalenessReport {
  routesToDeadInstances: number;
  /** Largest staleness of any instance; 0 when no call ever went to a dead one. */
  maxStaleMs: number;
  /** Instances that died, in order of first death. */
  instances: InstanceStaleness[];
}

interface InstanceState extends InstanceStaleness {
  diedAtMs: number | undefined;
}

const LIFECYCLE_KINDS = ['node.crash', 'node.removed', 'node.restart'];

/**
 * Pass it as `observer` to discovery clients (`new DiscoveryClient(ctx, { observer: meter, … })`).
 * It only observes: it never changes what a service does. Memory: one record per instance that died.
 */
export class StalenessMeter implements RouteObserver {
  private readonly states = new Map<string, InstanceState>();

  constructor(private readonly world: World) {
    world.sim.trace.addFilteredSink(LIFECYCLE_KINDS, (event) => this.onLifecycle(event));
  }

  /** A discovery client routed a call to `instance` now. */
  routed(instance: string): void {
    const state = this.states.get(instance);
    if (state === undefined || state.diedAtMs === undefined) return;
    state.routesWhileDead++;
    const staleMs = this.world.nowMs - state.diedAtMs;
    if (staleMs > state.maxStaleMs) state.maxStaleMs = staleMs;
  }

  /** The figures so far. */
  report(): StalenessReport {
    let routesToDeadInstances = 0;
    let maxStaleMs = 0;
    const instances: InstanceStaleness[] = [];
    for (const state of this.states.values()) {
      routesToDeadInstances += state.routesWhileDead;
      maxStaleMs = Math.max(maxStaleMs, state.maxStaleMs);
      instances.push({ instance: state.instance, deaths: state.deaths, routesWhileDead: state.routesWhileDead, maxStaleMs: state.maxStaleMs });
    }
    return { routesToDeadInstances, maxStaleMs, instances };
  }

  private onLifecycle(event: TraceEvent): void {
    if (event.kind === 'node.restart') {
      const state = this.states.get(event.node);
      if (state) state.diedAtMs = undefined;
      return;
    }
    let state = this.states.get(event.node);
    if (state === undefined) {
      state = { instance: event.node, deaths: 0, routesWhileDead: 0, maxStaleMs: 0, diedAtMs: undefined };
      this.states.set(event.node, state);
    }
    if (state.diedAtMs !== undefined) return;
    state.deaths++;
    state.diedAtMs = event.atMs;
  }
}
