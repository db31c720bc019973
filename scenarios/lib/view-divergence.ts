// Measures how long discovery views disagree: the registry's set of instances of one service
// against each client's cached view, read from the trace (outside the services).
import type { World } from '../../sim/world/world.ts';
import type { TraceEvent } from '../../sim/engine/trace.ts';

const KINDS = ['discovery.view', 'discovery.register', 'discovery.expire', 'discovery.deregister'];

/** Figures for a scenario's metrics. */
export interface ViewDivergence {
  /** Virtual ms during which at least one client's view differed from the registry's. */
  divergedMs: number;
  /** Registrations that expired (the registry stopped hearing an instance). */
  expiries: number;
  /** Times a client's view of the service changed. */
  viewChanges: number;
}

/** Watches one service's views in a world; call `figures()` at the end of the run. */
export class ViewDivergenceMeter {
  private readonly registry = new Set<string>();
  private readonly views = new Map<string, string>();
  private divergedSinceMs: number | undefined;
  private divergedMs = 0;
  private expiries = 0;
  private viewChanges = 0;

  constructor(
    private readonly world: World,
    private readonly service: string,
  ) {
    world.sim.trace.addFilteredSink(KINDS, (event) => this.observe(event));
  }

  /** The figures so far (an open divergence counts up to now). */
  figures(): ViewDivergence {
    const open = this.divergedSinceMs === undefined ? 0 : this.world.nowMs - this.divergedSinceMs;
    return { divergedMs: this.divergedMs + open, expiries: this.expiries, viewChanges: this.viewChanges };
  }

  private observe(event: TraceEvent): void {
    const detail = event.detail ?? '';
    if (event.kind === 'discovery.view') {
      const prefix = `${this.service}: `;
      if (!detail.startsWith(prefix)) return;
      const view = detail.slice(prefix.length).split(',').filter((name) => name !== '(none)').sort().join(',');
      if (this.views.get(event.node) !== view) this.viewChanges++;
      this.views.set(event.node, view);
    } else if (detail.split(' ')[0] === this.service && event.peer !== undefined) {
      if (event.kind === 'discovery.register') this.registry.add(event.peer);
      else {
        this.registry.delete(event.peer);
        if (event.kind === 'discovery.expire') this.expiries++;
      }
    } else {
      return;
    }
    this.update(event.atMs);
  }

  private update(atMs: number): void {
    const truth = [...this.registry].sort().join(',');
    const diverged = [...this.views.values()].some((view) => view !== truth);
    if (diverged && this.divergedSinceMs === undefined) this.divergedSinceMs = atMs;
    if (!diverged && this.divergedSinceMs !== undefined) {
      this.divergedMs += atMs - this.divergedSinceMs;
      this.divergedSinceMs = undefined;
    }
  }
}
