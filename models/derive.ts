// Turns an inference from traces into a model file (plain data, written as YAML) and a summary
// of what was inferred and from how many samples.
import type { Inference, InferredCall } from './from-traces.ts';
import { modelDistribution } from './from-traces.ts';
import type { StepInput } from './schema.ts';

/** Below this many samples a figure is marked as a rough estimate. */
const FEW_SAMPLES = 30;
/** Error shares below this are noise, not part of the model. */
const MIN_ERROR_RATE = 1e-3;

const round = (value: number, digits = 4): number => Number(value.toPrecision(digits));

/** A fractional repeat below this is dropped (a rare extra call). */
const MIN_EXTRA_SHARE = 0.02;

function stepOf(target: string, probability: number): StepInput {
  return probability >= 1 ? { call: target } : { call: target, probability: round(probability) };
}

/**
 * The steps of one call: `repeat` 2.3 with probability p is two steps with probability p and a
 * third with probability 0.3·p, so the mean number of calls matches what was seen.
 */
function stepsOf(call: InferredCall): StepInput[] {
  const whole = Math.floor(call.repeat + 1e-9);
  const steps = Array.from({ length: whole }, () => stepOf(call.target, call.probability));
  const extra = (call.repeat - whole) * call.probability;
  if (extra >= MIN_EXTRA_SHARE) steps.push(stepOf(call.target, extra));
  return steps;
}

/** A node's default call timeout: a derived call that took longer needs its own. */
const DEFAULT_CALL_TIMEOUT_MS = 1000;

/**
 * Timeouts for the calls of `service` that took longer than the default timeout in the traces (twice
 * the longest, in whole 100 ms): the traced system waited for them, so the model must too.
 */
function callTimeouts(inference: Inference, service: string): Record<string, { timeoutMs: number }> {
  const longest = new Map<string, number>();
  for (const operation of inference.operations.values()) {
    if (operation.service !== service) continue;
    for (const call of operation.groups.flat()) {
      const target = call.target.slice(0, call.target.indexOf('.'));
      longest.set(target, Math.max(longest.get(target) ?? 0, call.maxMs));
    }
  }
  const timeouts: Record<string, { timeoutMs: number }> = {};
  for (const [target, maxMs] of longest) {
    if (2 * maxMs > DEFAULT_CALL_TIMEOUT_MS) timeouts[target] = { timeoutMs: Math.ceil((2 * maxMs) / 100) * 100 };
  }
  return timeouts;
}

/** The model an inference describes. Network time is inside each operation's self time, so the model's network is instant. */
export function deriveModel(inference: Inference, name: string, source: string): Record<string, unknown> {
  const services: Record<string, unknown> = {};
  for (const [service, seen] of inference.services) {
    const operations: Record<string, unknown> = {};
    for (const operation of inference.operations.values()) {
      if (operation.service !== service) continue;
      const steps: StepInput[] = [];
      for (const group of operation.groups) {
        const expanded = group.flatMap(stepsOf);
        if (group.length === 1) steps.push(...expanded);
        else steps.push({ parallel: expanded });
      }
      // Publishes go last: a producer span's place among the calls is not kept.
      for (const publish of inference.messaging.publishes.get(`${service}.${operation.name}`) ?? []) {
        steps.push(publish.probability >= 1 ? { publish: publish.topic } : { publish: publish.topic, probability: round(publish.probability) });
      }
      const errorRate = operation.errors / operation.selfTime.samples;
      operations[operation.name] = {
        cpuMs: modelDistribution(operation.selfTime.distribution),
        ...(errorRate >= MIN_ERROR_RATE ? { errorRate: round(errorRate) } : {}),
        ...(steps.length > 0 ? { steps } : {}),
      };
    }
    if (Object.keys(operations).length === 0) continue;
    const calls = callTimeouts(inference, service);
    const subscribes = inference.messaging.subscriptions.get(service);
    services[service] = {
      ...(seen.instances.length > 1 ? { replicas: seen.instances.length } : {}),
      // Capacity cannot be seen in traces: room for twice the most requests one instance held at once.
      workers: Math.max(8, 2 * seen.maxConcurrent),
      queueCapacity: 256,
      ...(Object.keys(calls).length > 0 ? { calls } : {}),
      ...(subscribes ? { subscribes: Object.fromEntries(subscribes) } : {}),
      operations,
    };
  }
  const durationMs = Math.max(1000, Math.ceil(inference.lastArrivalMs / 1000) * 1000);
  return {
    name,
    description: `derived by sim model from-traces from ${source}: ${inference.spans} spans in ${inference.traces} traces`,
    durationMs,
    quiesceMs: 5000,
    network: { latencyMs: 0 },
    services,
    workload: {
      kind: 'open',
      ...(inference.rateProfile ? { rateProfile: inference.rateProfile } : { ratePerSec: round(inference.ratePerSec) }),
      timeoutMs: Math.max(1000, Math.ceil((2 * inference.maxRootMs) / 100) * 100),
      mix: [...inference.entries].sort((a, b) => b[1] - a[1]).map(([call, count]) => ({ call, weight: count })),
    },
  };
}

