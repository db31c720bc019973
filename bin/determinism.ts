// `--check-determinism`: runs each variant of a seed twice and names the first trace event that
// differs. Events of the first run are kept as text (bounded), the second run is compared live.
import { runVariant, planFor, assembleResult } from '../sim/harness/runner.ts';
import { describeEvent, type TraceEvent } from '../sim/engine/trace.ts';
import type { Scenario } from '../sim/harness/scenario.ts';
import type { ScenarioResult, VariantResult } from '../sim/harness/result.ts';

/** Most events of the first run kept for comparison; beyond it only the hashes are compared. */
const MAX_RECORDED_EVENTS = 3_000_000;

/** Where two runs of one seed first differ. */
export interface DeterminismDifference {
  variant: string;
  /** Index of the first differing event (0-based), or -1 when only the final hashes differ. */
  eventIndex: number;
  first: string;
  second: string;
}

/** Result of running every variant twice. */
export interface DeterminismReport {
  result: ScenarioResult;
  difference: DeterminismDifference | undefined;
}

/** Runs the scenario's variants twice each on `seed` (swarm options drawn when `swarm`) and compares their traces event by event. */
export async function checkDeterminism(definition: Scenario, seed: number, variantNames: string[], swarm = false): Promise<DeterminismReport> {
  const results: VariantResult[] = [];
  let difference: DeterminismDifference | undefined;
  for (const name of variantNames) {
    const recorded: string[] = [];
    const first = await runVariant(definition, planFor(definition, seed, name, swarm), {
      sinks: [(event: TraceEvent) => { if (recorded.length < MAX_RECORDED_EVENTS) recorded.push(describeEvent(event)); }],
    });
    let index = 0;
    let found: DeterminismDifference | undefined;
    const second = await runVariant(definition, planFor(definition, seed, name, swarm), {
      sinks: [
        (event: TraceEvent) => {
          if (found === undefined && index < recorded.length) {
            const text = describeEvent(event);
            if (text !== recorded[index]) found = { variant: name, eventIndex: index, first: recorded[index]!, second: text };
          }
          index++;
        },
      ],
    });
    if (found === undefined && index < recorded.length) {
      found = { variant: name, eventIndex: index, first: recorded[index]!, second: '(the second run ended here)' };
    }
    if (found === undefined && first.traceHash !== second.traceHash) {
      found = { variant: name, eventIndex: -1, first: `traceHash ${first.traceHash}`, second: `traceHash ${second.traceHash}` };
    }
    difference ??= found;
    results.push(first);
  }
  return { result: assembleResult(definition, seed, results), difference };
}
