// Test fixtures for the deployment layer: a world with a registry and a control plane, a simple
// service template, a trace recorder and an ideal client load (imported by tests only).
import { World, type WorldOptions } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import type { NodeFactory } from '../../sim/world/node.ts';
import { RpcError } from '../../sim/engine/errors.ts';
import { registryNode } from '../../services/routing/discovery.ts';
import { ControlPlane, type ControlPlaneOptions } from '../../services/deploy/controller.ts';
import type { PodTemplate } from '../../services/deploy/deployment.ts';

/** A world with `registry` and `control-plane` nodes. */
export function cluster(seed = 1, options: { world?: WorldOptions; controlPlane?: ControlPlaneOptions } = {}): { world: World; controlPlane: ControlPlane } {
  const world = new World(seed, options.world ?? {});
  world.addNode('registry', registryNode({ ttlMs: 3000 }));
  const controlPlane = new ControlPlane(world, { registry: 'registry', ...options.controlPlane });
  return { world, controlPlane };
}

/** A service answering `work` after `serviceTimeMs` of CPU; `errorRate` of the answers fail. */
export function worker(version: string, serviceTimeMs = 10, errorRate = 0): NodeFactory {
  return (ctx: NodeContext) => ({
    handlers: {
      work: {
        serviceTimeMs,
        handle: () => {
          if (errorRate > 0 && ctx.rng.chance(errorRate)) throw new RpcError('application', `${version} failed`, ctx.name);
          return version;
        },
      },
    },
  });
}

/** A pod template of `worker`. */
export function workerTemplate(version: string, options: Partial<PodTemplate> & { serviceTimeMs?: number; errorRate?: number } = {}): PodTemplate {
  const { serviceTimeMs, errorRate, ...template } = options;
  return { version, factory: worker(version, serviceTimeMs, errorRate), workers: 4, ...template };
}

/** Control-plane events (`atMs kind detail`) and faults (`atMs fault what`) of the given kinds, in order. */
export function recordControlPlane(world: World, kinds: readonly string[]): string[] {
  const lines: string[] = [];
  world.sim.trace.addFilteredSink(kinds, (event) => {
    // A fault event names the fault where other events name their node.
    if (event.kind === 'fault') lines.push(`${event.atMs} fault ${event.node}`);
    else if (event.node === 'control-plane') lines.push(`${event.atMs} ${event.kind} ${event.detail ?? ''}`.trim());
  });
  return lines;
}

/** The control plane's loops are daemons: a no-op live event keeps a run going until `atMs`. */
export function keepAliveUntil(world: World, atMs: number): void {
  world.sim.at(atMs, () => {});
}

/**
 * An ideal client load: `ratePerSec` evenly spaced `work` calls from `fromMs` to `untilMs`, each to
 * the next pod discovery lists for `service` (round robin; none listed = the call is skipped).
 * Counts answers by outcome.
 */
export function steadyLoad(
  world: World,
  controlPlane: ControlPlane,
  service: string,
  phases: { fromMs: number; untilMs: number; ratePerSec: number }[],
): { ok: number; failed: number; skipped: number } {
  const tally = { ok: 0, failed: 0, skipped: 0 };
  let next = 0;
  for (const phase of phases) {
    const gapMs = 1000 / phase.ratePerSec;
    for (let atMs = phase.fromMs; atMs < phase.untilMs; atMs += gapMs) {
      world.sim.at(atMs, () => {
        const pods = controlPlane.endpoints(service);
        if (pods.length === 0) {
          tally.skipped++;
          return;
        }
        const pod = pods[next++ % pods.length]!;
        world.request(pod, 'work', undefined, { timeoutMs: 1000 }, (outcome) => {
          if (outcome.ok) tally.ok++;
          else tally.failed++;
        });
      });
    }
  }
  return tally;
}
