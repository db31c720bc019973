// Test kit for scenario tests: runs a scenario once on a seed and looks its variants and figures
// up by name, so a scenario's test states only what the scenario shows (imported by tests only).
import { beforeAll, expect, it } from 'vitest';
import { runScenario, type ScenarioRunOptions } from '../../sim/harness/runner.ts';
import type { Scenario } from '../../sim/harness/scenario.ts';
import type { ScenarioResult, VariantResult } from '../../sim/harness/result.ts';
import type { CheckContext } from '../../sim/harness/checks.ts';
import { World } from '../../sim/world/world.ts';
import { WorkloadMetrics } from '../../sim/harness/workload.ts';

/** One scenario run, with lookups by variant name. */
export class ScenarioRun {
  constructor(readonly result: ScenarioResult) {}

  /** The variant named `name`; throws when there is none, so a renamed variant fails loudly. */
  variant(name: string): VariantResult {
    const found = this.result.variants.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no variant ${name}: the run has ${this.result.variants.map((variant) => variant.name).join(', ')}`);
    return found;
  }

  /** The system figures (`metrics.consistency`) of a variant. */
  figures(name: string): Record<string, number> {
    return this.variant(name).metrics.consistency;
  }

  /** One system figure of a variant; throws when the variant did not report it. */
  figure(name: string, key: string): number {
    const value = this.figures(name)[key];
    if (value === undefined) throw new Error(`variant ${name} reports no figure ${key}`);
    return value;
  }

  /** True when every variant got the same workload requests (same seed, same workload). */
  sameTraffic(): boolean {
    return new Set(this.result.variants.map((variant) => variant.metrics.requests.total)).size === 1;
  }

  /** One line per variant: its name and its failures' messages, or `ok`. */
  failureLines(): string[] {
    return this.result.variants.map((variant) => `${variant.name}: ${variant.failures.map((failure) => failure.message).join('; ') || 'ok'}`);
  }
}

/** Runs every variant of `definition` on `seed`. */
export async function runOn(definition: Scenario, seed: number, options: ScenarioRunOptions = {}): Promise<ScenarioRun> {
  return new ScenarioRun(await runScenario(definition, seed, options));
}

/** Runs the scenario once before the file's tests (one run shared by all); the tests read it by calling the result. */
export function sharedRun(definition: Scenario, seed: number): () => ScenarioRun {
  let run: ScenarioRun | undefined;
  beforeAll(async () => {
    run = await runOn(definition, seed);
  });
  return () => {
    if (!run) throw new Error('the shared run has not finished: read it inside a test');
    return run;
  };
}

/** A test that the run has exactly these variants, every check held in each, and all got the same traffic. */
export function itHoldsEveryCheck(run: () => ScenarioRun, variants: readonly string[]): void {
  it(`runs ${variants.join(', ')} on one seed and one workload, and every check holds`, () => {
    expect(run().failureLines()).toEqual(variants.map((name) => `${name}: ok`));
    expect(run().sameTraffic()).toBe(true);
  });
}

/** A run as a check sees it, around `system`, at `nowMs`: for unit tests of checks. */
export function checkRunOf<S>(system: S, nowMs = 0): CheckContext<S> {
  return { system, world: new World(1), nowMs, metrics: new WorkloadMetrics(1000) };
}
