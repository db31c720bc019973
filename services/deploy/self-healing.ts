// Self-healing, the kubelet's part of the control plane: notices crashed pods and restarts them
// after a back-off that doubles per crash in a row (CrashLoopBackOff), kills pods that fail their
// liveness probe, sends readiness probes, and removes terminating pods when their drain is over.
import type { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { restartDelayMs } from './backoff.ts';
import type { PodRecord } from './pod-record.ts';
import type { Probe } from './probes.ts';

/** What supervision needs from the control plane. */
export interface SupervisorHost {
  readonly world: World;
  /** The control plane node's current context: probes are its RPCs, events its trace. */
  readonly ctx: NodeContext;
  /** Changes a pod's readiness (the deployment tracks availability through this one path). */
  setReady(pod: PodRecord, ready: boolean, reason: string): void;
}

/**
 * Looks at one pod once (every control-plane tick) and acts. Trace events (peer = the pod):
 * `pod.crash` (detail: crashes in a row and the back-off), `pod.restart`, `pod.liveness-failed`,
 * `pod.terminated`.
 */
export function supervise(pod: PodRecord, host: SupervisorHost, nowMs: number): void {
  const node = host.world.node(pod.name);
  switch (pod.phase) {
    case 'running':
      if (node.status === 'down') {
        crashed(pod, host, nowMs);
        return;
      }
      if (node.generation !== pod.observedGeneration) {
        // Crashed and restarted between two looks (a restart fault): a new process, not yet ready.
        host.setReady(pod, false, 'restarted');
        pod.beginIncarnation(nowMs, node.generation);
        host.ctx.emit('pod.restart', `${pod.name} restarted outside the control plane`, pod.name);
      }
      sendDueProbes(pod, host, nowMs);
      return;
    case 'backoff':
      if (node.status === 'up') {
        // Someone else restarted it (the runner's quiesce, a restart fault): supervise it from here.
        pod.beginIncarnation(nowMs, node.generation);
        host.ctx.emit('pod.restart', `${pod.name} restarted outside the control plane`, pod.name);
        return;
      }
      if (nowMs >= pod.restartAtMs) {
        pod.restarts++;
        host.world.restart(pod.name);
        pod.beginIncarnation(nowMs, host.world.node(pod.name).generation);
        host.ctx.emit('pod.restart', `${pod.name} restart ${pod.restarts}`, pod.name);
      }
      return;
    case 'terminating':
      if (nowMs >= pod.terminateAtMs) removePod(pod, host);
      return;
    case 'terminated':
      return;
  }
}

/**
 * Starts a pod's termination: out of discovery now, stopped after the deployment's grace period
 * so callers' cached views move off it first. A pod whose process is down goes at once.
 * Trace event: `pod.terminating`.
 */
export function terminate(pod: PodRecord, host: SupervisorHost, nowMs: number): void {
  if (!pod.live) return;
  host.setReady(pod, false, 'terminating');
  pod.phase = 'terminating';
  pod.terminateAtMs = nowMs + pod.spec.terminationGraceMs;
  host.ctx.emit('pod.terminating', `${pod.name} stops in ${pod.spec.terminationGraceMs}ms`, pod.name);
  if (host.world.node(pod.name).status === 'down' || pod.spec.terminationGraceMs === 0) removePod(pod, host);
}

function removePod(pod: PodRecord, host: SupervisorHost): void {
  host.world.removeNode(pod.name);
  pod.phase = 'terminated';
  host.ctx.emit('pod.terminated', pod.name, pod.name);
}

function crashed(pod: PodRecord, host: SupervisorHost, nowMs: number): void {
  host.setReady(pod, false, 'crashed');
  const backoff = pod.spec.restartBackoff;
  // A pod that ran long enough since its last start is not crash-looping: start the back-off over.
  pod.consecutiveCrashes = nowMs - pod.startedAtMs >= backoff.resetAfterMs ? 1 : pod.consecutiveCrashes + 1;
  const delayMs = restartDelayMs(pod.consecutiveCrashes, backoff);
  pod.phase = 'backoff';
  pod.restartAtMs = nowMs + delayMs;
  host.ctx.emit('pod.crash', `${pod.name} crash ${pod.consecutiveCrashes} in a row; restart in ${delayMs}ms`, pod.name);
}

function sendDueProbes(pod: PodRecord, host: SupervisorHost, nowMs: number): void {
  if (pod.liveness.due(nowMs)) {
    probe(pod, pod.liveness, host, nowMs, (changed) => {
      if (!changed || pod.liveness.status !== 'failing') return;
      host.ctx.emit('pod.liveness-failed', `${pod.name} failed ${pod.spec.liveness.failureThreshold} liveness probes`, pod.name);
      // The kubelet kills the container; the restart follows the same back-off as any crash.
      host.world.crash(pod.name);
      crashed(pod, host, host.ctx.now());
    });
  }
  if (pod.readiness.due(nowMs)) {
    probe(pod, pod.readiness, host, nowMs, (changed) => {
      if (!changed) return;
      if (pod.readiness.status === 'passing') host.setReady(pod, true, 'readiness probe passed');
      else if (pod.readiness.status === 'failing') host.setReady(pod, false, 'readiness probe failed');
    });
  }
}

function probe(pod: PodRecord, target: Probe, host: SupervisorHost, nowMs: number, onChange: (changed: boolean) => void): void {
  const incarnation = pod.incarnation;
  target.begin(nowMs);
  const settle = (passed: boolean): void => {
    // An answer for an earlier process of the pod, or for a pod already leaving, decides nothing.
    if (pod.incarnation !== incarnation || pod.phase !== 'running') return;
    onChange(target.end(passed));
  };
  host.ctx.call(pod.name, target.method, undefined, { timeoutMs: target.options.timeoutMs }).then(
    () => settle(true),
    () => settle(false),
  );
}
