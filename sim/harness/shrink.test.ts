// Tests for sim/harness/shrink.ts: ddmin, bisection, and whole-plan shrinking against synthetic failure
// predicates (no simulation runs: the engine is pure and takes `stillFails` from its caller).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ddmin, lowestFailing, planSize, shrinkPlan } from './shrink.ts';
import { crash, pause, slow, type ScheduledFault } from './faults.ts';
import { callError, onMethod } from './call-faults.ts';
import type { RunPlan } from './runner.ts';

function plan(faults: ScheduledFault[], extra: Partial<RunPlan> = {}): RunPlan {
  return { seed: 17, variant: 'naive', faults, durationMs: 10_000, options: { accounts: 4 }, ...extra };
}

const noise: ScheduledFault[] = [
  { atMs: 500, durationMs: 800, fault: pause('ledger') },
  { atMs: 1200, durationMs: 600, fault: slow('ledger', 5) },
  { atMs: 3000, durationMs: 1000, fault: crash('ledger') },
  { atMs: 4100, durationMs: 400, fault: crash('bank') },
  { atMs: 6000, durationMs: 900, fault: pause('bank') },
  { atMs: 8000, durationMs: 700, fault: crash('ledger') },
];

describe('ddmin', () => {
  it('finds the two items a failure needs among sixteen', async () => {
    const items = Array.from({ length: 16 }, (_, index) => index);
    const calls: number[][] = [];
    const result = await ddmin(items, async (subset) => {
      calls.push(subset);
      return subset.includes(3) && subset.includes(11);
    });
    expect(result).toEqual([3, 11]);
    expect(calls[0]).toEqual([]);
  });

  it('returns the empty list when the failure needs no item', async () => {
    expect(await ddmin([1, 2, 3], async () => true)).toEqual([]);
  });

  it('keeps a single needed item', async () => {
    expect(await ddmin(['a', 'b', 'c', 'd', 'e'], async (subset) => subset.includes('d'))).toEqual(['d']);
  });

  it('finds a 1-minimal subset for any needed set (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 24 }), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), async (size, picks) => {
        const items = Array.from({ length: size }, (_, index) => index);
        const needed = new Set(picks.map((pick) => pick % size));
        const fails = async (subset: number[]): Promise<boolean> => [...needed].every((item) => subset.includes(item));
        const result = await ddmin(items, fails);
        expect(new Set(result)).toEqual(needed);
      }),
      { numRuns: 200 },
    );
  });
});

describe('lowestFailing', () => {
  it('bisects to the threshold of a monotone failure', async () => {
    const tried: number[] = [];
    const value = await lowestFailing(1000, 0, async (candidate) => {
      tried.push(candidate);
      return candidate >= 137;
    });
    expect(value).toBe(137);
    expect(tried[0]).toBe(0);
    expect(tried.length).toBeLessThanOrEqual(12);
  });

  it('returns the floor when the floor fails', async () => {
    expect(await lowestFailing(1000, 5, async () => true)).toBe(5);
  });

  it('stops within the slack', async () => {
    const value = await lowestFailing(10_000, 0, async (candidate) => candidate >= 3000, (high) => high / 16);
    expect(value).toBeGreaterThanOrEqual(3000);
    expect(value).toBeLessThanOrEqual(3000 + 10_000 / 16);
  });
});

