// The control plane: a node (`control-plane`) whose loop reconciles every Deployment and keeps
// Service objects in discovery; the API through which scenarios deploy, roll out and autoscale.
import type { World } from '../../sim/world/world.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import type { ServiceDefinition } from '../../sim/world/node.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import { checkReplicas, resolveDeployment, resolveTemplate, type DeploymentSpec, type PodTemplate } from './deployment.ts';
import { DeploymentController, type DeploymentStatus, type RolloutRecord } from './deployment-controller.ts';
import { ServiceObject } from './service-object.ts';
import { resolveHpa, type HpaOptions } from './hpa.ts';
import type { PodStatus } from './pod-record.ts';

/** Control-plane settings, as given. */
export interface ControlPlaneOptions {
  /** The control plane's node name. Default `control-plane`. */
  name?: string;
  /** Registry node(s) Service objects register ready pods with. Without it, `deploy` exposes nothing. */
  registry?: string | readonly string[];
  /** Time between reconcile passes (control-plane clock). Default 100 ms. */
  syncIntervalMs?: number;
  /** Heartbeat period of Service objects' registrations. Default 1000 ms. */
  heartbeatMs?: number;
  /** How long a crashing start runs before it dies (crash-loop faults). Default 100 ms. */
  crashAfterMs?: number;
}

/** Options of `deploy`. */
export interface DeployOptions {
  /** Register the deployment's ready pods in discovery under its service name. Default: true when the control plane has a registry. */
  expose?: boolean;
}

/** Reconcile passes are background work: they never keep a run alive on their own. */
const BACKGROUND = Object.freeze({ daemon: true });

/**
 * A Kubernetes-like control plane inside the simulation. It plays the API server, the controllers
 * and every kubelet at once, so it holds the World: it creates, restarts and removes pod nodes
 * and reads their load from outside the services' own view. Its desired state lives in this
 * object (etcd), not in the node, so a control-plane crash stops reconciling but forgets nothing.
 *
 * Usage:
 * `const cp = new ControlPlane(world, { registry: 'registry' }); cp.deploy({ name: 'catalog', replicas: 3, template })`.
 * Trace events (node `control-plane`): `deploy` (rollout start, progress, completion), `rollback`,
 * `scale` (detail `name 2->4`), `hpa.decision`, `pod.create`, `pod.ready`, `pod.unready`,
 * `pod.crash`, `pod.restart`, `pod.liveness-failed`, `pod.terminating`, `pod.terminated`,
 * `service.endpoint-add`, `service.endpoint-remove`.
 */
export class ControlPlane {
  readonly name: string;
  readonly syncIntervalMs: number;
  readonly crashAfterMs: number;
  private readonly registry: string | readonly string[] | undefined;
  private readonly heartbeatMs: number;
  private readonly controllers = new Map<string, DeploymentController>();
  private readonly services = new Map<string, ServiceObject>();
  private context: NodeContext | undefined;

  constructor(
    readonly world: World,
    options: ControlPlaneOptions = {},
  ) {
    this.name = options.name ?? 'control-plane';
    this.syncIntervalMs = options.syncIntervalMs ?? 100;
    if (!(this.syncIntervalMs > 0 && Number.isFinite(this.syncIntervalMs))) {
      throw new ConfigError(`control plane syncIntervalMs is ${this.syncIntervalMs}: use a finite number of ms > 0`);
    }
    this.crashAfterMs = options.crashAfterMs ?? 100;
    if (!(this.crashAfterMs >= 0)) throw new ConfigError(`control plane crashAfterMs is ${this.crashAfterMs}: use ms >= 0`);
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.registry = options.registry;
    world.addNode(this.name, (ctx) => this.start(ctx), { labels: { role: 'control-plane' } });
  }

  /** The control plane node's current context. */
  get ctx(): NodeContext {
    if (this.context === undefined) throw new ConfigError('the control plane node has not started');
    return this.context;
  }

  /** Creates a Deployment (its pods appear at the next reconcile pass) and, by default, its Service object. */
  deploy(spec: DeploymentSpec, options: DeployOptions = {}): DeploymentController {
    const resolved = resolveDeployment(spec);
    if (this.controllers.has(resolved.name)) throw new ConfigError(`deployment '${resolved.name}' exists already: use rollout() to change it`);
    const controller = new DeploymentController(resolved, this);
    this.controllers.set(resolved.name, controller);
    this.ctx.emit('deploy', `${resolved.name} ${resolved.template.version} created with ${resolved.replicas} replicas`);
    const expose = options.expose ?? this.registry !== undefined;
    if (expose) this.expose(resolved.service);
    return controller;
  }

