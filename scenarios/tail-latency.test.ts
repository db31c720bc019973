// Tests for scenarios/tail-latency.ts: on seed 1 hedging cuts
// the fan-out's p99 and p99.9 several times for a few percent more backend requests, while
// least-loaded replica selection steers first attempts off the gray replica and needs fewer hedges.
import { describe, expect, it } from 'vitest';
import { itHoldsEveryCheck, sharedRun } from '../test/kit/scenario.ts';
import tailLatency from './tail-latency.ts';

const run = sharedRun(tailLatency, 1);

const latency = (name: string) => run().variant(name).metrics.latencyMs;

describe('tail-latency scenario', () => {
  itHoldsEveryCheck(run, ['single', 'hedged', 'hedged+least-loaded']);

  it('fan-out turns one shard call tail into the request tail: the request p99 is far above a shard call p99', () => {
    expect(latency('single').p99).toBeGreaterThan(2 * run().figure('single', 'shardCallP99Ms'));
    // Half the searches meet the gray replica first: even the median search waits for it.
    expect(latency('single').p50).toBeGreaterThan(3 * run().figure('single', 'shardCallP50Ms'));
  });

  it('hedging cuts p99 and p99.9 several times, and the shard call p99 with them', () => {
    for (const name of ['hedged', 'hedged+least-loaded']) {
      expect(latency(name).p99, name).toBeLessThan(latency('single').p99 / 4);
      expect(latency(name).p999, name).toBeLessThan(latency('single').p999 / 3);
      expect(run().figure(name, 'shardCallP99Ms'), name).toBeLessThan(run().figure('single', 'shardCallP99Ms') / 2);
      expect(run().variant(name).metrics.availability, name).toBeGreaterThanOrEqual(run().variant('single').metrics.availability);
    }
  });

  it('hedging costs a few percent more backend requests: one per hedge', () => {
    expect(run().figure('single', 'backendCallsPerRequest')).toBe(10);
    expect(run().figure('single', 'hedgesPerRequest')).toBe(0);
    for (const name of ['hedged', 'hedged+least-loaded']) {
      const perRequest = run().figure(name, 'backendCallsPerRequest');
      expect(perRequest, name).toBeGreaterThan(10.2);
      expect(perRequest, name).toBeLessThan(11);
      expect(perRequest - 10, name).toBeCloseTo(run().figure(name, 'hedgesPerRequest'), 9);
      expect(run().figure(name, 'hedgesWon'), name).toBeGreaterThan(0);
    }
  });

  it('least-loaded selection avoids the gray replica more often, hedges less and lowers the median', () => {
    expect(run().figure('single', 'grayReplicaFirstShare')).toBeGreaterThan(0.4);
    expect(run().figure('single', 'grayReplicaFirstShare')).toBeLessThan(0.6);
    expect(run().figure('hedged+least-loaded', 'grayReplicaFirstShare')).toBeLessThan(run().figure('hedged', 'grayReplicaFirstShare') - 0.05);
    expect(run().figure('hedged+least-loaded', 'hedgesPerRequest')).toBeLessThan(0.9 * run().figure('hedged', 'hedgesPerRequest'));
    expect(latency('hedged+least-loaded').p50).toBeLessThan(0.8 * latency('hedged').p50);
  });
});
