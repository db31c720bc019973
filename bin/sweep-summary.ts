// The result of a seed sweep as data (what `sim sweep --json` prints, what shards write and `sim merge`
// reads): small per-seed entries, plus the totals, coverage and failing checks computed from them.
import type { Failure } from '../sim/harness/checks.ts';
import type { ScenarioResult } from '../sim/harness/result.ts';
import { headlineFigures } from '../reports/figures.ts';
import { spread, type Spread } from '../reports/statistics.ts';

/** One variant of one seed, kept small: no series, no timeline. */
export interface SweepVariantEntry {
  name: string;
  ok: boolean;
  traceHash: string;
  failures: Failure[];
  /** The concrete fault schedule, one line per fault. */
  faults: string[];
  /** Swarm options the seed drew. */
  options: Record<string, number>;
  /** Headline figures of the run (`availability`, `latencyMs.p99`, `consistency.<name>`…); absent in files from older versions. */
  figures?: Record<string, number>;
}

/** One seed of a sweep. */
export interface SweepSeedEntry {
  seed: number;
  ok: boolean;
  traceHash: string;
  variants: SweepVariantEntry[];
  /** The `sometimes` checks reached by any variant on this seed. */
  coverage: string[];
}

/** A sweep (or one shard of it, or several merged). */
export interface SweepResult {
  scenario: string;
  /** The scenario file as the user gave it, for replay lines. */
  file: string;
  /** True when each seed drew its own option values. */
  swarm: boolean;
  /** Set when the sweep ran one variant only. */
  variant?: string;
  seeds: { first: number; last: number };
  /** Set for one shard of a sweep (1-based index). */
  shard?: { index: number; count: number };
  /** Set when the sweep was interrupted before every seed ran. */
  interrupted?: boolean;
  passed: number;
  failed: number;
  /** Ordered by seed. */
  results: SweepSeedEntry[];
  /** For each `sometimes` check, the number of seeds that reached it. */
  coverage: Record<string, number>;
  /** For each failing check, the number of seeds where it failed. */
  failingChecks: Record<string, number>;
  /**
   * Per variant, each headline figure across the seeds (min, p50, p90, max, mean), so "availability
   * across 1,000 seeds" needs no second run. Recomputed from the entries, so merged shards agree.
   */
  figures: Record<string, Record<string, Spread>>;
}

/** What identifies a sweep apart from its seeds and results. */
export interface SweepIdentity {
  scenario: string;
  file: string;
  swarm: boolean;
  variant?: string;
  seeds: { first: number; last: number };
  shard?: { index: number; count: number };
}

/** The small per-seed entry of a scenario result. */
export function seedEntry(result: ScenarioResult): SweepSeedEntry {
  const reached: string[] = [];
  for (const variant of result.variants) {
    for (const [name, hit] of Object.entries(variant.coverage)) if (hit && !reached.includes(name)) reached.push(name);
  }
  return {
    seed: result.seed,
    ok: result.ok,
    traceHash: result.traceHash,
    variants: result.variants.map((variant) => ({
      name: variant.name,
      ok: variant.ok,
      traceHash: variant.traceHash,
      failures: variant.failures,
      faults: variant.faults,
      options: variant.options,
      figures: headlineFigures(variant),
    })),
    coverage: reached,
  };
}

/**
 * Assembles a sweep result from seed entries (any order, later duplicates of a seed ignored).
 * `coverageNames` lists every `sometimes` check, so checks reached by no seed show as 0.
 */
export function summarize(identity: SweepIdentity, entries: Iterable<SweepSeedEntry>, coverageNames: readonly string[], interrupted = false): SweepResult {
  const bySeed = new Map<number, SweepSeedEntry>();
  for (const entry of entries) if (!bySeed.has(entry.seed)) bySeed.set(entry.seed, entry);
  const results = [...bySeed.values()].sort((a, b) => a.seed - b.seed);
  const coverage: Record<string, number> = {};
  for (const name of coverageNames) coverage[name] = 0;
  const failingChecks: Record<string, number> = {};
  for (const entry of results) {
    for (const name of entry.coverage) coverage[name] = (coverage[name] ?? 0) + 1;
    const failedHere = new Set<string>();
    for (const variant of entry.variants) for (const failure of variant.failures) failedHere.add(failure.check);
    for (const check of failedHere) failingChecks[check] = (failingChecks[check] ?? 0) + 1;
  }
  const passed = results.filter((entry) => entry.ok).length;
  return {
    scenario: identity.scenario,
    file: identity.file,
    swarm: identity.swarm,
    ...(identity.variant !== undefined ? { variant: identity.variant } : {}),
    seeds: identity.seeds,
    ...(identity.shard ? { shard: identity.shard } : {}),
    ...(interrupted ? { interrupted: true } : {}),
    passed,
    failed: results.length - passed,
    results,
    coverage,
    failingChecks,
    figures: figureSpreads(results),
  };
}

/** Per variant (in first-seen order), each figure's spread over the seeds that report it. */
export function figureSpreads(entries: readonly SweepSeedEntry[]): Record<string, Record<string, Spread>> {
  const values = new Map<string, Map<string, number[]>>();
  for (const entry of entries) {
    for (const variant of entry.variants) {
      let byFigure = values.get(variant.name);
      if (!byFigure) values.set(variant.name, (byFigure = new Map()));
      for (const [key, value] of Object.entries(variant.figures ?? {})) {
        const list = byFigure.get(key);
        if (list) list.push(value);
        else byFigure.set(key, [value]);
      }
    }
  }
  const out: Record<string, Record<string, Spread>> = {};
  for (const [variant, byFigure] of values) {
    const spreads: Record<string, Spread> = {};
    for (const [key, list] of byFigure) Object.defineProperty(spreads, key, { value: spread(list)!, enumerable: true, writable: true, configurable: true });
    Object.defineProperty(out, variant, { value: spreads, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Every (seed, variant) that failed, in seed order. */
export function failingRuns(result: SweepResult): { seed: number; variant: SweepVariantEntry }[] {
  const runs: { seed: number; variant: SweepVariantEntry }[] = [];
  for (const entry of result.results) for (const variant of entry.variants) if (!variant.ok) runs.push({ seed: entry.seed, variant });
  return runs;
}
