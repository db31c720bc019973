// CPU time of this process's threads during a sweep, split three ways, so the benchmark shows where
// a sweep's CPU goes: the main thread (the pool), the threads the pool started (sweep workers and
// their module-loader threads), and the threads that were there before (V8's garbage-collector and
// compiler helpers, libuv). Read from /proc (Linux); elsewhere the split is left out.
import { readFileSync, readdirSync } from 'node:fs';

/** CPU time of each group of threads, in ms. */
export interface ThreadCpuSplit {
  mainThreadCpuMs: number;
  poolThreadsCpuMs: number;
  helperThreadsCpuMs: number;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;
/** How often the threads are read (a thread that ends before the last result loses at most this much of its CPU time); rarely, so the reading costs the main thread next to nothing. */
const SAMPLE_INTERVAL_MS = 1000;

/** Samples thread CPU times from when it is created until `stop()`. */
export class ThreadCpuMeter {
  private readonly startMs = new Map<string, number>();
  private readonly lastMs = new Map<string, number>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly available: boolean;

  constructor() {
    this.available = process.platform === 'linux' && readThreads() !== undefined;
    if (!this.available) return;
    for (const [tid, cpuMs] of readThreads()!) this.startMs.set(tid, cpuMs);
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Reads every thread now (call it before threads end, e.g. on each result). */
  sample(): void {
    if (!this.available) return;
    for (const [tid, cpuMs] of readThreads() ?? []) this.lastMs.set(tid, cpuMs);
  }

  /** Stops sampling; the split, or undefined where /proc is not there. */
  stop(): ThreadCpuSplit | undefined {
    if (!this.available) return undefined;
    clearInterval(this.timer);
    this.sample();
    const split: ThreadCpuSplit = { mainThreadCpuMs: 0, poolThreadsCpuMs: 0, helperThreadsCpuMs: 0 };
    for (const [tid, cpuMs] of this.lastMs) {
      const usedMs = cpuMs - (this.startMs.get(tid) ?? 0);
      if (tid === String(process.pid)) split.mainThreadCpuMs += usedMs;
      else if (this.startMs.has(tid)) split.helperThreadsCpuMs += usedMs;
      else split.poolThreadsCpuMs += usedMs;
    }
    return split;
  }
}

/** CPU ms (user + system) of each thread of this process, by thread id; undefined without /proc. */
function readThreads(): Map<string, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const times = new Map<string, number>();
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state is the 1st, utime the 12th, stime the 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(tid, ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND);
    } catch {
      // The thread ended between listing and reading: its last sample stands.
    }
  }
  return times;
}
