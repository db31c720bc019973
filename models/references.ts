// Checks what the schema cannot: every call, route, endpoint and subscription names a service and
// operation that exist, `queries` have a database, and sync calls form no cycle (a request would
// call itself until its deadline).
import { ConfigError } from '../sim/index.ts';
import type { StepInput, SystemModel } from './schema.ts';
import { nearestKey } from './nearest.ts';

/** Nodes every compiled model may have besides its services: the registry, the gateway, the broker. */
const RESERVED_NODES = ['registry', 'gateway', 'broker'];

/** Throws a ConfigError naming the first broken reference or sync-call cycle; `where` prefixes it (file, variant). */
export function checkReferences(model: SystemModel, where: string): void {
  const target = (reference: string, at: string): void => {
    const [service, ...rest] = reference.split('.');
    const operation = rest.join('.');
    const definition = model.services[service!];
    if (!definition) throw new ConfigError(`${where}: ${at}: "${reference}" calls an undefined service "${service}"${hint(service!, Object.keys(model.services))}`);
    if (!definition.operations[operation]) {
      throw new ConfigError(`${where}: ${at}: "${reference}" calls an undefined operation "${operation}" of ${service}${hint(operation, Object.keys(definition.operations))}`);
    }
  };
  for (const [name, service] of Object.entries(model.services)) {
    if (RESERVED_NODES.includes(name)) throw new ConfigError(`${where}: services.${name}: "${name}" is the name of a node the model adds itself (${RESERVED_NODES.join(', ')}): rename the service`);
    if (service.database && model.services[`${name}-db`]) throw new ConfigError(`${where}: services.${name}-db: the name is taken by the database of ${name}: rename the service`);
    if (Object.keys(service.operations).length === 0) throw new ConfigError(`${where}: services.${name}.operations is empty: declare at least one operation`);
    for (const dependency of Object.keys(service.calls ?? {})) {
      if (!model.services[dependency]) throw new ConfigError(`${where}: services.${name}.calls.${dependency}: no service "${dependency}"${hint(dependency, Object.keys(model.services))}`);
    }
    for (const [topic, operation] of Object.entries(service.subscribes ?? {})) {
      if (!service.operations[operation]) throw new ConfigError(`${where}: services.${name}.subscribes.${topic}: no operation "${operation}" in ${name}${hint(operation, Object.keys(service.operations))}`);
    }
    for (const [operationName, operation] of Object.entries(service.operations)) {
      forEachStep(operation.steps ?? [], `services.${name}.operations.${operationName}.steps`, (step, at) => {
        if (step.call !== undefined) target(step.call, at);
        if (step.queries !== undefined && !service.database) throw new ConfigError(`${where}: ${at}: "queries" needs a database: add services.${name}.database { queryMs }`);
      });
    }
  }
  model.gateway?.routes.forEach((route, index) => target(route.to, `gateway.routes[${index}].to`));
  model.workload.mix.forEach((endpoint, index) => {
    const at = `workload.mix[${index}]`;
    if ((endpoint.path === undefined) === (endpoint.call === undefined)) throw new ConfigError(`${where}: ${at}: give exactly one of path (through the gateway) or call ("service.operation")`);
    if (endpoint.path !== undefined && !model.gateway) throw new ConfigError(`${where}: ${at}: path "${endpoint.path}" needs a gateway: add gateway { routes } or use call`);
    if (endpoint.call !== undefined) target(endpoint.call, at);
  });
  checkNoSyncCycle(model, where);
}

function hint(name: string, candidates: string[]): string {
  const near = nearestKey(name, candidates);
  return near !== undefined ? ` (did you mean "${near}"?)` : ` (defined: ${candidates.join(', ') || 'none'})`;
}

/** Visits every step, parallel groups included, with its dotted path. */
export function forEachStep(steps: readonly StepInput[], at: string, visit: (step: StepInput, at: string) => void): void {
  steps.forEach((step, index) => {
    const here = `${at}[${index}]`;
    visit(step, here);
    if (step.parallel) forEachStep(step.parallel, `${here}.parallel`, visit);
  });
}

/** A depth-first search over `service.operation` → the sync calls it makes; a back edge is a cycle. */
function checkNoSyncCycle(model: SystemModel, where: string): void {
  const edges = new Map<string, string[]>();
  for (const [name, service] of Object.entries(model.services)) {
    for (const [operationName, operation] of Object.entries(service.operations)) {
      const calls: string[] = [];
      forEachStep(operation.steps ?? [], '', (step) => {
        if (step.call !== undefined) calls.push(step.call);
      });
      edges.set(`${name}.${operationName}`, calls);
    }
  }
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next].join(' -> ');
        throw new ConfigError(`${where}: a cycle of sync calls: ${cycle} (a request would call itself until its deadline; break it, or make one hop a publish)`);
      }
      if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
}