/** What was inferred, one line per figure, with sample counts (`~` marks fewer than 30 samples). */
export function describeInference(inference: Inference): string[] {
  const mark = (samples: number): string => (samples < FEW_SAMPLES ? ' ~rough' : '');
  const lines = [
    `read ${inference.spans} spans in ${inference.traces} traces over ${(inference.windowMs / 1000).toFixed(1)} s`,
    `arrivals: ${round(inference.ratePerSec, 3)} req/s from ${[...inference.entries.values()].reduce((a, b) => a + b, 0)} top-level requests (${[...inference.entries].map(([call, count]) => `${call} ×${count}`).join(', ')})`,
    ...(inference.rateProfile ? [`arrivals vary: ${inference.rateProfile.map((point) => `${point.ratePerSec} req/s from ${point.atMs / 1000} s`).join(', ')}`] : []),
    `network: folded into each operation's self time (the model's network is instant); capacity: not visible in traces (workers = 2× the most requests an instance held at once)`,
  ];
  for (const [service, seen] of inference.services) {
    lines.push(`service ${service}: ${seen.instances.length} instance(s) (${seen.instances.join(', ')}), at most ${seen.maxConcurrent} requests at once on one`);
    for (const [topic, operation] of inference.messaging.subscriptions.get(service) ?? []) lines.push(`  consumes ${topic}: runs ${operation}`);
    for (const operation of inference.operations.values()) {
      if (operation.service !== service) continue;
      const fit = operation.selfTime;
      const distribution = fit.distribution;
      const shape = distribution.kind === 'lognormal' ? `lognormal(median ${distribution.median}, sigma ${distribution.sigma})` : distribution.kind === 'constant' ? `constant ${distribution.value}` : distribution.kind;
      lines.push(`  ${operation.name}: self time ${shape} ms from ${fit.samples} spans${mark(fit.samples)} (observed p50 ${fit.medianMs}, p99 ${fit.p99Ms}); own errors ${operation.errors}/${fit.samples}`);
      for (const group of operation.groups) {
        const calls = group.map((call) => `${call.target} p=${round(call.probability, 3)} (${call.seen}/${call.of})${call.repeat > 1 ? ` ×${round(call.repeat, 3)} per span` : ''}${mark(call.seen)}`);
        lines.push(`    ${group.length > 1 ? `parallel: ${calls.join(' | ')}` : `call ${calls[0]}`}`);
      }
      for (const publish of inference.messaging.publishes.get(`${service}.${operation.name}`) ?? []) {
        lines.push(`    publish ${publish.topic} p=${round(publish.probability, 3)} (${publish.seen}/${publish.of})${mark(publish.seen)}`);
      }
    }
  }
  return lines;
}
