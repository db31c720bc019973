// A model's checks: availability and latency percentiles of the workload's requests, measured from
// outside as the spans of the entry nodes' top-level requests (the client sits next to the entry
// node, so a root span's duration is the client's latency), and judged once the run has settled.
import { eventually, LatencyHistogram, type World, type TraceEvent, type SystemHandle, type Check } from '../sim/index.ts';
import type { CheckModel } from './schema.ts';

/** The system a model builds, as checks and metrics see it. */
export interface ModelSystem extends SystemHandle {
  meter: ModelMeter;
}

/** Counts the workload's requests at the entry nodes; listens only when the model has checks. */
export class ModelMeter {
  ok = 0;
  failed = 0;
  readonly latency = new LatencyHistogram();

  constructor(world: World, entries: ReadonlySet<string>, clientTimeoutMs: number, listen: boolean) {
    if (!listen) return;
    world.sim.trace.addFilteredSink(['span'], (event: TraceEvent) => {
      const span = event.span;
      if (span === undefined || span.parentSpanId !== undefined || !entries.has(span.service)) return;
      const latencyMs = span.endMs - span.startMs;
      // An answer after the client's timeout is a failure to the client, whatever it says.
      if (span.status === 'ok' && latencyMs <= clientTimeoutMs) this.ok++;
      else this.failed++;
      this.latency.record(latencyMs);
    });
  }

  /** Share of answered requests that succeeded in time (1 before any answer). */
  get availability(): number {
    const total = this.ok + this.failed;
    return total === 0 ? 1 : this.ok / total;
  }
}

/** The checks a model declares, judged after the run settles (whole-run figures). */
export function modelChecks(specs: readonly CheckModel[]): Check<ModelSystem>[] {
  return specs.map((spec) => {
    if (spec.availability) {
      const min = spec.availability.min;
      return eventually<ModelSystem>(spec.name ?? `availability >= ${min}`, ({ system }) => {
        const availability = system.meter.availability;
        return availability >= min || `availability ${availability.toFixed(4)} < ${min} (${system.meter.failed} of ${system.meter.ok + system.meter.failed} requests failed)`;
      });
    }
    const { percentile, maxMs } = spec.latency!;
    return eventually<ModelSystem>(spec.name ?? `${percentile} <= ${maxMs} ms`, ({ system }) => {
      const value = system.meter.latency.summary()[percentile];
      return value <= maxMs || `${percentile} latency ${value.toFixed(1)} ms > ${maxMs} ms`;
    });
  });
}
