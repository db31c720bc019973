// The sweep's progress bar: on stderr, only when stderr is a TTY (DESIGN §6), cleared at the end so
// the summary on stdout reads cleanly.
import cliProgress from 'cli-progress';

/** A progress display; a no-op when stderr is not a terminal. */
export interface SweepProgress {
  /** One more seed finished. */
  tick(failed: boolean): void;
  /** Removes the bar. */
  stop(): void;
}

/** A bar over `total` seeds, starting from `done` (seeds a resumed sweep already has). */
export function createProgress(total: number, done: number, stream: NodeJS.WriteStream = process.stderr): SweepProgress {
  if (!stream.isTTY) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'sweep {bar} {value}/{total} seeds | {failed} failed | {duration_formatted} elapsed, eta {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let failed = 0;
  bar.start(total, done, { failed });
  return {
    tick(seedFailed: boolean): void {
      if (seedFailed) failed++;
      bar.increment(1, { failed });
    },
    stop(): void {
      bar.stop();
    },
  };
}
