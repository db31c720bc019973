// Gateway throughput: simulated requests per wall-clock second through gateway → discovery →
// balancer → circuit breaker → 2 order instances and back. Wall time is read here, never in sim/.
import { pathToFileURL } from 'node:url';
import { World } from '../../sim/world/world.ts';
import type { CallOutcome } from '../../sim/world/rpc.ts';
import { registryNode } from '../../services/routing/discovery.ts';
import { registered } from '../../services/routing/registration.ts';
import { gateway, GATEWAY_METHOD, type GatewayRequest } from '../../services/routing/gateway.ts';
import { CircuitBreaker } from '../../services/resilience/breaker.ts';

/** Figures of one gateway benchmark run. */
export interface GatewayBenchResult {
  requests: number;
  /** Requests that came back ok (all of them, unless the system is misconfigured). */
  ok: number;
  /** Engine events fired. */
  events: number;
  simulatedMs: number;
  wallMs: number;
  requestsPerSec: number;
  /** CPU time of this process during the run (user + system): steadier than wall time on a busy machine. */
  cpuMs: number;
  requestsPerCpuSec: number;
}

/** Open-loop arrivals: one request every 0.25 ms (4 per ms, half of the two instances' capacity). */
const ARRIVAL_INTERVAL_MS = 0.25;

/**
 * Drives `requests` GETs through the gateway at a steady open-loop rate and measures wall time
 * around the simulation run only (building the world is not counted).
 */
export async function benchGateway(requests: number): Promise<GatewayBenchResult> {
  const world = new World(1);
  world.addNode('registry', registryNode({ ttlMs: 3000 }));
  for (const name of ['orders-1', 'orders-2']) {
    world.addNode(
      name,
      registered({ registry: 'registry', service: 'orders', heartbeatMs: 1000 }, () => ({
        handlers: { http: { serviceTimeMs: 1, handle: () => ORDER } },
      })),
      { workers: 4, queueCapacity: 64 },
    );
  }
  world.addNode(
    'gateway',
    gateway({
      registry: 'registry',
      refreshMs: 1000,
      routes: [{ prefix: '/api/orders', service: 'orders', balancer: 'round-robin', timeoutMs: 500, policy: (ctx) => new CircuitBreaker(ctx, { peer: 'orders' }) }],
    }),
    { workers: 1024, queueCapacity: 1024 },
  );

  const request: GatewayRequest = { path: '/api/orders/42', method: 'GET' };
  const options = { timeoutMs: 1000 };
  let sent = 0;
  let finished = 0;
  let ok = 0;
  const onDone = (outcome: CallOutcome): void => {
    finished++;
    if (outcome.ok) ok++;
    if (finished === requests) world.sim.stop();
  };
  const arrive = (): void => {
    world.request('gateway', GATEWAY_METHOD, request, options, onDone);
    if (++sent < requests) world.sim.schedule(ARRIVAL_INTERVAL_MS, arrive);
  };
  // Let registrations and the gateway's first lookup land before traffic starts.
  world.sim.schedule(10, arrive);

  const startMs = performance.now();
  const startCpu = process.cpuUsage();
  const stop = await world.sim.run({ untilMs: 10 + requests * ARRIVAL_INTERVAL_MS + 5000 });
  const wallMs = performance.now() - startMs;
  const cpu = process.cpuUsage(startCpu);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    requests: finished,
    ok,
    events: stop.events,
    simulatedMs: stop.atMs,
    wallMs,
    requestsPerSec: finished / (wallMs / 1000),
    cpuMs,
    requestsPerCpuSec: finished / (cpuMs / 1000),
  };
}

const ORDER = { id: 42, status: 'placed' };

// `node --import tsx bench/cases/gateway.ts 200000` prints the figures as one JSON line.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchGateway(Number(process.argv[2] ?? 200_000));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
