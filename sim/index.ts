// The engine's public API, for scenario files and services: one import for everything they use.
export { Simulation, type RunLimits, type RunStop, type StopReason } from './simulation.ts';
export { World, CLIENT, type WorldOptions, type IngressOptions } from './world.ts';
export { SimNode, Request, type Handler, type HandlerSpec, type ServiceDefinition, type NodeFactory, type NodeOptions } from './node.ts';
export { NodeContext } from './context.ts';
export { Network, type LinkOptions } from './network.ts';
export { Rng, validateDistribution, describeDistribution, distributionMean, type Distribution } from './rng.ts';
export { Trace, describeEvent, type TraceEvent, type TraceSink, type Span } from './trace.ts';
export { RpcError, SimulatedError, ConfigError, NondeterminismError, isRpcError, isTransientRpcError, errorMessage, type RpcErrorCode } from './errors.ts';
export { always, eventually, sometimes, type Check, type Failure, type FailureKind } from './checks.ts';
export {
  crash, crashLoop, restart, pause, resume, slow, skew, partition, isolate, heal, hold, release, degradeLink,
  describeFault, describeScheduledFault, applyFault, type Fault, type ScheduledFault, type FaultRegime, type FaultRegimeEntry,
} from './faults.ts';
export { scenario, isScenario, type Scenario, type ScenarioDefinition, type VariantDefinition, type SystemHandle, type BuildEnv } from './scenario.ts';
export type { WorkloadSpec, RequestSpec, RequestGenerator, OpenWorkload, ClosedWorkload } from './workload.ts';
export { LatencyHistogram, TimeSeries, EndpointStats } from './metrics.ts';
export type { ScenarioResult, VariantResult, VariantMetrics } from './result.ts';
export { runScenario, describeFailures, type RunScenarioOptions } from './harness/run-scenario.ts';
