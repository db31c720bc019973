// Every scenario `sim list scenarios` finds replays exactly: each variant run twice on a seed gives
// the same trace hash, and another seed gives another trace. One test for all of them, so a new
// scenario file is covered the day it is added. On a mismatch the message names the first event
// that differs (`sim run --check-determinism` does the same for users).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { scenarioFiles } from '../bin/commands/list.ts';
import { loadScenario } from '../bin/load-scenario.ts';
import { checkDeterminism } from '../bin/determinism.ts';
import { runScenario } from '../sim/harness/runner.ts';
import type { Scenario } from '../sim/harness/scenario.ts';

/** Few seeds: each scenario runs twice per seed (0.2–2 s a run), and the suite has a time budget. */
const SEEDS = [1, 2];
const DIR = import.meta.dirname;

describe('every scenario is deterministic', () => {
  const files = scenarioFiles(DIR);

  it('finds the scenario files', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    expect(files).toContain('flaky-network.ts');
  });

  for (const file of files) {
    it(`${file}: the same seed twice gives the same trace; seeds ${SEEDS.join(', ')} give different ones`, async () => {
      const definition = await loadScenario(join(DIR, file));
      const hashes: string[] = [];
      for (const seed of SEEDS) {
        // Scenarios with swarm options draw them from the seed too: that must replay as well.
        const swarm = Object.keys(definition.options).length > 0;
        const first = await runScenario(definition, seed, { swarm });
        const second = await runScenario(definition, seed, { swarm });
        if (second.traceHash !== first.traceHash) expect.fail(await whereRunsDiffer(definition, seed, swarm));
        hashes.push(first.traceHash);
      }
      expect(new Set(hashes).size).toBe(SEEDS.length);
    }, 120_000);
  }
});

/** The first trace event where two runs of `seed` differ, for the failure message (slow: keeps events). */
async function whereRunsDiffer(definition: Scenario, seed: number, swarm: boolean): Promise<string> {
  const report = await checkDeterminism(definition, seed, definition.variants.map((variant) => variant.name), swarm);
  const difference = report.difference;
  if (!difference) return `${definition.name} seed ${seed}: the trace hashes differed once and agreed on a third run`;
  return `${definition.name} seed ${seed}, variant ${difference.variant}, event ${difference.eventIndex}: ${difference.first} vs ${difference.second}`;
}
