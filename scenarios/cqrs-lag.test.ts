// Tests for scenarios/cqrs-lag.ts: on seed 1 a slow projection
// lags and serves many more stale reads than a fast one, read-your-writes serves none at the cost
// of write-side reads; the exactly-once and catch-up checks hold, and fail on a broken read model.
import { describe, expect, it } from 'vitest';
import { itHoldsEveryCheck, sharedRun } from '../test/kit/scenario.ts';
import { evaluate } from '../sim/harness/checks.ts';
import type { Database } from '../services/data/database.ts';
import { CHECKPOINT_TABLE } from '../services/data/projection.ts';
import cqrsLag from './cqrs-lag.ts';

const run = sharedRun(cqrsLag, 1);

/** A stand-in read model holding `rows` and a checkpoint, for the checks' predicates. */
function fakeReadModel(rows: Record<string, { total: number; version: number; applied: number }>, nextPosition: number): Database {
  return {
    peekRows: () => Object.entries(rows).map(([key, value]) => ({ key, value })),
    peek: (table: string, key: string) => (table === CHECKPOINT_TABLE ? { nextPosition } : rows[key]),
  } as unknown as Database;
}

/** The check named `name`, evaluated against a system whose read model is `db`. */
function checkAgainst(name: string, db: Database | undefined, meter: Record<string, unknown> = {}) {
  const check = cqrsLag.checks.find((candidate) => candidate.name === name)!;
  return evaluate(check, { system: { entry: 'api', readModel: () => db, meter }, nowMs: 0 } as never);
}

describe('cqrs-lag scenario', () => {
  it('runs the three variants on the same traffic; exactly-once and catch-up hold in each', () => {
    expect(run().failureLines()).toEqual(['poll-fast: ok', 'poll-slow: ok', 'read-your-writes: ok']);
    expect(run().sameTraffic()).toBe(true);
    expect(new Set(run().result.variants.map((v) => v.metrics.consistency.eventsAppended)).size).toBe(1);
    // The crash took back unsynced applications, which the projection applied again from its checkpoint.
    expect(run().figure('poll-fast', 'reapplied')).toBeGreaterThan(0);
  });

  it('a slow projection lags an order of magnitude more than a fast one', () => {
    expect(run().figure('poll-slow', 'lagP50Ms')).toBeGreaterThan(10 * run().figure('poll-fast', 'lagP50Ms'));
    expect(run().figure('poll-fast', 'lagP50Ms')).toBeLessThan(50);
    // The faults (a 1.5 s pause, a 2 s crash) dominate every variant's p99.
    for (const v of run().result.variants) expect(v.metrics.consistency.lagP99Ms, v.name).toBeGreaterThan(1_000);
  });

  it('stale reads follow the lag; read-your-writes serves none, paying with write-side reads', () => {
    expect(run().figure('poll-fast', 'staleReads')).toBeGreaterThan(0);
    expect(run().figure('poll-slow', 'staleRatio')).toBeGreaterThan(3 * run().figure('poll-fast', 'staleRatio'));
    expect(run().figure('read-your-writes', 'staleReads')).toBe(0);
    expect(run().figure('poll-fast', 'writeSideReads')).toBe(0);
    expect(run().figure('poll-slow', 'writeSideReads')).toBe(0);
    expect(run().figure('read-your-writes', 'writeSideReads')).toBeGreaterThan(0.2 * run().figure('read-your-writes', 'reads'));
    expect(run().variant('read-your-writes').metrics.consistency.reads).toBeGreaterThan(run().figure('poll-slow', 'reads'));
  });

  it('read-your-writes also answers while the view is paused or down; the others fail those queries', () => {
    expect(run().variant('read-your-writes').metrics.availability).toBe(1);
    expect(run().variant('poll-fast').metrics.availability).toBeLessThan(0.95);
    expect(run().variant('poll-slow').metrics.availability).toBeLessThan(0.95);
  });

  it('the exactly-once check fails on an event applied twice or skipped, and on a checkpoint out of step', () => {
    const name = 'the projection applies each event exactly once';
    expect(checkAgainst(name, fakeReadModel({ o1: { total: 5, version: 2, applied: 2 } }, 3)).holds).toBe(true);
    expect(checkAgainst(name, fakeReadModel({ o1: { total: 5, version: 2, applied: 3 } }, 4)).message).toBe('order o1 reflects version 2 after 3 applications');
    expect(checkAgainst(name, fakeReadModel({ o1: { total: 5, version: 3, applied: 2 } }, 3)).holds).toBe(false);
    expect(checkAgainst(name, fakeReadModel({ o1: { total: 5, version: 2, applied: 2 } }, 4)).message).toBe('2 applications in the read model, but the checkpoint says 3 events');
    expect(checkAgainst(name, undefined).holds).toBe(true);
  });

  it('the catch-up check fails while the read model is behind the write side or down', () => {
    const name = 'the read model catches up with the write side';
    const meter = { lastAppendedPosition: 2, writeVersions: new Map([['o1', 2]]) };
    expect(checkAgainst(name, fakeReadModel({ o1: { total: 5, version: 2, applied: 2 } }, 3), meter).holds).toBe(true);
    expect(checkAgainst(name, fakeReadModel({ o1: { total: 5, version: 1, applied: 1 } }, 2), meter).message).toBe('read model at position 1 of 2');
    expect(checkAgainst(name, undefined, meter).message).toBe('the view is down');
  });
});
