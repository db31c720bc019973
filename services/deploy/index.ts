// The deployment layer's public API: a control plane with Deployments, Service objects,
// self-healing, autoscaling and rollouts, plus the crash-loop fault.
export { ControlPlane, type ControlPlaneOptions, type DeployOptions } from './controller.ts';
export type { DeploymentController, DeploymentStatus, RolloutRecord } from './deployment-controller.ts';
export {
  resolveDeployment, resolveTemplate, rollingLimits, instanceUnits,
  type DeploymentSpec, type PodTemplate, type ResourceRequests, type RolloutStrategy, type RollingLimits,
} from './deployment.ts';
export { restartDelayMs, resolveBackoff, type BackoffOptions, type ResolvedBackoff } from './backoff.ts';
export { READY_METHOD, LIVENESS_METHOD, type ProbeOptions } from './probes.ts';
export { resolveHpa, type HpaOptions, type HpaMetric } from './hpa.ts';
export { resolveAnalysis, type AnalysisOptions } from './analysis.ts';
export { planRolling, planRecreate, rolloutComplete, type PodView, type RolloutPlan } from './rollout.ts';
export type { PodStatus, PodPhase } from './pod-record.ts';
export { crashLoop, describeDeployFault, applyDeployFault, scheduleDeployFaults, type DeployFault, type ScheduledDeployFault } from './crashloop.ts';
export { GatewayOutcomeLog } from './outcome-log.ts';
export * from './trace-kinds.ts';
