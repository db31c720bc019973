// Scale: a service mesh of `nodes` nodes (one registry, the rest small services of two instances
// each, all registered with heartbeats) and `requests` requests, each entering one instance that
// calls the next service through discovery and a round-robin balancer. Prints the wall time of
// building and running the world and the peak RSS. Wall time and memory are read here, in bench/.
import { pathToFileURL } from 'node:url';
import { World } from '../../sim/world/world.ts';
import type { CallOutcome } from '../../sim/world/rpc.ts';
import type { Request } from '../../sim/world/node.ts';
import { registryNode } from '../../services/routing/discovery.ts';
import { registered } from '../../services/routing/registration.ts';
import { DiscoveryClient } from '../../services/routing/discovery-client.ts';
import { serviceClient } from '../../services/routing/client.ts';

/** Instances per service: enough for the balancer to balance. */
const INSTANCES_PER_SERVICE = 2;
/** Requests per simulated ms per 1,000 nodes: the load per node is the same at every size. */
const REQUESTS_PER_MS_PER_1000_NODES = 10;
/** Heartbeats and discovery refreshes: every 2 s per node (the background traffic scales with nodes). */
const BACKGROUND_PERIOD_MS = 2000;
/** Memory is sampled every this many requests (a sampling cost that does not grow with the run). */
const SAMPLE_EVERY_REQUESTS = 10_000;

/** Figures of one scale run. */
export interface ScaleResult {
  nodes: number;
  requests: number;
  ok: number;
  events: number;
  buildMs: number;
  wallMs: number;
  /** CPU time of this process (user + system): steadier than wall time on a busy machine. */
  cpuMs: number;
  peakRssMb: number;
}

/** Builds the mesh and drives `requests` requests through it; the world is built inside the timing. */
export async function benchScale(nodes: number, requests: number): Promise<ScaleResult> {
  let peakRss = process.memoryUsage().rss;
  const sampleMemory = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  const startMs = performance.now();
  const startCpu = process.cpuUsage();
  const services = Math.floor((nodes - 1) / INSTANCES_PER_SERVICE);
  const world = new World(1);
  world.addNode('registry', registryNode({ ttlMs: 3 * BACKGROUND_PERIOD_MS }), { workers: 4096, queueCapacity: 100_000 });
  const instanceNames: string[] = [];
  for (let service = 0; service < services; service++) {
    const downstream = `svc-${(service + 1) % services}`;
    for (let instance = 0; instance < INSTANCES_PER_SERVICE; instance++) {
      const name = `svc-${service}-${instance}`;
      instanceNames.push(name);
      world.addNode(
        name,
        registered({ registry: 'registry', service: `svc-${service}`, heartbeatMs: BACKGROUND_PERIOD_MS }, (ctx) => {
          const discovery = new DiscoveryClient(ctx, { registry: 'registry', refreshMs: BACKGROUND_PERIOD_MS });
          const next = serviceClient(ctx, { service: downstream, discovery, timeoutMs: 500 });
          return {
            handlers: {
              // The entry hop: 0.1 ms of CPU, then one call to the next service.
              enter: { serviceTimeMs: 0.1, handle: (payload: unknown, request: Request) => next.call('leaf', payload, { parent: request }) },
              leaf: { serviceTimeMs: 0.2, handle: () => LEAF_ANSWER },
            },
          };
        }),
        { workers: 16, queueCapacity: 256 },
      );
    }
  }
  const buildMs = performance.now() - startMs;

  const intervalMs = 1 / (REQUESTS_PER_MS_PER_1000_NODES * (nodes / 1000));
  const options = { timeoutMs: 1000 };
  let sent = 0;
  let finished = 0;
  let ok = 0;
  const onDone = (outcome: CallOutcome): void => {
    finished++;
    if (outcome.ok) ok++;
    if (finished % SAMPLE_EVERY_REQUESTS === 0) sampleMemory();
    if (finished === requests) world.sim.stop();
  };
  const arrive = (): void => {
    world.request(instanceNames[sent % instanceNames.length]!, 'enter', sent, options, onDone);
    if (++sent < requests) world.sim.schedule(intervalMs, arrive);
  };
  // Registrations and first lookups land during the first background period, before traffic.
  world.sim.schedule(BACKGROUND_PERIOD_MS, arrive);
  const stop = await world.sim.run({ untilMs: BACKGROUND_PERIOD_MS + requests * intervalMs + 10_000 });
  sampleMemory();
  const wallMs = performance.now() - startMs;
  const cpu = process.cpuUsage(startCpu);
  return { nodes, requests: finished, ok, events: stop.events, buildMs, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: peakRss / 2 ** 20 };
}

const LEAF_ANSWER = { ok: true };

// `node --import tsx bench/cases/scale.ts <nodes> <requests>` prints the figures as one JSON line.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchScale(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 100_000));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
