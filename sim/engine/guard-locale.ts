// Host settings that would change a run's results: the time zone (`getHours()`, `toString()`) and
// the locale (`toLocaleString()`, `Intl.*`, `localeCompare`). While a guard is installed the time
// zone is UTC and the default locale is en-US, whatever TZ, LANG or LC_ALL say.

/** The locale every run formats with when the code names none. */
export const RUN_LOCALE = 'en-US';
/** The time zone every run sees. */
export const RUN_TIME_ZONE = 'UTC';

type Method = (this: unknown, ...args: unknown[]) => unknown;

const INTL_CONSTRUCTORS = ['Collator', 'NumberFormat', 'PluralRules', 'RelativeTimeFormat', 'ListFormat', 'DisplayNames', 'Segmenter'] as const;

/** Prototype methods whose first argument is `locales`, and those whose second is. */
const LOCALE_FIRST: [object, string][] = [
  [Number.prototype, 'toLocaleString'],
  [BigInt.prototype, 'toLocaleString'],
  [String.prototype, 'toLocaleUpperCase'],
  [String.prototype, 'toLocaleLowerCase'],
];
const DATE_METHODS = ['toLocaleString', 'toLocaleDateString', 'toLocaleTimeString'];

/**
 * Fixes the time zone and locale for a run; returns the function that restores the host's.
 * `nowDate` gives the virtual now, for `Intl.DateTimeFormat#format()` called without a date.
 */
export function fixLocale(nowDate: () => Date): () => void {
  const restores: (() => void)[] = [];
  const replace = (owner: object, key: string, value: unknown): void => {
    const descriptor = Object.getOwnPropertyDescriptor(owner, key)!;
    Object.defineProperty(owner, key, { ...descriptor, value });
    restores.push(() => Object.defineProperty(owner, key, descriptor));
  };

  const hostTimeZone = process.env.TZ;
  // Node resets its time-zone cache when TZ is assigned; skip the reset when nothing changes.
  if (hostTimeZone !== RUN_TIME_ZONE) {
    process.env.TZ = RUN_TIME_ZONE;
    restores.push(() => {
      if (hostTimeZone === undefined) delete process.env.TZ;
      else process.env.TZ = hostTimeZone;
    });
  }

  for (const [owner, key] of LOCALE_FIRST) {
    const real = (owner as Record<string, Method>)[key]!;
    replace(owner, key, function (this: unknown, locales?: unknown, ...rest: unknown[]) {
      return real.call(this, locales ?? RUN_LOCALE, ...rest);
    });
  }
  const realCompare = String.prototype.localeCompare as Method;
  replace(String.prototype, 'localeCompare', function (this: unknown, that: unknown, locales?: unknown, options?: unknown) {
    return realCompare.call(this, that, locales ?? RUN_LOCALE, options);
  });
  for (const key of DATE_METHODS) {
    const real = (Date.prototype as unknown as Record<string, Method>)[key]!;
    replace(Date.prototype, key, function (this: unknown, locales?: unknown, options?: Intl.DateTimeFormatOptions) {
      return real.call(this, locales ?? RUN_LOCALE, { timeZone: RUN_TIME_ZONE, ...options });
    });
  }

  for (const name of INTL_CONSTRUCTORS) {
    const Real = Intl[name] as unknown as new (locales?: unknown, options?: unknown) => object;
    replace(Intl, name, withStatics(Real, function (locales?: unknown, options?: unknown) {
      return new Real(locales ?? RUN_LOCALE, options);
    }));
  }
  const RealDateTimeFormat = Intl.DateTimeFormat;
  replace(Intl, 'DateTimeFormat', withStatics(RealDateTimeFormat, function (locales?: string | string[], options?: Intl.DateTimeFormatOptions) {
    const format = new RealDateTimeFormat(locales ?? RUN_LOCALE, { timeZone: RUN_TIME_ZONE, ...options });
    // Without a date, format() reads the host clock: read the virtual one instead.
    const realFormat = format.format;
    const realParts = format.formatToParts.bind(format);
    Object.defineProperty(format, 'format', { value: (date?: Date | number) => realFormat(date ?? nowDate()) });
    Object.defineProperty(format, 'formatToParts', { value: (date?: Date | number) => realParts(date ?? nowDate()) });
    return format;
  }));

  return () => {
    for (let index = restores.length - 1; index >= 0; index--) restores[index]!();
  };
}

/** A constructor wrapper that keeps `instanceof`, `prototype` and the statics (`supportedLocalesOf`). */
function withStatics<T extends Function>(real: T, wrapper: Function): T {
  Object.defineProperty(wrapper, 'name', { value: real.name });
  wrapper.prototype = real.prototype;
  for (const key of Object.getOwnPropertyNames(real)) {
    if (key === 'prototype' || key === 'name' || key === 'length') continue;
    Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(real, key)!);
  }
  return wrapper as unknown as T;
}
