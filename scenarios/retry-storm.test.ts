// Tests for scenarios/retry-storm.ts: on seed 1 it shows what
// it claims — naive retries amplify dep's load, collapse availability and never recover while the
// traffic lasts; a retry budget and a breaker contain the storm, and the breaker's states show it.
import { describe, expect, it } from 'vitest';
import { itHoldsEveryCheck, sharedRun } from '../test/kit/scenario.ts';
import retryStorm from './retry-storm.ts';

const FAULT_AT_MS = 4_000;
const FAULT_END_MS = 7_000;

const run = sharedRun(retryStorm, 1);

describe('retry-storm scenario', () => {
  itHoldsEveryCheck(run, ['naive-retries', 'retry-budget', 'breaker+budget']);

  it('naive retries multiply the calls to dep during the fault, near the 3 × 4 limit', () => {
    expect(run().figure('naive-retries', 'amplificationInFault')).toBeGreaterThan(10);
    expect(run().figure('naive-retries', 'amplificationInFault')).toBeLessThanOrEqual(12);
    expect(run().figure('naive-retries', 'amplificationInFault')).toBeGreaterThan(5 * run().figure('retry-budget', 'amplificationInFault'));
    expect(run().figure('breaker+budget', 'amplificationInFault')).toBeLessThan(1);
    expect(run().figure('naive-retries', 'depCalls')).toBeGreaterThan(5 * run().figure('retry-budget', 'depCalls'));
    expect(run().figure('naive-retries', 'depCalls')).toBeGreaterThan(10 * run().figure('breaker+budget', 'depCalls'));
  });

  it('the storm fills dep and the api: a full queue at the fault end, work for gone callers, stuck api workers', () => {
    // dep's pool holds 4 running + 400 queued: the storm fills it; the breaker keeps it nearly empty.
    expect(run().figure('naive-retries', 'depBacklogAtFaultEnd')).toBeGreaterThanOrEqual(400);
    expect(run().figure('breaker+budget', 'depBacklogAtFaultEnd')).toBeLessThan(20);
    expect(run().figure('naive-retries', 'depWastedQueries')).toBeGreaterThan(5 * run().figure('retry-budget', 'depWastedQueries'));
    expect(run().figure('naive-retries', 'depWastedQueries')).toBeGreaterThan(20 * run().figure('breaker+budget', 'depWastedQueries'));
    // 96 api workers in all: the storm holds more pages than there are workers.
    expect(run().figure('naive-retries', 'apiInFlightPeak')).toBeGreaterThan(96);
    expect(run().figure('naive-retries', 'apiInFlightPeak')).toBeGreaterThan(3 * run().figure('breaker+budget', 'apiInFlightPeak'));
  });

  it('naive retries never recover while traffic lasts; the contained variants recover within a second', () => {
    expect(run().figure('naive-retries', 'recovered')).toBe(0);
    expect(run().figure('naive-retries', 'timeToRecoverMs')).toBe(12_000 - FAULT_END_MS);
    for (const name of ['retry-budget', 'breaker+budget']) {
      expect(run().figure(name, 'recovered'), name).toBe(1);
      expect(run().figure(name, 'timeToRecoverMs'), name).toBeLessThanOrEqual(1_000);
    }
  });

  it('availability: the storm is far worse than a budget, and a breaker with fallback keeps every page', () => {
    const naive = run().variant('naive-retries').metrics.availability;
    const budget = run().variant('retry-budget').metrics.availability;
    const breaker = run().variant('breaker+budget').metrics.availability;
    expect(naive).toBeLessThan(0.5 * breaker);
    expect(naive).toBeLessThan(budget - 0.2);
    expect(breaker).toBeGreaterThan(0.99);
    // The breaker's availability is bought with degraded pages, and only it serves them.
    expect(run().figure('breaker+budget', 'degradedAnswers')).toBeGreaterThan(100);
    expect(run().figure('naive-retries', 'degradedAnswers')).toBe(0);
    expect(run().figure('retry-budget', 'degradedAnswers')).toBe(0);
  });

  it('every api breaker opens early in the fault and is closed again within a second of its end', () => {
    const changes = run().variant('breaker+budget').timeline.filter((entry) => entry.kind === 'breaker.state');
    expect(run().variant('naive-retries').timeline.some((entry) => entry.kind === 'breaker.state')).toBe(false);
    for (const api of ['api-1', 'api-2', 'api-3']) {
      const own = changes.filter((entry) => entry.node === api);
      const firstOpen = own.find((entry) => entry.detail === 'closed->open')!;
      expect(firstOpen.atMs, api).toBeGreaterThan(FAULT_AT_MS);
      expect(firstOpen.atMs, api).toBeLessThan(FAULT_AT_MS + 500);
      const last = own[own.length - 1]!;
      expect(last.detail, api).toBe('half-open->closed');
      expect(last.atMs, api).toBeLessThan(FAULT_END_MS + 1_000);
    }
    expect(run().figure('breaker+budget', 'breakerOpenings')).toBe(changes.filter((entry) => entry.detail.endsWith('->open')).length);
  });
});
