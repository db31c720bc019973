// Deployment faults as values, like sim/harness/faults.ts but applied through a control plane: a
// crash-loop (every pod of a deployment crashes now and on its next N starts, as with a bad
// config that is fixed later), to watch self-healing's back-off bring a service back.
import { ConfigError } from '../../sim/engine/errors.ts';
import type { ControlPlane } from './controller.ts';

/** A deployment fault, as data. */
export type DeployFault = { kind: 'crash-loop'; deployment: string; starts: number };

/** A deployment fault at a virtual time. */
export interface ScheduledDeployFault {
  atMs: number;
  fault: DeployFault;
}

/** Every pod of `deployment` crashes now and on each of its next `starts` starts (then starts cleanly). */
export const crashLoop = (deployment: string, starts: number): DeployFault => ({ kind: 'crash-loop', deployment, starts });

/** One line describing a deployment fault, e.g. `crash-loop payments for 4 starts`. */
export function describeDeployFault(fault: DeployFault): string {
  return `crash-loop ${fault.deployment} for ${fault.starts} starts`;
}

/** Applies a deployment fault now. */
export function applyDeployFault(controlPlane: ControlPlane, fault: DeployFault): void {
  controlPlane.crashLoop(fault.deployment, fault.starts);
}

/**
 * Schedules deployment faults on the world's clock. Each emits a `fault` trace event (the same
 * kind sim/harness/faults.ts uses, so timelines show it) and is applied at its time.
 */
export function scheduleDeployFaults(controlPlane: ControlPlane, schedule: readonly ScheduledDeployFault[]): void {
  const world = controlPlane.world;
  for (const scheduled of schedule) {
    if (!(scheduled.atMs >= world.nowMs && Number.isFinite(scheduled.atMs))) {
      throw new ConfigError(`deploy fault '${describeDeployFault(scheduled.fault)}': atMs is ${scheduled.atMs}; use a finite time >= now (${world.nowMs})`);
    }
    controlPlane.controller(scheduled.fault.deployment);
    world.sim.at(scheduled.atMs, () => {
      world.sim.trace.emit(world.sim.nowMs, 'fault', describeDeployFault(scheduled.fault));
      applyDeployFault(controlPlane, scheduled.fault);
    });
  }
}
