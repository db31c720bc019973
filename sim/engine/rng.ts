// Deterministic randomness for the simulator: seeded, forkable random streams (xor4096),
// the Distribution data type, and its validation, mean and description. Nothing here reads Math.random or real time.
import seedrandom from 'seedrandom';

/**
 * A distribution as data, so configurations can be printed, validated and replayed.
 * Every value field is in virtual milliseconds except the dimensionless `sigma` and `shape`.
 * Validate with {@link validateDistribution} at configuration time; {@link Rng.sample} does not re-check.
 */
export type Distribution =
  | { kind: 'constant'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'exponential'; mean: number }
  /** `min` clamps draws from below (default: no clamp, so draws can be negative). */
  | { kind: 'normal'; mean: number; stddev: number; min?: number }
  /** `median` = exp(mu) of the underlying normal; `sigma` is its standard deviation; `max` caps draws. */
  | { kind: 'lognormal'; median: number; sigma: number; max?: number }
  /** `scale` is the minimum value (x_m); `shape` is alpha; `max` caps the heavy tail. */
  | { kind: 'pareto'; scale: number; shape: number; max?: number };

import { ConfigError } from './errors.ts';

/** Re-exported: configuration errors thrown by validation here. */
export { ConfigError };

/** Scales for `next`, as a const enum: literals, not a module-context load and hole check per draw. */
const enum Scale {
  /** 2^32, to widen an unsigned 32-bit word. */
  TwoPow32 = 4294967296,
  /** 2^-53: scales a 53-bit integer into [0, 1) exactly. */
  TwoPowMinus53 = 1.1102230246251565e-16,
}
const TWO_PI = 2 * Math.PI;

/** Escapes `\` and `/` in a fork name so that fork('a/b') and fork('a').fork('b') get different seeds. */
function escapeForkName(name: string): string {
  return name.replace(/[\\/]/g, (c) => '\\' + c);
}

/**
 * A seeded pseudo-random stream built on seedrandom's xor4096 (Brent's xorgens).
 * Every draw is a pure function of the seed string and the number of earlier draws on this stream.
 * Methods that take a scale (mean, median, min, max...) return values in that same unit; the simulator uses virtual ms.
 */
export class Rng {
  /** The exact string fed to xor4096: `String(seed)` for a root stream, `<parent seed>/<name>` for a fork. `new Rng(r.seed)` replays `r`. */
  readonly seed: string;
  /** Human label for error messages: the stream name given, or `seed <seed>`; forks append `/<name>`. */
  readonly streamName: string;
  /** xor4096's 128 words of xor-shift state (seedrandom keeps them in a plain array and steps them in a closure). */
  private readonly words: Int32Array;
  /** xor4096's index of the word last written. */
  private wordIndex: number;
  /** xor4096's Weyl sequence. */
  private weyl: number;
  /** Second standard-normal deviate from the last Box–Muller pair, valid when `hasSpareNormal`. */
  private spareNormal = 0;
  private hasSpareNormal = false;

  /**
   * @param seed a non-negative safe integer or any string; `42` and `'42'` give the same stream.
   * @param streamName label used in error messages (default `seed <seed>`).
   * @throws RangeError if a numeric seed is negative, fractional or unsafe.
   */
  constructor(seed: number | string, streamName?: string) {
    if (typeof seed === 'number') {
      if (!Number.isSafeInteger(seed) || seed < 0) {
        throw new RangeError(`Rng seed must be a non-negative integer or a string, got ${seed}`);
      }
    } else if (typeof seed !== 'string') {
      throw new RangeError(`Rng seed must be a non-negative integer or a string, got ${typeof seed}`);
    }
    this.seed = String(seed);
    this.streamName = streamName ?? `seed ${this.seed}`;
    // Always seed with a string: xor4096 treats int32 numbers differently from strings, and we want 42 ≡ '42'.
    // seedrandom seeds the generator; the steps are taken here, on its state, without its closure layers.
    const state = seedrandom.xor4096(this.seed, { state: true }).state() as unknown as { X: number[]; i: number; w: number };
    this.words = Int32Array.from(state.X);
    this.wordIndex = state.i;
    this.weyl = state.w;
  }

  /** One xor4096 step: the signed 32-bit word seedrandom's `xor4096(seed).int32()` would return next. */
  private step(): number {
    const words = this.words;
    const weyl = (this.weyl = (this.weyl + 0x61c88647) | 0);
    let v = words[(this.wordIndex + 34) & 127]!;
    const index = (this.wordIndex + 1) & 127;
    let t = words[index]!;
    v ^= v << 13;
    t ^= t << 17;
    v ^= v >>> 15;
    t ^= t >>> 12;
    v = v ^ t;
    words[index] = v;
    this.wordIndex = index;
    return (v + (weyl ^ (weyl >>> 16))) | 0;
  }