describe('shrinkPlan', () => {
  // The planted failure: a bank crash that starts in [4000, 4200] ms, at least 50 requests sent,
  // and a run of at least 4500 ms. Everything else is noise.
  const needsBankCrash = async (candidate: RunPlan): Promise<boolean> =>
    candidate.durationMs >= 4500 &&
    (candidate.maxRequests ?? Infinity) >= 50 &&
    candidate.faults.some((scheduled) => scheduled.fault.kind === 'crash' && scheduled.fault.node === 'bank' && scheduled.atMs >= 4000 && scheduled.atMs <= 4200);

  it('drops the noise, shortens the fault, moves it no earlier than it must, and lowers the caps', async () => {
    const outcome = await shrinkPlan(plan(noise), needsBankCrash, { requestsSent: 500 });
    expect(outcome.plan.seed).toBe(17);
    expect(outcome.plan.variant).toBe('naive');
    expect(outcome.plan.options).toEqual({ accounts: 4 });
    expect(outcome.plan.faults).toHaveLength(1);
    const [only] = outcome.plan.faults;
    expect(only!.fault).toEqual(crash('bank'));
    expect(only!.durationMs).toBe(1);
    expect(only!.atMs).toBeGreaterThanOrEqual(4000);
    expect(only!.atMs).toBeLessThanOrEqual(4100);
    expect(outcome.plan.maxRequests).toBe(50);
    expect(outcome.plan.durationMs).toBeGreaterThanOrEqual(4500);
    expect(outcome.plan.durationMs).toBeLessThanOrEqual(4500 + 10_000 / 32);
    expect(outcome.before).toEqual({ faults: 6, faultMs: 4400, maxRequests: 500, durationMs: 10_000 });
    expect(outcome.after).toEqual(planSize(outcome.plan));
    expect(await needsBankCrash(outcome.plan)).toBe(true);
    expect(outcome.budgetSpent).toBe(false);
  });

  it('keeps only the requests the failure needs, and counts them as the plan\'s requests', async () => {
    // Fails while requests 7 and 31 are both sent (a write and the stale read that follows it).
    const needsTwoRequests = async (candidate: RunPlan): Promise<boolean> => {
      const sent = (index: number): boolean => index < (candidate.maxRequests ?? Infinity) && (candidate.onlyRequests?.includes(index) ?? true);
      return sent(7) && sent(31);
    };
    const outcome = await shrinkPlan(plan([]), needsTwoRequests, { requestsSent: 200 });
    expect(outcome.plan.maxRequests).toBe(32);
    expect(outcome.plan.onlyRequests).toEqual([7, 31]);
    expect(outcome.before.maxRequests).toBe(200);
    expect(outcome.after.maxRequests).toBe(2);
    expect(planSize({ ...plan([]), maxRequests: 40 })).toMatchObject({ maxRequests: 40 });
  });

  it('does not change the original plan', async () => {
    const original = plan(noise);
    const copy = structuredClone(original);
    await shrinkPlan(original, needsBankCrash);
    expect(original).toEqual(copy);
  });

  it('keeps a plan without a request cap uncapped when the cap is not confirmed', async () => {
    const outcome = await shrinkPlan(plan(noise), async (candidate) => candidate.maxRequests === undefined && (await needsBankCrash(candidate)), { requestsSent: 500 });
    expect(outcome.plan.maxRequests).toBeUndefined();
    expect(outcome.plan.faults).toHaveLength(1);
  });

  it('never reruns a candidate it already tried', async () => {
    const seen = new Set<string>();
    let repeats = 0;
    const outcome = await shrinkPlan(plan(noise), async (candidate) => {
      const key = JSON.stringify(candidate);
      if (seen.has(key)) repeats++;
      seen.add(key);
      return needsBankCrash(candidate);
    });
    expect(repeats).toBe(0);
    expect(outcome.runs).toBe(seen.size);
  });

  it('stops at the run budget with a plan that still fails', async () => {
    let calls = 0;
    const outcome = await shrinkPlan(plan(noise), async (candidate) => {
      calls++;
      return needsBankCrash(candidate);
    }, { maxRuns: 5 });
    expect(calls).toBe(5);
    expect(outcome.runs).toBe(5);
    expect(outcome.budgetSpent).toBe(true);
    expect(await needsBankCrash(outcome.plan)).toBe(true);
  });

  it('always returns a failing plan no larger than the original (property)', async () => {
    const faultArbitrary = fc.record({
      atMs: fc.integer({ min: 0, max: 9_999 }),
      durationMs: fc.integer({ min: 1, max: 5_000 }),
      node: fc.constantFrom('bank', 'ledger', 'api'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(faultArbitrary, { minLength: 1, maxLength: 8 }), fc.nat(), fc.integer({ min: 1, max: 2_000 }), async (raw, pick, minRequests) => {
        const faults = raw.map(({ atMs, durationMs, node }) => ({ atMs, durationMs, fault: crash(node) })).sort((a, b) => a.atMs - b.atMs);
        const key = faults[pick % faults.length]!;
        // Fails while some crash of the key's node lasts at least half the key's duration and starts no earlier than it.
        const fails = async (candidate: RunPlan): Promise<boolean> =>
          (candidate.maxRequests ?? Infinity) >= minRequests &&
          candidate.faults.some((scheduled) => scheduled.fault.kind === 'crash' && scheduled.fault.node === (key.fault as { node: string }).node && scheduled.atMs >= key.atMs && (scheduled.durationMs ?? 0) >= key.durationMs / 2);
        const original = plan(faults);
        const outcome = await shrinkPlan(original, fails, { requestsSent: 2_000 });
        expect(await fails(outcome.plan)).toBe(true);
        expect(outcome.plan.faults).toHaveLength(1);
        expect(outcome.after.faultMs).toBeLessThanOrEqual(outcome.before.faultMs);
        expect(outcome.after.durationMs).toBeLessThanOrEqual(original.durationMs);
        expect(outcome.plan.maxRequests).toBe(minRequests);
        expect(outcome.plan.seed).toBe(original.seed);
      }),
      { numRuns: 200 },
    );
  });
});

describe('shrinking per-call faults', () => {
  it('lowers an injection rate to near the lowest that still fails, keeping rates printable', async () => {
    const faults: ScheduledFault[] = [...noise, { atMs: 2000, durationMs: 1000, fault: callError(onMethod('bank', 'transfer'), 'unavailable', 0.9) }];
    const failsAbove = 0.2;
    const outcome = await shrinkPlan(plan(faults), async (candidate) => candidate.faults.some((scheduled) => scheduled.fault.kind === 'call-error' && (scheduled.fault as { rate: number }).rate >= failsAbove));
    expect(outcome.plan.faults).toHaveLength(1);
    const { rate } = outcome.plan.faults[0]!.fault as { rate: number };
    expect(rate).toBeGreaterThanOrEqual(failsAbove);
    expect(rate).toBeLessThan(failsAbove * 1.1);
    expect(String(rate).length).toBeLessThanOrEqual(5);
  });
});
