// Which run is in progress, for a watchdog outside the thread: the CLI's worker threads tell their
// parent each time a variant starts, so a seed that never returns is reported by seed and variant.

/** A variant's run on one seed, about to start. */
export interface VariantStart {
  scenario: string;
  seed: number;
  variant: string;
}

let listener: ((start: VariantStart) => void) | undefined;

/** Calls `onStart` before every variant run in this thread (replacing any earlier listener). */
export function watchVariantStarts(onStart: ((start: VariantStart) => void) | undefined): void {
  listener = onStart;
}

/** Called by the runner as a variant's run begins. */
export function variantStarting(start: VariantStart): void {
  listener?.(start);
}
