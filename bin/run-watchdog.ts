// `sim run` under the watchdog: the command runs in a worker thread with a heap limit while this
// thread watches the clock; a variant run past --seed-timeout or the heap limit is stopped and
// reported like any failed seed (kind liveness or resource, seed, variant, replay line; exit 1).
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { EXIT, UsageError, oneLine } from './cli-errors.ts';
import { printJson } from './output.ts';
import type { RunCommandOptions } from './commands/run.ts';
import type { ShrinkCommandOptions } from './commands/shrink.ts';
import type { RunWorkerData, RunWorkerMessage, WatchedCommand, WatchedStart } from './run-worker.ts';
import { RunClock, WATCHDOG_INTERVAL_MS, outOfMemory, runawayFailure, threadExited, timedOut, uncaught, watchdogLimits, type Runaway } from './watchdog.ts';

/** The launcher registers tsx inside the thread before it loads the TypeScript entry. */
const WORKER_URL = new URL('./run-worker.js', import.meta.url);

/** Options of `sim run` with the watchdog's own. */
export interface WatchedRunOptions extends RunCommandOptions, ShrinkCommandOptions {
  /** Seconds one variant run may take (default: see bin/watchdog.ts; 0 for no limit). */
  seedTimeout?: string;
  /** Heap limit of the thread, in MB. */
  maxHeapMb?: string;
}

/** Runs `sim run` (or `sim shrink`) in a watched worker thread; resolves with the exit code. */
export async function runWatched(file: string, options: WatchedRunOptions, command: WatchedCommand = 'run'): Promise<number> {
  const { seedTimeout, maxHeapMb, ...runOptions } = options;
  const limits = watchdogLimits({ ...(seedTimeout !== undefined ? { seedTimeout } : {}), ...(maxHeapMb !== undefined ? { maxHeapMb } : {}) }, 1);
  // No limit asked for: run in this thread, as before the watchdog (no start-up cost; debuggers
  // attached with --inspect see the run directly).
  if (limits.seedTimeoutMs === 0 && maxHeapMb === undefined) return await (await import('./run-worker.ts')).runUnwatched(file, command, runOptions);
  const clock = new RunClock(limits);
  const data: RunWorkerData = {
    file,
    command,
    options: runOptions,
    terminal: { stdoutIsTTY: Boolean(process.stdout.isTTY), stderrIsTTY: Boolean(process.stderr.isTTY), columns: process.stdout.columns },
  };
  const worker = new Worker(WORKER_URL, { workerData: data, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb } });
  const startedMs = performance.now();
  let current: { start: WatchedStart; startedMs: number } | undefined;
  let exitCode: number | undefined;

  return await new Promise<number>((resolve, reject) => {
    let settled = false;
    const timer = setInterval(() => {
      const nowMs = performance.now();
      if (current && nowMs - current.startedMs > clock.limitMs) stop(timedOut(clock.limitMs));
      else if (!current && exitCode === undefined && nowMs - startedMs > clock.loadLimitMs) {
        finish(() => reject(new UsageError(`${file} did not finish loading within ${Math.round(clock.loadLimitMs / 1000)} s: look for an infinite loop at the top level of the module`)));
      }
    }, WATCHDOG_INTERVAL_MS);
    const finish = (then: () => void): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      void worker.terminate().then(then);
    };
    const stop = (runaway: Runaway): void => {
      const start = current;
      if (!start) {
        finish(() => reject(new UsageError(`${file}: the run stopped before any variant started: ${runaway.message}`)));
        return;
      }
      finish(() => resolve(reportRunaway(runOptions, start.start, runaway)));
    };
    worker.on('message', (message: RunWorkerMessage) => {
      if (message.type === 'variant') {
        const nowMs = performance.now();
        if (current) clock.finished(nowMs - current.startedMs);
        const { type: _type, ...start } = message;
        current = { start, startedMs: nowMs };
      } else {
        exitCode = message.exitCode;
        current = undefined;
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') stop(outOfMemory(limits.maxHeapMb));
      else if (current) stop(uncaught(error));
      else finish(() => reject(error));
    });
    worker.on('exit', (code) => {
      if (settled) return;
      if (exitCode !== undefined) finish(() => resolve(exitCode!));
      else if (current) stop(threadExited(code));
      else finish(() => reject(new Error(`the run's thread exited with code ${code} before any run started`)));
    });
  });
}

/** Prints the runaway run as a failed seed (human or JSON), with the replay line; returns exit 1. */
function reportRunaway(options: RunCommandOptions, start: WatchedStart, runaway: Runaway): number {
  const replay = start.replay;
  const failure = runawayFailure(runaway);
  if (options.json) {
    printJson({
      scenario: start.scenario,
      seed: start.seed,
      ok: false,
      traceHash: '',
      variants: [{ name: start.variant, ok: false, traceHash: '', simulatedMs: 0, events: 0, failures: [failure] }],
      replay,
    });
  } else {
    process.stdout.write(`✗ ${start.scenario} seed=${start.seed} variant=${start.variant}: ${runaway.kind} '${runaway.check}': ${runaway.message}\nreplay: ${replay}\n`);
  }
  process.stderr.write(`sim: seed ${start.seed}, variant ${start.variant}: ${oneLine(runaway.message)}\n`);
  return EXIT.checkFailed;
}
