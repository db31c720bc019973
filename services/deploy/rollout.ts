// Rollout planning as pure functions of the pods a deployment has now: which pods to remove and how
// many new ones to create this step, for a rolling update (surge and unavailability bounded,
// gated by readiness) or a recreate. Scaling is the same step with no old pods.
import type { RollingLimits } from './deployment.ts';

/** A live pod (not terminating) as the planner sees it. */
export interface PodView {
  name: string;
  /** Revision of the template it runs. */
  revision: number;
  /** Passed its readiness probe and is in discovery. */
  ready: boolean;
  /** Creation order within the deployment. */
  seq: number;
}

/** One step: stop these pods, then create this many of the target revision. */
export interface RolloutPlan {
  create: number;
  remove: string[];
}

/**
 * A rolling-update step, after Kubernetes' deployment controller. Old pods go only while the ready
 * count stays at or above `replicas - maxUnavailable` (unready old pods go first: they cost no
 * availability); new pods come while the total stays at or below `replicas + maxSurge`.
 * With no old pods it is plain scaling: create the missing, remove the excess.
 */
export function planRolling(pods: readonly PodView[], replicas: number, limits: RollingLimits, targetRevision: number): RolloutPlan {
  const fresh = pods.filter((pod) => pod.revision === targetRevision);
  const old = pods.filter((pod) => pod.revision !== targetRevision);
  const remove: string[] = [];
  if (old.length === 0) return scale(fresh, replicas);
  if (fresh.length > replicas) remove.push(...scaleDownOrder(fresh).slice(0, fresh.length - replicas).map((pod) => pod.name));
  const minAvailable = Math.max(0, replicas - limits.maxUnavailable);
  const readyCount = pods.filter((pod) => pod.ready && !remove.includes(pod.name)).length;
  const freshUnready = fresh.filter((pod) => !pod.ready && !remove.includes(pod.name)).length;
  // New pods still starting may yet fail: their slots are not counted as room to remove old ones.
  let budget = pods.length - remove.length - minAvailable - freshUnready;
  let readyRemovable = readyCount - minAvailable;
  for (const pod of scaleDownOrder(old)) {
    if (budget <= 0) break;
    if (pod.ready) {
      if (readyRemovable <= 0) continue;
      readyRemovable--;
    }
    remove.push(pod.name);
    budget--;
  }
  const remaining = pods.length - remove.length;
  const freshKept = fresh.length - fresh.filter((pod) => remove.includes(pod.name)).length;
  const create = Math.max(0, Math.min(replicas + limits.maxSurge - remaining, replicas - freshKept));
  return { create, remove };
}

/**
 * A recreate step: every old pod goes at once; new pods come only when no old pod is left, not
 * even one still terminating (`terminatingOld`), so two versions never run side by side.
 */
export function planRecreate(pods: readonly PodView[], terminatingOld: number, replicas: number, targetRevision: number): RolloutPlan {
  const fresh = pods.filter((pod) => pod.revision === targetRevision);
  const old = pods.filter((pod) => pod.revision !== targetRevision);
  if (old.length > 0 || terminatingOld > 0) return { create: 0, remove: old.map((pod) => pod.name) };
  return scale(fresh, replicas);
}

/** True when every pod runs the target revision, there are `replicas` of them, and all are ready. */
export function rolloutComplete(pods: readonly PodView[], replicas: number, targetRevision: number): boolean {
  return pods.length === replicas && pods.every((pod) => pod.revision === targetRevision && pod.ready);
}

/** The order pods are removed in: unready first, then older revisions, then the newest pod. */
export function scaleDownOrder(pods: readonly PodView[]): PodView[] {
  return [...pods].sort((a, b) => Number(a.ready) - Number(b.ready) || a.revision - b.revision || b.seq - a.seq);
}

function scale(fresh: readonly PodView[], replicas: number): RolloutPlan {
  if (fresh.length > replicas) return { create: 0, remove: scaleDownOrder(fresh).slice(0, fresh.length - replicas).map((pod) => pod.name) };
  return { create: replicas - fresh.length, remove: [] };
}
