// Rate profiles over time: a piecewise-constant list of points, or a CSV of `time,rate` (seconds,
// per second) or `timeMs,ratePerSec`. Compiled to the `ratePerSec(nowMs)` function a workload takes.
import { ConfigError } from '../sim/index.ts';

/** One point: from `atMs` on, the rate is `ratePerSec` (until the next point). */
export interface RatePoint {
  atMs: number;
  ratePerSec: number;
}

/** Most rows a CSV profile may have (a limit on input, like every other list). */
const MAX_ROWS = 100_000;

/** Parses a CSV rate profile; `file` names it in errors. */
export function parseRateCsv(text: string, file: string): RatePoint[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const header = lines.shift()?.split(',').map((cell) => cell.trim().toLowerCase());
  const scale = header?.[0] === 'time' && header[1] === 'rate' ? 1000 : header?.[0] === 'timems' && header[1] === 'ratepersec' ? 1 : undefined;
  if (scale === undefined) throw new ConfigError(`${file}:1: a rate profile CSV starts with the header "time,rate" (seconds, per second) or "timeMs,ratePerSec"`);
  if (lines.length === 0) throw new ConfigError(`${file}: the rate profile has no rows: add lines like "0,50"`);
  if (lines.length > MAX_ROWS) throw new ConfigError(`${file}: the rate profile has ${lines.length} rows; at most ${MAX_ROWS}`);
  const points = lines.map((line, index) => {
    const cells = line.split(',').map((cell) => Number(cell.trim()));
    const [time, rate] = cells;
    if (cells.length !== 2 || !Number.isFinite(time) || !Number.isFinite(rate) || time! < 0 || rate! < 0) {
      throw new ConfigError(`${file}:${index + 2}: expected "time,rate" with two numbers >= 0, got "${line}"`);
    }
    return { atMs: time! * scale, ratePerSec: rate! };
  });
  return checkProfile(points, file);
}

/** Checks that the points are in time order and returns them. */
export function checkProfile(points: RatePoint[], where: string): RatePoint[] {
  for (let index = 1; index < points.length; index++) {
    if (points[index]!.atMs <= points[index - 1]!.atMs) {
      throw new ConfigError(`${where}: rate profile times must increase: point ${index} (${points[index]!.atMs} ms) is not after point ${index - 1} (${points[index - 1]!.atMs} ms)`);
    }
  }
  if (!points.some((point) => point.ratePerSec > 0)) throw new ConfigError(`${where}: every rate in the profile is 0: the workload would send nothing`);
  return points;
}

/** The rate at virtual time `nowMs`: the last point at or before it (0 before the first). */
export function profileRate(points: readonly RatePoint[]): (nowMs: number) => number {
  return (nowMs) => {
    // Binary search: profiles can be long, and this runs on every arrival.
    let low = 0;
    let high = points.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (points[middle]!.atMs <= nowMs) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found < 0 ? 0 : points[found]!.ratePerSec;
  };
}
