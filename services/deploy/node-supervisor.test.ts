// The node supervisor restarts a crash-looping node with a back-off that doubles up to its cap,
// and leaves removed nodes alone.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import { NodeSupervisor } from './node-supervisor.ts';
import { timelineKinds } from '../../sim/harness/timeline.ts';

describe('NodeSupervisor', () => {
  it('restarts a crash-looping node after 500, 1000, 2000, 4000, 4000 ms, then it stays up', async () => {
    const world = new World(1);
    world.addNode('payments', () => ({}));
    const supervisor = new NodeSupervisor(world, ['payments'], { checkIntervalMs: 10, backoff: { initialMs: 500, capMs: 4000 } });
    const restarts: number[] = [];
    world.sim.trace.addFilteredSink(['heal.restart'], (event) => restarts.push(event.atMs));
    world.sim.at(1000, () => world.crashLoop('payments', 4, 100));
    await world.sim.run({ untilMs: 30_000, stopWhenIdle: false });
    // Each start crashes 100 ms later; the supervisor notices on its next 10 ms look.
    const gaps = restarts.map((atMs, index) => atMs - (index === 0 ? 1000 : restarts[index - 1]! + 100));
    expect(gaps.map((gap) => Math.round(gap / 10) * 10)).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(supervisor.stats).toEqual({ restarts: 5, longestBackoffMs: 4000 });
    expect(world.node('payments').status).toBe('up');
  });

  it('leaves a node removed for good alone', async () => {
    const world = new World(1);
    world.addNode('old', () => ({}));
    const supervisor = new NodeSupervisor(world, ['old'], { checkIntervalMs: 10 });
    world.sim.at(100, () => world.removeNode('old', 0));
    await world.sim.run({ untilMs: 5_000, stopWhenIdle: false });
    expect(world.node('old').status).toBe('down');
    expect(supervisor.stats.restarts).toBe(0);
  });

  it('registers its timeline kinds itself, so a run that imports no deployment controller still shows its restarts', () => {
    expect(timelineKinds()).toEqual(expect.arrayContaining(['heal.crash', 'heal.restart']));
  });
});
