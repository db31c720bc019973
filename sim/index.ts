// The engine's public API, for scenario files and services: one import for everything they use.
export { Simulation, type RunLimits, type RunStop, type StopReason } from './engine/simulation.ts';
export { World, CLIENT, type WorldOptions, type IngressOptions } from './world/world.ts';
export { SimNode, Request, type Handler, type HandlerSpec, type ServiceDefinition, type NodeFactory, type NodeOptions } from './world/node.ts';
export { NodeContext } from './world/context.ts';
export { Network, type LinkOptions } from './world/network.ts';
export { Rng, validateDistribution, describeDistribution, distributionMean, type Distribution } from './engine/rng.ts';
export { Trace, describeEvent, type TraceEvent, type TraceSink, type Span } from './engine/trace.ts';
export { RpcError, ServiceError, SimulatedError, ConfigError, NondeterminismError, EngineInvariantError, isRpcError, isDeliberateError, isTransientRpcError, errorMessage, registerErrorCode, type RpcErrorCode, type RpcErrorCodes } from './engine/errors.ts';
export { always, eventually, sometimes, type Check, type Failure, type FailureKind, type CheckVerdict, type CheckViolation, type HistoryWitness, type WitnessOperation } from './harness/checks.ts';
export { slo, type SloSpec, type SloPhase } from './harness/slo.ts';
export type { NodeFigures, NodeLoadPoint } from './harness/node-figures.ts';
export {
  crash, crashLoop, restart, pause, resume, slow, skew, partition, isolate, heal, hold, release, degradeLink,
  describeFault, describeScheduledFault, applyFault, type Fault, type ScheduledFault, type FaultRegime, type FaultRegimeEntry,
} from './harness/faults.ts';
export {
  callLatency, callError, callBlackhole, callBandwidth, slowFirstByte, onMethod, onLink, type CallFault, type CallTarget,
} from './harness/call-faults.ts';
export { withSizeBytes, estimateSizeBytes } from './world/payload-size.ts';
export type { LinkOrdering } from './world/network.ts';
export { scenario, isScenario, type Scenario, type ScenarioDefinition, type VariantDefinition, type SystemHandle, type BuildEnv } from './harness/scenario.ts';
export type { WorkloadSpec, RequestSpec, RequestGenerator, OpenWorkload, ClosedWorkload } from './harness/workload.ts';
export { registerTimelineKinds, timelineKinds } from './harness/timeline.ts';
export { registerFailureEvents, failureEvents } from './harness/failure-events.ts';
export { LatencyHistogram, TimeSeries, EndpointStats } from './harness/metrics.ts';
export type { ScenarioResult, VariantResult, VariantMetrics } from './harness/result.ts';
export { runScenario, describeFailures, type RunScenarioOptions } from './harness/run-scenario.ts';
