// The engine's public API, for scenario files and services: one import for everything they use.
export { Simulation, type RunLimits, type RunStop, type StopReason } from './engine/simulation.ts';
export { World, CLIENT, type WorldOptions, type IngressOptions } from './world/world.ts';
export { SimNode, Request, type Handler, type HandlerSpec, type ServiceDefinition, type NodeFactory, type NodeOptions } from './world/node.ts';
export { NodeContext } from './world/context.ts';
export { Network, type LinkOptions } from './world/network.ts';
export { Rng, validateDistribution, describeDistribution, distributionMean, type Distribution } from './engine/rng.ts';
export { Trace, describeEvent, type TraceEvent, type TraceSink, type Span } from './engine/trace.ts';
export { RpcError, SimulatedError, ConfigError, NondeterminismError, isRpcError, isTransientRpcError, errorMessage, type RpcErrorCode } from './engine/errors.ts';
export { always, eventually, sometimes, type Check, type Failure, type FailureKind } from './harness/checks.ts';
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
export { LatencyHistogram, TimeSeries, EndpointStats } from './harness/metrics.ts';
export type { ScenarioResult, VariantResult, VariantMetrics } from './harness/result.ts';
