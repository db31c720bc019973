// A sweep's worker thread: loads the scenario once, then runs the seeds the pool posts, one after
// another (a thread holds one simulation at a time), and posts back each seed's small entry.
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from './load-scenario.ts';
import { UsageError } from './cli-errors.ts';
import { ConfigError } from '../sim/engine/errors.ts';
import { runScenario } from '../sim/harness/runner.ts';
import { watchVariantStarts, type VariantStart } from '../sim/harness/run-progress.ts';
import type { Scenario } from '../sim/harness/scenario.ts';
import { seedEntry, type SweepSeedEntry } from './sweep-summary.ts';
import { RejectionTrap, withEscapedRejection } from './rejection-trap.ts';

/** What the pool gives each worker when it starts it. */
export interface SweepWorkerData {
  file: string;
  swarm: boolean;
  variant?: string;
}

/** Pool → worker: run these seeds, in order. */
export interface RunSeedsMessage {
  type: 'run';
  seeds: number[];
}

/**
 * Worker → pool. `usage` errors are bad input (exit 2); others are simulator bugs. `variant` tells
 * the pool's watchdog which run is in progress, so a run that never returns is named when stopped.
 */
export type WorkerMessage =
  | { type: 'ready' }
  | ({ type: 'variant' } & VariantStart)
  | { type: 'result'; entry: SweepSeedEntry }
  | { type: 'error'; message: string; usage: boolean };

async function serve(port: NonNullable<typeof parentPort>, data: SweepWorkerData): Promise<void> {
  const post = (message: WorkerMessage): void => port.postMessage(message);
  const trap = new RejectionTrap();
  watchVariantStarts((start) => post({ type: 'variant', ...start }));
  let definition: Scenario;
  try {
    definition = await loadScenario(data.file);
  } catch (error) {
    post(failure(error));
    return;
  }
  const queue: number[] = [];
  let draining = false;
  // Messages may arrive while a seed runs; seeds queue up and run strictly one at a time.
  const drain = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    try {
      while (queue.length > 0) {
        const seed = queue.shift()!;
        const result = await runScenario(definition, seed, { swarm: data.swarm, ...(data.variant !== undefined ? { variant: data.variant } : {}) });
        const escaped = await trap.take();
        post({ type: 'result', entry: seedEntry(escaped ? withEscapedRejection(result, escaped.reason) : result) });
      }
    } catch (error) {
      queue.length = 0;
      post(failure(error));
    } finally {
      draining = false;
    }
  };
  port.on('message', (message: RunSeedsMessage) => {
    queue.push(...message.seeds);
    void drain();
  });
  post({ type: 'ready' });
}

function failure(error: unknown): WorkerMessage {
  const usage = error instanceof UsageError || error instanceof ConfigError;
  const message = usage ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { type: 'error', message, usage };
}

if (parentPort) await serve(parentPort, workerData as SweepWorkerData);
