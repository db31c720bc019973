// Tests for scenarios/planted-bug.ts: the planted bug (a bank crash between debit and
// credit loses money in `naive`), the fix (`saga-log` finishes the transfer after its restart).
import { describe, expect, it } from 'vitest';
import plantedBug from './planted-bug.ts';
import { planFor, runScenario, runVariant, type RunPlan } from '../sim/harness/runner.ts';
import { crash } from '../sim/harness/faults.ts';

/** Seed 25 with only the crash that `sim shrink` reduces it to: the bank dies with t7 half done. */
function crashMidTransfer(variant: string): RunPlan {
  return { ...planFor(plantedBug, 25, variant, true), faults: [{ atMs: 188, durationMs: 1, fault: crash('bank') }], maxRequests: 8, durationMs: 189 };
}

describe('planted-bug', () => {
  it('naive loses the money of a transfer when the bank crashes between debit and credit', async () => {
    const result = await runVariant(plantedBug, crashMidTransfer('naive'));
    expect(result.failures).toEqual([
      { kind: 'correctness', check: 'money is conserved', atMs: 189, message: '47 missing from the ledger: transfer t7 took 47 from acct-4 at 184 ms and the bank forgot it' },
    ]);
    expect(result.coverage['a bank crash caught a transfer between its steps']).toBe(true);
    expect(result.metrics.consistency).toEqual({ moneyOnLedger: 8_000 - 47, openDebits: 1 });
  });

  it('saga-log finishes the same transfer after the restart, and money is conserved', async () => {
    const result = await runVariant(plantedBug, crashMidTransfer('saga-log'));
    expect(result.failures).toEqual([]);
    expect(result.coverage['an interrupted transfer was finished after a restart']).toBe(true);
    expect(result.metrics.consistency).toEqual({ moneyOnLedger: 8_000, openDebits: 0 });
    // The restarted bank resumes the saga from its log (a service event, on the timeline too).
    expect(result.timeline.map((entry) => entry.kind)).toEqual(['fault', 'node.crash', 'fault.end', 'saga.resume', 'node.restart']);
  });

  it('holds in both variants without faults', async () => {
    for (const variant of ['naive', 'saga-log']) {
      const result = await runVariant(plantedBug, { ...planFor(plantedBug, 3, variant), faults: [] });
      expect(result.failures).toEqual([]);
      expect(result.metrics.requests.total).toBeGreaterThan(400);
    }
  });

  it('saga-log conserves money on seeds where naive loses it', async () => {
    // Seeds 1, 2 and 4 fail in naive (found by a sweep); the fix must hold on exactly those.
    for (const seed of [1, 2, 4]) {
      const result = await runScenario(plantedBug, seed, { swarm: true });
      const [naive, sagaLog] = result.variants;
      expect(naive!.failures.map((failure) => failure.check)).toEqual(['money is conserved']);
      expect(sagaLog!.failures).toEqual([]);
    }
  });
});