  /**
   * A new independent stream whose seed is derived only from this stream's seed and `name`
   * (`<seed>/<name>`, with `/` and `\` in `name` escaped), never from how many draws were made,
   * so fork order and draw counts never shift other streams. The same name always gives the same
   * stream: use one distinct name per consumer.
   */
  fork(name: string): Rng {
    return new Rng(`${this.seed}/${escapeForkName(name)}`, `${this.streamName}/${name}`);
  }

  /**
   * Uniform in [0, 1) with 53 random bits (in practice never exactly 0). Bit-identical to
   * seedrandom's `xor4096(seed).double()`, but without its extra call layers. Consumes two xor4096 steps.
   */
  next(): number {
    let u: number;
    do {
      // Top 21 bits, then 32 bits: evaluated left to right, exactly as xor4096.double() does.
      u = ((this.step() >>> 11) * Scale.TwoPow32 + (this.step() >>> 0)) * Scale.TwoPowMinus53;
    } while (u === 0);
    return u;
  }

  /** Uniform in [min, max). Unchecked: pass min <= max. */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /**
   * A uniformly chosen integer in [minInclusive, maxExclusive).
   * @throws RangeError unless both bounds are safe integers and maxExclusive > minInclusive.
   */
  int(minInclusive: number, maxExclusive: number): number {
    if (!(maxExclusive > minInclusive) || !Number.isSafeInteger(minInclusive) || !Number.isSafeInteger(maxExclusive)) {
      throw new RangeError(
        `Rng.int on stream '${this.streamName}' needs integers with maxExclusive > minInclusive, got [${minInclusive}, ${maxExclusive})`,
      );
    }
    return minInclusive + Math.floor(this.next() * (maxExclusive - minInclusive));
  }

  /** Exponential with the given mean (>= 0), by inversion; one uniform per draw. Unchecked. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /**
   * Normal(mean, stddev) by the Box–Muller transform. Each pair of uniforms yields two deviates; the
   * second is kept for the next call, so the stream stays deterministic and allocation-free. Unchecked.
   */
  normal(mean: number, stddev: number): number {
    return mean + stddev * this.standardNormal();
  }

  /** Log-normal with the given median (= exp(mu)) and sigma (std. dev. of the log). Unchecked. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.standardNormal());
  }

  /** Pareto (type I) with minimum value `scale` and tail index `shape` (alpha > 0), by inversion; always >= scale. Unchecked. */
  pareto(scale: number, shape: number): number {
    return scale * Math.pow(1 - this.next(), -1 / shape);
  }

  /** True with probability `probability`: chance(0) never, chance(1) always. Always consumes exactly one uniform. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /**
   * A uniformly chosen element of `items`.
   * @throws RangeError if `items` is empty.
   */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) {
      throw new RangeError(`Rng.choice on stream '${this.streamName}' was given an empty array`);
    }
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A shuffled copy of `items` (Fisher–Yates); the input is not modified. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** One draw from `dist`, in its unit (virtual ms). Assumes `dist` passed {@link validateDistribution}. */
  sample(dist: Distribution): number {
    switch (dist.kind) {
      case 'constant':
        return dist.value;
      case 'uniform':
        return dist.min + (dist.max - dist.min) * this.next();
      case 'exponential':
        return -dist.mean * Math.log(1 - this.next());
      case 'normal': {
        const x = dist.mean + dist.stddev * this.standardNormal();
        return dist.min !== undefined && x < dist.min ? dist.min : x;
      }
      case 'lognormal': {
        const x = dist.median * Math.exp(dist.sigma * this.standardNormal());
        return dist.max !== undefined && x > dist.max ? dist.max : x;
      }
      case 'pareto': {
        const x = dist.scale * Math.pow(1 - this.next(), -1 / dist.shape);
        return dist.max !== undefined && x > dist.max ? dist.max : x;
      }
      default:
        return unknownKind(dist, this.streamName);
    }
  }

  /** A standard normal deviate (Box–Muller, caching the second of each pair). */
  private standardNormal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.next())); // 1 - u is in (0, 1]: log is finite
    const angle = TWO_PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    this.hasSpareNormal = true;
    return radius * Math.cos(angle);
  }
}

function unknownKind(dist: never, where: string): never {
  const kind = (dist as { kind?: unknown } | null)?.kind;
  throw new ConfigError(
    oneLine(`${where}: unknown distribution kind ${JSON.stringify(kind)}; use one of constant, uniform, exponential, normal, lognormal, pareto`),
  );
}

/** Collapses any line breaks so a ConfigError message stays on one line. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/**
 * Checks a distribution from configuration.
 * @param where what the distribution configures, e.g. 'link a->b latency'; it starts the error message.
 * @throws ConfigError with a one-line message naming `where`, the problem and the fix, when: the value is not
 * a distribution of a known kind; a field is missing or not a finite number; a constant, min, mean, median or
 * scale is negative; uniform min > max; stddev < 0; sigma < 0; or shape <= 0.
 */
