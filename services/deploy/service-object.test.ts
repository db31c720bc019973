import { describe, expect, it } from 'vitest';
import type { World } from '../../sim/world/world.ts';
import { REGISTRY_METHODS, type LookupResponse } from '../routing/discovery.ts';
import { cluster, keepAliveUntil, recordControlPlane, workerTemplate } from '../../test/kit/deploy.ts';

/** Instances the registry lists for `service` at `atMs`, as seen from outside. */
function lookupAt(world: World, atMs: number, service: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    world.sim.at(atMs, () => {
      world
        .call<LookupResponse>('registry', REGISTRY_METHODS.lookup, { services: [service] })
        .then((response) => resolve(response.services[0]!.instances.map((instance) => instance.instance)), reject);
    });
  });
}

describe('Service objects', () => {
  it('register ready pods only, and deregister a leaving pod before it stops', async () => {
    const { world, controlPlane } = cluster();
    const events = recordControlPlane(world, ['service.endpoint-add', 'service.endpoint-remove', 'pod.terminated']);
    controlPlane.deploy({ name: 'orders', replicas: 2, template: workerTemplate('v1', { coldStartMs: 1000 }), terminationGraceMs: 2000 });
    world.sim.at(3000, () => controlPlane.scale('orders', 1));
    const lookups = [500, 1500, 3100].map((atMs) => lookupAt(world, atMs, 'orders'));
    keepAliveUntil(world, 6000);
    await world.sim.run({ untilMs: 6000 });
    expect(await Promise.all(lookups)).toEqual([[], ['orders-v1-1', 'orders-v1-2'], ['orders-v1-1']]);
    expect(events).toEqual([
      '1200 service.endpoint-add orders',
      '1200 service.endpoint-add orders',
      '3000 service.endpoint-remove orders',
      // Served its last calls for the grace period, out of discovery.
      '5000 pod.terminated orders-v1-2',
    ]);
    expect(controlPlane.endpoints('orders')).toEqual(['orders-v1-1']);
    expect(world.node('orders-v1-2').removed).toBe(true);
  });

  it('heartbeat their endpoints, so a registry that lost its state (restart) learns them again', async () => {
    const { world, controlPlane } = cluster();
    controlPlane.deploy({ name: 'orders', replicas: 2, template: workerTemplate('v1') });
    world.sim.at(2050, () => world.restart('registry'));
    const lookups = [2100, 3500].map((atMs) => lookupAt(world, atMs, 'orders'));
    keepAliveUntil(world, 4000);
    await world.sim.run({ untilMs: 4000 });
    // Forgotten at the restart; the heartbeats sent at the 3000 pass register both again.
    expect(await Promise.all(lookups)).toEqual([[], ['orders-v1-1', 'orders-v1-2']]);
  });

  it('stop heartbeating when the control plane dies, so the registry expires its pods after the TTL', async () => {
    const { world, controlPlane } = cluster();
    controlPlane.deploy({ name: 'orders', replicas: 1, template: workerTemplate('v1') });
    world.sim.at(2050, () => world.crash('control-plane'));
    // Heartbeats go every second from the 0 pass; the last, sent at 2000, arrived at 2001: expired at 5001.
    const lookups = [5000, 5002].map((atMs) => lookupAt(world, atMs, 'orders'));
    keepAliveUntil(world, 6000);
    await world.sim.run({ untilMs: 6000 });
    expect(await Promise.all(lookups)).toEqual([['orders-v1-1'], []]);
  });
});
