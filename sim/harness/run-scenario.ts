// The scenario runner as a library call, for users' own tests: `runScenario(scenario, { seed })`
// runs every variant (or one) on one seed and returns the same result `sim run --json` prints.
import { runScenario as runOnSeed } from './runner.ts';
import { ConfigError } from '../engine/errors.ts';
import type { Scenario, SystemHandle } from './scenario.ts';
import type { ScenarioResult } from './result.ts';

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** The seed: a whole number >= 0. The same seed gives the same run, trace hash included. */
  seed: number;
  /** Run only this variant (by name); every variant when absent. */
  variant?: string;
  /** Draw the scenario's options from the seed, as `sim sweep --swarm` does. */
  swarm?: boolean;
}

/**
 * Runs `definition` on one seed, as `sim run <file> --seed N` does, and returns its result.
 * A check that fails does not throw: it is in `result.ok` and each variant's `failures`
 * (see {@link describeFailures}). A bad option or scenario throws a `ConfigError`.
 */
export async function runScenario<S extends SystemHandle>(definition: Scenario<S>, options: RunScenarioOptions): Promise<ScenarioResult> {
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new ConfigError(`runScenario: seed must be a whole number >= 0, got ${options.seed}`);
  return await runOnSeed(definition as unknown as Scenario, options.seed, {
    ...(options.variant !== undefined ? { variant: options.variant } : {}),
    ...(options.swarm ? { swarm: true } : {}),
  });
}

/**
 * One line per failed check of a result, naming the seed, the variant, the check and when it
 * failed, with the command that reruns it: `[]` when every check held. Made for assertions:
 * `expect(describeFailures(result, 'scenarios/checkout.ts')).toEqual([])`.
 */
export function describeFailures(result: ScenarioResult, file?: string): string[] {
  return result.variants.flatMap((variant) =>
    variant.failures.map((failure) => {
      const rerun = file === undefined ? '' : ` (rerun: sim run ${shellWord(file)} --seed ${result.seed} --variant ${shellWord(variant.name)})`;
      return `seed ${result.seed}, variant ${variant.name}: ${failure.kind} check '${failure.check}' failed at ${Math.round(failure.atMs)} ms: ${failure.message}${rerun}`;
    }),
  );
}

/** A word a POSIX shell reads back unchanged: bare when safe, else single-quoted. */
function shellWord(text: string): string {
  return /^[\w.,:@%+\/=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