export function validateDistribution(dist: Distribution, where: string): void {
  const fail = (problem: string, fix: string): never => {
    throw new ConfigError(oneLine(`${where}: ${problem}; ${fix}`));
  };
  if (typeof dist !== 'object' || dist === null) {
    fail(`expected a distribution object, got ${dist === null ? 'null' : typeof dist}`, 'give e.g. { kind: "constant", value: 5 }');
  }
  const d = dist as unknown as Record<string, unknown>;
  const kind = String(d['kind']);
  const finite = (field: string): number => {
    const v = d[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      fail(`${kind} ${field} must be a finite number, got ${typeof v === 'number' ? String(v) : JSON.stringify(v) ?? 'undefined'}`, `set ${field} to a finite number`);
    }
    return v as number;
  };
  const nonNegative = (field: string): number => {
    const v = finite(field);
    if (v < 0) fail(`${kind} ${field} is negative (${v})`, `set ${field} >= 0`);
    return v;
  };
  switch (dist.kind) {
    case 'constant':
      nonNegative('value');
      return;
    case 'uniform': {
      const min = nonNegative('min');
      const max = nonNegative('max');
      if (min > max) fail(`uniform min (${min}) is greater than max (${max})`, 'set min <= max');
      return;
    }
    case 'exponential':
      nonNegative('mean');
      return;
    case 'normal':
      nonNegative('mean');
      nonNegative('stddev');
      if (d['min'] !== undefined) nonNegative('min');
      return;
    case 'lognormal':
      nonNegative('median');
      nonNegative('sigma');
      if (d['max'] !== undefined && nonNegative('max') < (d['median'] as number)) fail(`lognormal max is below the median`, 'set max >= median');
      return;
    case 'pareto': {
      nonNegative('scale');
      const shape = finite('shape');
      if (shape <= 0) fail(`pareto shape must be > 0, got ${shape}`, 'set shape > 0 (shape > 1 for a finite mean)');
      if (d['max'] !== undefined && nonNegative('max') < (d['scale'] as number)) fail(`pareto max is below the scale`, 'set max >= scale');
      return;
    }
    default:
      unknownKind(dist, where);
  }
}

/** The standard normal CDF, via erf (Abramowitz & Stegun 7.1.26, absolute error < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * The mean of a distribution, in its unit (virtual ms), for reports. Infinity for pareto with shape <= 1.
 * For a normal with `min`, this is the mean of the clamped variable max(min, X) (to about 1e-7 relative precision).
 */
export function distributionMean(dist: Distribution): number {
  switch (dist.kind) {
    case 'constant':
      return dist.value;
    case 'uniform':
      return (dist.min + dist.max) / 2;
    case 'exponential':
      return dist.mean;
    case 'normal': {
      const { mean, stddev, min } = dist;
      if (min === undefined) return mean;
      if (stddev === 0) return Math.max(min, mean);
      // E[max(m, X)] = m·Φ(a) + μ·(1 − Φ(a)) + σ·φ(a), with a = (m − μ)/σ.
      const a = (min - mean) / stddev;
      const cdf = normalCdf(a);
      const pdf = Math.exp(-0.5 * a * a) / Math.sqrt(TWO_PI);
      return min * cdf + mean * (1 - cdf) + stddev * pdf;
    }
    case 'lognormal':
      return dist.median * Math.exp((dist.sigma * dist.sigma) / 2);
    case 'pareto':
      return dist.shape <= 1 ? Infinity : (dist.shape * dist.scale) / (dist.shape - 1);
    default:
      return unknownKind(dist, 'distributionMean');
  }
}

/** A number for humans: at most 6 significant digits, no float noise (0.30000000000000004 -> 0.3). */
function fmt(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** Short human text, e.g. "exp(mean 5ms)", "uniform(1..3ms)", "normal(mean 5ms, sd 1ms, min 0ms)". */
export function describeDistribution(dist: Distribution): string {
  switch (dist.kind) {
    case 'constant':
      return `${fmt(dist.value)}ms`;
    case 'uniform':
      return `uniform(${fmt(dist.min)}..${fmt(dist.max)}ms)`;
    case 'exponential':
      return `exp(mean ${fmt(dist.mean)}ms)`;
    case 'normal':
      return `normal(mean ${fmt(dist.mean)}ms, sd ${fmt(dist.stddev)}ms${dist.min === undefined ? '' : `, min ${fmt(dist.min)}ms`})`;
    case 'lognormal':
      return `lognormal(median ${fmt(dist.median)}ms, sigma ${fmt(dist.sigma)}${dist.max === undefined ? '' : `, max ${fmt(dist.max)}ms`})`;
    case 'pareto':
      return `pareto(scale ${fmt(dist.scale)}ms, shape ${fmt(dist.shape)}${dist.max === undefined ? '' : `, max ${fmt(dist.max)}ms`})`;
    default:
      return unknownKind(dist, 'describeDistribution');
  }
}
