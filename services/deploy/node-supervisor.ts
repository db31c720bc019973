// Self-healing for plain nodes, the kubelet's restart loop without the rest of a control plane:
// a supervisor node watches named nodes and restarts each one that went down, after a back-off
// that doubles per crash in a row (CrashLoopBackOff), capped.
import type { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { resolveBackoff, restartDelayMs, type BackoffOptions, type ResolvedBackoff } from './backoff.ts';
import { registerTimelineKinds } from '../../sim/harness/timeline.ts';

// Registered here, not only by the deployment controller: a scenario that uses the supervisor alone
// must show its restarts in the timeline whatever else the process happened to import first.
registerTimelineKinds('heal.crash', 'heal.restart');

/** Supervisor settings. */
export interface NodeSupervisorOptions {
  /** Name of the supervisor's own node. Default `supervisor`. */
  name?: string;
  /** How often it looks at its nodes, ms. Default 100. */
  checkIntervalMs?: number;
  /** Restart back-off. Defaults: 500 ms doubling to 8 s, reset after 30 s up. */
  backoff?: BackoffOptions;
}

interface Watched {
  name: string;
  /** Crashes without a long enough run in between. */
  crashesInRow: number;
  /** When the node last came up (after a restart by this supervisor or otherwise). */
  upSinceMs: number;
  /** A restart is due at this time (true virtual ms), while the node waits out its back-off. */
  restartAtMs: number | undefined;
  wasUp: boolean;
}

/** Figures a scenario can report. */
export interface SupervisorStats {
  restarts: number;
  /** Longest back-off waited before one restart, ms. */
  longestBackoffMs: number;
}

/**
 * Watches nodes from outside and restarts the ones that are down. It stands for the kubelet: it
 * holds the World (infrastructure sees every node), while services only see their own context.
 * Nodes removed for good (scale-in) are left alone. Trace events: `heal.crash` (crashes in a row
 * and the back-off), `heal.restart`.
 */
export class NodeSupervisor {
  readonly stats: SupervisorStats = { restarts: 0, longestBackoffMs: 0 };
  private readonly watched: Watched[];
  private readonly backoff: ResolvedBackoff;
  private readonly checkIntervalMs: number;

  constructor(
    private readonly world: World,
    nodes: readonly string[],
    options: NodeSupervisorOptions = {},
  ) {
    this.backoff = resolveBackoff(options.backoff, 'node supervisor back-off');
    this.checkIntervalMs = options.checkIntervalMs ?? 100;
    if (!(this.checkIntervalMs > 0)) throw new ConfigError(`node supervisor checkIntervalMs is ${this.checkIntervalMs}: use a number of ms > 0`);
    this.watched = nodes.map((name) => {
      world.node(name);
      return { name, crashesInRow: 0, upSinceMs: world.nowMs, restartAtMs: undefined, wasUp: true };
    });
    world.addNode(options.name ?? 'supervisor', (ctx) => ({
      onStart: () => ctx.spawn(() => this.loop(ctx)),
    }));
  }

  private async loop(ctx: NodeContext): Promise<void> {
    for (;;) {
      this.look(ctx);
      // Background work: it must not keep a finished run alive.
      await ctx.sleep(this.checkIntervalMs, { daemon: true });
    }
  }

  private look(ctx: NodeContext): void {
    const nowMs = this.world.nowMs;
    for (const watched of this.watched) {
      const node = this.world.node(watched.name);
      if (node.removed) continue;
      if (node.status === 'up') {
        if (!watched.wasUp) watched.upSinceMs = nowMs;
        watched.wasUp = true;
        watched.restartAtMs = undefined;
        continue;
      }
      if (watched.restartAtMs === undefined) {
        // A crash after a long enough run starts the back-off over.
        const ranMs = nowMs - watched.upSinceMs;
        watched.crashesInRow = ranMs >= this.backoff.resetAfterMs ? 1 : watched.crashesInRow + 1;
        const delayMs = restartDelayMs(watched.crashesInRow, this.backoff);
        watched.restartAtMs = nowMs + delayMs;
        watched.wasUp = false;
        this.stats.longestBackoffMs = Math.max(this.stats.longestBackoffMs, delayMs);
        ctx.emit('heal.crash', `${watched.name} down (${watched.crashesInRow} in a row): restart in ${delayMs}ms`, watched.name);
      } else if (nowMs >= watched.restartAtMs) {
        watched.restartAtMs = undefined;
        watched.upSinceMs = nowMs;
        this.stats.restarts++;
        ctx.emit('heal.restart', `${watched.name} restarted`, watched.name);
        this.world.restart(watched.name);
      }
    }
  }
}
