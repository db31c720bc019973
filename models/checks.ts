// A model's checks: SLOs on the workload's requests as the clients saw them (sim/harness/slo.ts),
// judged once when the run ends; a miss names the figure, the measured value and the target.
import { slo, type SystemHandle, type Check } from '../sim/index.ts';
import type { CheckModel } from './schema.ts';

/** The system a model builds, as checks and metrics see it. */
export type ModelSystem = SystemHandle;

/** The checks a model declares: each `slo:` entry as `slo({ … })`, named by the model when it says so. */
export function modelChecks(specs: readonly CheckModel[]): Check<ModelSystem>[] {
  return specs.map((spec) => slo({ ...spec.slo, ...(spec.name !== undefined ? { name: spec.name } : {}) }));
}
