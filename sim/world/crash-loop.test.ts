// The crash-loop fault: a node crashes now and on each of its next N starts; once the loop is over
// (or the fault ends) it starts cleanly. As data it prints, applies and undoes like any fault.
import { describe, expect, it } from 'vitest';
import { World } from './world.ts';
import { applyFault, crashLoop, describeFault } from '../harness/faults.ts';

describe('crash-loop fault', () => {
  it('crashes the node now and `startupMs` after each of its next starts, then lets it run', async () => {
    const world = new World(1);
    world.addNode('svc', () => ({ handlers: { ping: () => 'pong' } }));
    const events: string[] = [];
    world.sim.trace.addFilteredSink(['node.crash', 'node.restart'], (event) => events.push(`${event.atMs} ${event.kind}${event.detail ? ` ${event.detail}` : ''}`));
    world.sim.schedule(10, () => world.crashLoop('svc', 2, 50));
    for (const atMs of [100, 300, 500]) world.sim.at(atMs, () => world.restart('svc'));
    await world.sim.run({ untilMs: 1000 });
    expect(events).toEqual(['10 node.crash', '100 node.restart', '150 node.crash on start', '300 node.restart', '350 node.crash on start', '500 node.restart']);
    expect(world.node('svc').status).toBe('up');
  });

  it('a crashing start never builds the service: it is up, answers nothing, and dies startupMs later', async () => {
    const world = new World(1);
    let built = 0;
    world.addNode('pod', () => {
      built++;
      return { handlers: { ping: () => 'pong' } };
    });
    const events: string[] = [];
    world.sim.trace.addFilteredSink(['node.crash-on-start'], (event) => events.push(`${event.atMs} ${event.node} ${event.detail}`));
    world.sim.at(0, () => world.crashLoop('pod', 1, 100));
    world.sim.at(10, () => world.restart('pod'));
    let statusAt109 = '';
    let pingAt50: unknown;
    world.sim.at(50, () => void world.call('pod', 'ping').then(undefined, (error: { code: string }) => (pingAt50 = error.code)));
    world.sim.at(109, () => (statusAt109 = world.node('pod').status));
    await world.sim.run({ untilMs: 200 });
    expect(events).toEqual(['10 pod exits after 100ms']);
    expect(built).toBe(1); // the first, healthy start only
    expect(pingAt50).toBe('not-found');
    expect(statusAt109).toBe('up');
    expect(world.node('pod').status).toBe('down');
    world.restart('pod');
    expect(built).toBe(2);
  });

  it('is a fault value: described, applied, and undone by clearing the remaining starts', async () => {
    const world = new World(1);
    world.addNode('svc', () => ({}));
    const fault = crashLoop('svc', 3);
    expect(describeFault(fault)).toBe('crash-loop svc for 3 starts');
    const undo = applyFault(world, fault)!;
    expect(world.node('svc').status).toBe('down');
    expect(world.node('svc').crashOnStarts).toBe(3);
    undo();
    world.restart('svc');
    await world.sim.run({ untilMs: 1000 });
    expect(world.node('svc').status).toBe('up');
  });
});
