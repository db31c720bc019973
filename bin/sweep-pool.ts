// A pool of worker threads for a sweep: each worker loads the scenario once and is fed seeds in
// small batches, one batch queued ahead, so no worker waits for the main thread between seeds.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { UsageError } from './cli-errors.ts';
import type { SweepSeedEntry } from './sweep-summary.ts';
import type { RunSeedsMessage, SweepWorkerData, WorkerMessage } from './sweep-worker.ts';

/** The launcher registers tsx inside the thread before it loads the TypeScript entry. */
const WORKER_URL = new URL('./sweep-worker.js', import.meta.url);

/** Default worker count: the cores this process may use. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** Options of a pool. */
export interface SweepPoolOptions extends SweepWorkerData {
  /** Worker threads (at most one per seed is started). */
  workers: number;
  /** Seeds per message; default: up to 8, fewer as the sweep nears its end so the tail stays balanced. */
  batchSize?: number;
  /** Called in the main thread for every finished seed, in completion order. */
  onResult: (entry: SweepSeedEntry) => void;
  /** Young generation of each worker in MB (V8's default is 48: three 16 MB semi-spaces). */
  youngGenerationMb?: number;
}

/** Runs seeds on worker threads; `stop()` ends a run early (its finished seeds were already reported). */
export class SweepPool {
  private workers: Worker[] = [];
  private settle: ((error?: unknown) => void) | undefined;

  constructor(private readonly options: SweepPoolOptions) {}

  /** Runs every seed; resolves when all are reported or `stop()` is called, rejects on a worker error. */
  run(seeds: readonly number[]): Promise<void> {
    if (seeds.length === 0) return Promise.resolve();
    const { workers: wanted, onResult, batchSize, youngGenerationMb, ...data } = this.options;
    const count = Math.max(1, Math.min(wanted, seeds.length));
    let next = 0;
    let finished = 0;
    // Big batches while many seeds are left, single seeds at the end: no worker idles while
    // another still holds a queue of seeds.
    const batchFor = (): number => batchSize ?? Math.max(1, Math.min(8, Math.floor((seeds.length - next) / (count * 4))));
    const outstanding = new Map<Worker, number>();

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      this.settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        const workers = this.workers;
        this.workers = [];
        // Terminate first, so an error or a stop never leaves threads running behind the caller.
        void Promise.all(workers.map((worker) => worker.terminate())).then(() => (error === undefined ? resolve() : reject(error)));
      };
      const feed = (worker: Worker): void => {
        // Keep one batch queued behind the one running.
        while ((outstanding.get(worker) ?? 0) <= batchFor() && next < seeds.length) {
          const slice = seeds.slice(next, next + batchFor());
          next += slice.length;
          outstanding.set(worker, (outstanding.get(worker) ?? 0) + slice.length);
          worker.postMessage({ type: 'run', seeds: slice } satisfies RunSeedsMessage);
        }
      };
      for (let index = 0; index < count; index++) {
        const resourceLimits = youngGenerationMb === undefined ? {} : { resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb } };
        const worker = new Worker(WORKER_URL, { workerData: data satisfies SweepWorkerData, execArgv: [], stdout: true, ...resourceLimits });
        // Whatever scenario code prints must not reach stdout, where --json prints its one object.
        worker.stdout.pipe(process.stderr, { end: false });
        this.workers.push(worker);
        worker.on('message', (message: WorkerMessage) => {
          if (settled) return;
          if (message.type === 'ready') {
            feed(worker);
          } else if (message.type === 'result') {
            outstanding.set(worker, (outstanding.get(worker) ?? 1) - 1);
            finished++;
            onResult(message.entry);
            if (finished === seeds.length) this.settle?.();
            else feed(worker);
          } else {
            this.settle?.(message.usage ? new UsageError(message.message) : new Error(`a sweep worker failed: ${message.message}`));
          }
        });
        worker.on('error', (error) => this.settle?.(error));
        worker.on('exit', (code) => {
          if (!settled) this.settle?.(new Error(`a sweep worker exited with code ${code} before the sweep finished`));
        });
      }
    });
  }

  /** Stops the run: workers are terminated and `run()` resolves; seeds in flight are dropped. */
  stop(): void {
    this.settle?.();
  }
}