  /** Registers the ready pods of every deployment serving `service` in discovery. */
  expose(service: string): void {
    if (this.registry === undefined) throw new ConfigError(`cannot expose ${service}: the control plane has no registry; pass { registry: 'registry' }`);
    if (!this.services.has(service)) this.services.set(service, new ServiceObject(service, { registry: this.registry, heartbeatMs: this.heartbeatMs }));
  }

  /** Starts a rollout of a new pod template (rolling or recreate, as the deployment says); returns its revision. */
  rollout(name: string, template: PodTemplate): number {
    const controller = this.controller(name);
    return controller.update(resolveTemplate(template, `deployment ${name}`), this.ctx.now());
  }

  /** Rolls the current update back to the previous revision (`kubectl rollout undo`). */
  rollback(name: string, reason = 'manual rollback'): void {
    this.controller(name).rollback(this.ctx.now(), reason);
  }

  /** Sets the replica count by hand. */
  scale(name: string, replicas: number): void {
    checkReplicas(replicas, `scale ${name}`);
    this.controller(name).scaleTo(replicas);
  }

  /** Attaches a horizontal pod autoscaler to a deployment. */
  autoscale(name: string, options: HpaOptions): void {
    this.controller(name).attachAutoscaler(resolveHpa(options, `autoscaler of ${name}`), this.ctx.now());
  }

  /** Crash-loop fault: every live pod of `name` crashes now and on each of its next `starts` starts. */
  crashLoop(name: string, starts: number): void {
    if (!Number.isInteger(starts) || starts < 0) throw new ConfigError(`crash-loop of ${name}: starts is ${starts}; use a whole number >= 0`);
    this.controller(name).crashLoop(starts);
  }

  /** The deployment's status now. */
  status(name: string): DeploymentStatus {
    return this.controller(name).status();
  }

  /** The deployment's pods now, in creation order. */
  pods(name: string): PodStatus[] {
    return this.controller(name).podStatuses();
  }

  /** Every rollout of the deployment so far, oldest first. */
  rollouts(name: string): readonly RolloutRecord[] {
    return this.controller(name).rollouts;
  }

  /** Pod uptime of the deployment so far, in seconds: plain, and sized by each pod's dominant resource. */
  cost(name: string): { podSeconds: number; sizedInstanceSeconds: number } {
    return this.controller(name).cost();
  }

  /** Pods registered in discovery for `service` now. */
  endpoints(service: string): string[] {
    return this.services.get(service)?.registered ?? [];
  }

  /** Deployment names, in creation order. */
  deployments(): string[] {
    return [...this.controllers.keys()];
  }

  /** The controller of one deployment; a ConfigError lists the known ones. */
  controller(name: string): DeploymentController {
    const controller = this.controllers.get(name);
    if (controller === undefined) {
      throw new ConfigError(`unknown deployment '${name}': known deployments are ${[...this.controllers.keys()].join(', ') || '(none)'}`);
    }
    return controller;
  }

  /** The control plane node's service: starts the reconcile loop, answers `status`. */
  private start(ctx: NodeContext): ServiceDefinition {
    this.context = ctx;
    // Probes sent by the previous process of this node can never be answered: stop waiting for them.
    for (const controller of this.controllers.values()) {
      for (const pod of controller.pods.values()) {
        pod.readiness.abandon();
        pod.liveness.abandon();
      }
    }
    return {
      handlers: {
        status: () => [...this.controllers.values()].map((controller) => controller.status()),
      },
      onStart: () => {
        ctx.setTimer(0, this.tick, BACKGROUND);
      },
    };
  }

  private readonly tick = (): void => {
    const ctx = this.ctx;
    const nowMs = ctx.now();
    for (const controller of this.controllers.values()) controller.reconcile(nowMs);
    for (const [service, object] of this.services) object.sync(ctx, this.readyPods(service), nowMs);
    ctx.setTimer(this.syncIntervalMs, this.tick, BACKGROUND);
  };

  private readyPods(service: string): string[] {
    const ready: string[] = [];
    for (const controller of this.controllers.values()) if (controller.spec.service === service) ready.push(...controller.readyPods());
    return ready;
  }
}
