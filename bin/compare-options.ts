// The options of `sim compare`, parsed and checked once: seeds (at least two), confidence in (0, 1),
// precision a fraction in (0, 1), workers; each bad value is one line naming the fix.
import { checkOutputs } from './output-paths.ts';
import { UsageError } from './cli-errors.ts';
import { parseSeedRange } from './seed.ts';
import { defaultWorkers } from './sweep-pool.ts';

/** Options of `sim compare`, as commander parses them. */
export interface CompareCommandOptions {
  seeds?: string;
  seed?: string;
  workers?: string;
  baseline?: string;
  confidence?: string;
  precision?: string;
  json?: boolean;
  report?: string;
}

/** The checked options. */
export interface CompareSettings {
  seeds: number[];
  workers: number;
  baseline?: string;
  confidence: number;
  /** Stop adding seeds once every interval's half-width is within this fraction of its mean. */
  precision?: number;
  json: boolean;
  report?: string;
}

/** Default confidence of every interval. */
export const DEFAULT_CONFIDENCE = 0.95;
/** Most seeds one comparison runs (they stay in memory, as small entries). */
export const MAX_COMPARE_SEEDS = 100_000;

/** Parses the options; throws UsageError (exit 2) on bad input. */
export function parseCompareOptions(options: CompareCommandOptions): CompareSettings {
  if (options.seeds === undefined) {
    const hint = options.seed !== undefined ? `; for one seed's side-by-side table use sim run <scenario> --seed ${options.seed}` : '';
    throw new UsageError(`sim compare needs --seeds A..B with at least 2 seeds (example: --seeds 1..30): one seed is an anecdote${hint}`);
  }
  const range = parseSeedRange(options.seeds);
  const count = range.last - range.first + 1;
  if (count < 2) throw new UsageError(`--seeds ${options.seeds} holds ${count} seed: a comparison needs at least 2 (example: --seeds 1..30)`);
  if (count > MAX_COMPARE_SEEDS) throw new UsageError(`--seeds ${options.seeds} holds ${count} seeds: compare at most ${MAX_COMPARE_SEEDS}, or use --precision to stop once the intervals are narrow`);
  const seeds = Array.from({ length: count }, (_, index) => range.first + index);
  checkOutputs([['--report', options.report, 'folder']]);
  const confidence = options.confidence !== undefined ? parseFraction(options.confidence, '--confidence', 'e.g. --confidence 0.95') : DEFAULT_CONFIDENCE;
  const precision = options.precision !== undefined ? parseFraction(options.precision, '--precision', 'e.g. --precision 0.05 stops when every half-width is within 5% of its mean') : undefined;
  if (options.workers !== undefined && (!/^\s*\d+\s*$/.test(options.workers) || Number(options.workers) < 1)) {
    throw new UsageError(`--workers must be a whole number >= 1, got '${options.workers}'`);
  }
  return {
    seeds,
    workers: options.workers !== undefined ? Number(options.workers) : defaultWorkers(),
    ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
    confidence,
    ...(precision !== undefined ? { precision } : {}),
    json: options.json ?? false,
    ...(options.report !== undefined ? { report: options.report } : {}),
  };
}

/** A number strictly between 0 and 1. */
function parseFraction(text: string, flag: string, example: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !(value > 0 && value < 1)) {
    throw new UsageError(`${flag} must be a fraction strictly between 0 and 1, got '${text}' (${example})`);
  }
  return value;
}
