// Tests for services/routing/microservice.ts: one call declares an instance that registers, keeps
// a discovery view and calls other services by name; a caller without a service never registers.
import { describe, expect, it } from 'vitest';
import { World } from '../../sim/world/world.ts';
import type { Request } from '../../sim/world/node.ts';
import { registryNode } from './discovery.ts';
import { microservice } from './microservice.ts';
import { FIRST_ATTEMPT, type Policy } from '../resilience/policy.ts';

describe('microservice', () => {
  it('registers the instances of a service and calls them by name through discovery', async () => {
    const world = new World(3);
    world.addNode('registry', registryNode({ ttlMs: 3_000 }));
    for (const name of ['dep-1', 'dep-2']) {
      world.addNode(name, microservice({ registry: 'registry', service: 'dep' }, (ctx) => ({ handlers: { whoami: () => ctx.name } })));
    }
    const policies: string[] = [];
    const counted = (ctx: { name: string }): Policy => ({
      name: 'count',
      execute: (operation, attempt) => (policies.push(ctx.name), operation(attempt ?? FIRST_ATTEMPT)),
    });
    world.addNode(
      'front',
      microservice({ registry: 'registry', calls: { dep: (ctx) => ({ balancer: 'round-robin', policy: counted(ctx), timeoutMs: 100 }) } }, (_ctx, { clients }) => ({
        handlers: { ask: (_body: unknown, request: Request) => clients.dep.call<string>('whoami', undefined, { parent: request }) },
      })),
    );
    const answers: string[] = [];
    for (const atMs of [500, 600, 700]) world.sim.at(atMs, () => void world.call<string>('front', 'ask').then((answer) => answers.push(answer)));
    let entries: { service: string; instance: string }[] = [];
    world.sim.at(900, () => void world.call<typeof entries>('registry', 'list').then((listed) => (entries = listed)));
    await world.sim.run({ untilMs: 1_000 });
    // Round robin over both registered instances; every call ran under the caller's policy.
    expect(answers).toEqual(['dep-1', 'dep-2', 'dep-1']);
    expect(policies).toEqual(['front', 'front', 'front']);
    // Only the instances that serve a service registered; the caller did not.
    expect(entries.map((entry) => `${entry.service}/${entry.instance}`)).toEqual(['dep/dep-1', 'dep/dep-2']);
  });
});
