// Tests for sim/harness/scenario.ts: validation of scenario definitions (one ConfigError line naming the
// problem) and the defaults a validated scenario carries.
import { describe, expect, it } from 'vitest';
import { isScenario, scenario, worldOptions, type ScenarioDefinition } from './scenario.ts';
import { ConfigError } from '../engine/errors.ts';
import { always } from './checks.ts';

const build = () => ({ entry: 'svc' });

function definition(change: Partial<ScenarioDefinition> = {}): ScenarioDefinition {
  return {
    name: 'shop',
    description: 'a shop',
    durationMs: 1000,
    workload: { kind: 'open', ratePerSec: 10, request: () => ({ endpoint: 'x', method: 'get' }) },
    variants: [{ name: 'monolith', build }],
    ...change,
  };
}

describe('scenario defaults', () => {
  it('fills documented defaults and marks the value as a scenario', () => {
    const validated = scenario(definition());
    expect(validated).toMatchObject({
      kind: 'dsim.scenario',
      name: 'shop',
      quiesceMs: 10_000,
      maxEvents: 20_000_000,
      checkIntervalMs: 250,
      bucketMs: 1000,
      faults: [],
      checks: [],
      options: {},
    });
    expect(isScenario(validated)).toBe(true);
    expect(isScenario(definition())).toBe(false);
    expect(isScenario(null)).toBe(false);
  });

  it('keeps values that are given, including a quiesce of 0', () => {
    expect(scenario(definition({ quiesceMs: 0, maxEvents: 10, checkIntervalMs: 5, bucketMs: 50 }))).toMatchObject({ quiesceMs: 0, maxEvents: 10, checkIntervalMs: 5, bucketMs: 50 });
  });

  it('worldOptions passes only the network and node defaults that are set', () => {
    expect(worldOptions(scenario(definition()))).toEqual({});
    const network = { latencyMs: { kind: 'constant', value: 2 } } as const;
    expect(worldOptions(scenario(definition({ network, nodeDefaults: { workers: 2 } })))).toEqual({ network, nodeDefaults: { workers: 2 } });
  });
});

describe('scenario validation', () => {
  it.each<[string, Partial<ScenarioDefinition>, string | RegExp]>([
    ['no name', { name: ' ' }, 'scenario name is missing: give it a non-empty name'],
    ['a zero duration', { durationMs: 0 }, "scenario 'shop': durationMs is 0; use a finite number of ms > 0"],
    ['an infinite duration', { durationMs: Infinity }, /durationMs is Infinity/],
    ['no variants', { variants: [] }, "scenario 'shop' has no variants: declare at least one { name, build }"],
    ['a variant without build', { variants: [{ name: 'v' } as never] }, /each variant needs a name and a build\(world, env\) function/],
    ['two variants with one name', { variants: [{ name: 'v', build }, { name: 'v', build }] }, "scenario 'shop': variant name 'v' is used twice; names must be unique"],
    ['no workload', { workload: undefined as never }, "scenario 'shop' has no workload: declare an open or closed workload"],
    ['a bad workload', { workload: { kind: 'open', ratePerSec: -1, request: () => ({ endpoint: 'x', method: 'get' }) } }, /workload ratePerSec is -1/],
    ['a bad network', { network: { lossProbability: 3 } }, "scenario 'shop' network lossProbability is 3: a probability must be between 0 and 1"],
    ['a bad fault regime', { faultRegime: { entries: [{ kind: 'crash', targets: [], probabilityPerSec: 0.1, minStableMs: 0, durationMs: { kind: 'constant', value: 1 } }] } }, /targets is empty/],
    ['two checks with one name', { checks: [always('c', () => true), always('c', () => true)] }, "scenario 'shop': check name 'c' is used twice; names must be unique"],
    ['an option with min > max', { options: { replicas: { min: 3, max: 1 } } }, "scenario 'shop': option 'replicas' needs finite min <= max"],
    ['a negative quiesce', { quiesceMs: -1 }, "scenario 'shop': quiesceMs is -1; use a finite number >= 0"],
    ['a zero event budget', { maxEvents: 0 }, "scenario 'shop': maxEvents is 0; use a finite number > 0"],
    ['a zero check interval', { checkIntervalMs: 0 }, /checkIntervalMs is 0/],
    ['a zero bucket', { bucketMs: 0 }, /bucketMs is 0/],
    ['a figure direction that is no direction', { figures: { orders: 'up' as never } }, "scenario 'shop': figures.orders is 'up'; use 'higher', 'lower' or 'neither'"],
  ])('refuses %s with a one-line ConfigError', (_why, change, message) => {
    let thrown: unknown;
    try {
      scenario(definition(change));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const text = (thrown as Error).message;
    expect(text).not.toContain('\n');
    if (typeof message === 'string') expect(text).toBe(message);
    else expect(text).toMatch(message);
  });

  it('refuses something that is not an object', () => {
    expect(() => scenario(undefined as never)).toThrow(ConfigError);
  });
});
