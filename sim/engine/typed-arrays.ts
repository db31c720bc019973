// Growing typed arrays (the engine's queues and histograms keep numbers out of the garbage collector).

/** The typed arrays the engine grows. */
export type GrowableArray = Float64Array | Int32Array | Uint32Array | Uint8Array;

/**
 * A copy of `array` in a new array of the same type whose length is doubled until it holds at
 * least `minLength` entries; the new entries are zero.
 */
export function grownToFit<T extends GrowableArray>(array: T, minLength: number): T {
  let length = Math.max(1, array.length);
  while (length < minLength) length *= 2;
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array as never);
  return grown;
}
