// What each node was doing over a run, for reports: time-averaged utilisation, queue length and
// requests in flight (from the node's load meter), plus its request and crash counters.
import type { SimNode } from '../world/node.ts';

/** One slice of a node's load over time, for charts. */
export interface NodeLoadPoint {
  startMs: number;
  endMs: number;
  /** Mean busy workers / workers over the slice, in [0, 1]. */
  utilization: number;
  /** Mean requests waiting for a worker over the slice. */
  queueLength: number;
}

/** One node's figures over a run; means are over the time the node was up. */
export interface NodeFigures {
  node: string;
  /** The service the node is a replica of: its `deployment` label, else its name without a replica number (`shop-2` → `shop`). */
  service: string;
  workers: number;
  /** Virtual ms the node was up. */
  upMs: number;
  /** Mean busy workers / workers while up, in [0, 1]. */
  utilization: number;
  /** Mean requests waiting for a worker while up. */
  meanQueueLength: number;
  /** Mean requests in the node (in a worker or waiting) while up. */
  meanInFlight: number;
  /** Requests admitted (started or queued). */
  admitted: number;
  /** Requests refused because the queue was full, or dropped from it past their deadline. */
  shed: number;
  /** Requests that ended with an error. */
  failed: number;
  /** Requests that ended successfully. */
  completed: number;
  crashes: number;
  series: NodeLoadPoint[];
}

/**
 * The service a node is a replica of: a pod's deployment (`orders-v1-3` → `orders`), else the name
 * without its replica number (`shop-2` → `shop`). Not the `service` label: a service's database
 * node carries it too, and is no replica.
 */
export function serviceOf(node: Pick<SimNode, 'name' | 'options'>): string {
  return node.options.labels.deployment ?? node.name.replace(/-\d+$/, '');
}

/** Closes every node's load integral at `nowMs` and reads its figures. */
export function nodeFigures(nodes: readonly SimNode[], nowMs: number): NodeFigures[] {
  return nodes.map((node) => {
    node.loadMeter.advance(nowMs, node.busyWorkers, node.waiting.length);
    const upMs = node.uptimeMs();
    const workers = node.options.workers;
    const perUpMs = (integral: number): number => (upMs > 0 ? integral / upMs : 0);
    return {
      node: node.name,
      service: serviceOf(node),
      workers,
      upMs,
      utilization: perUpMs(node.loadMeter.busyWorkerMs) / workers,
      meanQueueLength: perUpMs(node.loadMeter.queuedRequestMs),
      meanInFlight: perUpMs(node.loadMeter.busyWorkerMs + node.loadMeter.queuedRequestMs),
      admitted: node.stats.admitted,
      shed: node.stats.shed,
      failed: node.stats.failed,
      completed: node.stats.completed,
      crashes: node.stats.crashes,
      series: node.loadMeter.buckets(nowMs).map((bucket) => ({
        startMs: bucket.startMs,
        endMs: bucket.endMs,
        utilization: bucket.busyWorkers / workers,
        queueLength: bucket.queueLength,
      })),
    };
  });
}
