// A pool of worker threads for a sweep: each worker loads the scenario once and is fed seeds in
// small batches, one batch queued ahead, so no worker waits for the main thread between seeds.
// A watchdog stops a worker whose run goes past the wall-clock or heap limit, reports that seed as
// failed, and replaces the worker, so one runaway seed never stops the sweep.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { InternalRunError, UsageError } from './cli-errors.ts';
import { replayCommand } from './replay-command.ts';
import type { SweepSeedEntry } from './sweep-summary.ts';
import type { RunSeedsMessage, SweepWorkerData, WorkerMessage } from './sweep-worker.ts';
import type { VariantStart } from '../sim/harness/run-progress.ts';
import { RunClock, WATCHDOG_INTERVAL_MS, defaultMaxHeapMb, outOfMemory, runawayEntry, threadExited, timedOut, uncaught, type Runaway, type WatchdogLimits } from './watchdog.ts';

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
  /** Wall-clock and heap limits of each run; default: the adaptive timeout and a share of memory. */
  limits?: WatchdogLimits;
  /** Young generation of each worker in MB (V8's default is 48: three 16 MB semi-spaces). */
  youngGenerationMb?: number;
}

/** One worker and what the pool knows of it. */
interface Slot {
  worker: Worker;
  /** Seeds posted to it and not yet reported, in order: the first is running (or about to). */
  posted: number[];
  /** The variant run in progress and when it started (performance.now(), ms). */
  current: { start: VariantStart; startedMs: number } | undefined;
  ready: boolean;
  spawnedMs: number;
}

/** Runs seeds on worker threads; `stop()` ends a run early (its finished seeds were already reported). */
export class SweepPool {
  private slots = new Set<Slot>();
  private settle: ((error?: unknown) => void) | undefined;

  constructor(private readonly options: SweepPoolOptions) {}

  /** Runs every seed; resolves when all are reported or `stop()` is called, rejects on a worker error. */
  run(seeds: readonly number[]): Promise<void> {
    if (seeds.length === 0) return Promise.resolve();
    const { workers: wanted, onResult, batchSize, limits: given, youngGenerationMb, ...data } = this.options;
    const count = Math.max(1, Math.min(wanted, seeds.length));
    const limits: WatchdogLimits = given ?? { maxHeapMb: defaultMaxHeapMb(count) };
    const clock = new RunClock(limits);
    let next = 0;
    /** Seeds taken back from a replaced worker: they run before the rest. */
    const retry: number[] = [];
    let finished = 0;
    const left = (): number => retry.length + seeds.length - next;
    // Big batches while many seeds are left, single seeds at the end: no worker idles while
    // another still holds a queue of seeds.
    const batchFor = (): number => batchSize ?? Math.max(1, Math.min(8, Math.floor(left() / (count * 4))));
    const take = (size: number): number[] => {
      const batch = retry.splice(0, size);
      while (batch.length < size && next < seeds.length) batch.push(seeds[next++]!);
      return batch;
    };

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setInterval(() => watch(), WATCHDOG_INTERVAL_MS);
      timer.unref();
      this.settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        const workers = [...this.slots].map((slot) => slot.worker);
        this.slots.clear();
        // Terminate first, so an error or a stop never leaves threads running behind the caller.
        void Promise.all(workers.map((worker) => worker.terminate())).then(() => (error === undefined ? resolve() : reject(error)));
      };
      const report = (entry: SweepSeedEntry): void => {
        finished++;
        onResult(entry);
        if (finished === seeds.length) this.settle?.();
      };
      const feed = (slot: Slot): void => {
        // Keep one batch queued behind the one running.
        while (slot.ready && slot.posted.length <= batchFor() && left() > 0) {
          const batch = take(batchFor());
          slot.posted.push(...batch);
          slot.worker.postMessage({ type: 'run', seeds: batch } satisfies RunSeedsMessage);
        }
      };
      /** Stops a worker's runaway seed: reported as failed, its other seeds go back to the queue. */
      const replace = (slot: Slot, runaway: Runaway): void => {
        if (!this.slots.delete(slot)) return;
        void slot.worker.terminate();
        const start = slot.current?.start;
        if (start === undefined) {
          this.settle?.(new UsageError(`${data.file}: a sweep worker stopped before any run started: ${runaway.message}`));
          return;
        }
        slot.posted.splice(slot.posted.indexOf(start.seed), 1);
        retry.unshift(...slot.posted);
        report(runawayEntry(start, runaway));
        if (!settled && left() > 0) spawn();
      };
      const watch = (): void => {
        const nowMs = performance.now();
        const limitMs = clock.limitMs;
        for (const slot of this.slots) {
          if (slot.current && nowMs - slot.current.startedMs > limitMs) replace(slot, timedOut(limitMs));
          else if (!slot.ready && nowMs - slot.spawnedMs > clock.loadLimitMs) {
            this.settle?.(new UsageError(`${data.file} did not finish loading within ${Math.round(clock.loadLimitMs / 1000)} s: look for an infinite loop at the top level of the module`));
          }
        }
      };
      const spawn = (): void => {
        const worker = new Worker(WORKER_URL, {
          workerData: data satisfies SweepWorkerData,
          execArgv: [],
          stdout: true,
          resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb, ...(youngGenerationMb !== undefined ? { maxYoungGenerationSizeMb: youngGenerationMb } : {}) },
        });
        const slot: Slot = { worker, posted: [], current: undefined, ready: false, spawnedMs: performance.now() };
        this.slots.add(slot);
        // Whatever scenario code prints must not reach stdout, where --json prints its one object.
        worker.stdout.pipe(process.stderr, { end: false });
        worker.on('message', (message: WorkerMessage) => {
          if (settled || !this.slots.has(slot)) return;
          if (message.type === 'ready') {
            slot.ready = true;
            feed(slot);
          } else if (message.type === 'variant') {
            const nowMs = performance.now();
            if (slot.current) clock.finished(nowMs - slot.current.startedMs);
            const { type: _type, ...start } = message;
            slot.current = { start, startedMs: nowMs };
          } else if (message.type === 'result') {
            if (slot.current) clock.finished(performance.now() - slot.current.startedMs);
            slot.current = undefined;
            const index = slot.posted.indexOf(message.entry.seed);
            if (index >= 0) slot.posted.splice(index, 1);
            report(message.entry);
            if (!settled) feed(slot);
          } else {
            // The worker sent its error's stack as text: its first line is the error, the rest where.
            const [thrown = '', ...frames] = message.message.split('\n');
            const failed = Object.assign(new Error(thrown), { name: 'a sweep worker failed', stack: [thrown, ...frames].join('\n') });
            const start = slot.current?.start;
            const place = start && { seed: start.seed, variant: start.variant, replay: replayCommand(data.file, start.seed, start.variant, data.swarm ? ['--swarm'] : []) };
            this.settle?.(message.usage ? new UsageError(message.message) : place ? new InternalRunError(failed, place) : failed);
          }
        });
        worker.on('error', (error: Error & { code?: string }) => {
          if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') replace(slot, outOfMemory(limits.maxHeapMb));
          else if (slot.current) replace(slot, uncaught(error));
          else this.settle?.(error);
        });
        worker.on('exit', (code) => {
          if (settled || !this.slots.has(slot)) return;
          if (slot.current) replace(slot, threadExited(code));
          else this.settle?.(new Error(`a sweep worker exited with code ${code} before the sweep finished`));
        });
      };
      for (let index = 0; index < count; index++) spawn();
    });
  }

  /** Stops the run: workers are terminated and `run()` resolves; seeds in flight are dropped. */
  stop(): void {
    this.settle?.();
  }
}
