// Payload sizes for bandwidth: given by the sender (`withSizeBytes`) or estimated cheaply from the
// value, as a rough JSON-encoded size. Only links with a bandwidth ever ask.

const SIZE_BYTES = Symbol.for('dsim.sizeBytes');

/**
 * A method a wire record (an RPC call) defines to say how big it is on the wire: the part it
 * carries (its payload, or its answer), not the bookkeeping the simulator keeps on it.
 */
export const WIRE_SIZE = Symbol('dsim.wireSize');
/** Values visited when estimating one payload; the rest is not counted (bounded work per message). */
const MAX_VISITED = 10_000;

/**
 * Declares the size of an object payload on the wire (e.g. a 2 MB image in a response), used by
 * bandwidth instead of the estimate. Returns the same object; the receiver sees it unchanged.
 */
export function withSizeBytes<T extends object>(payload: T, sizeBytes: number): T {
  if (!(sizeBytes >= 0 && Number.isFinite(sizeBytes))) throw new RangeError(`sizeBytes must be a finite number >= 0, got ${sizeBytes}`);
  Object.defineProperty(payload, SIZE_BYTES, { value: sizeBytes, enumerable: false, configurable: true });
  return payload;
}

/**
 * The size of a value on the wire, bytes: a declared size where `withSizeBytes` set one, else about
 * its JSON length (strings by length, numbers 8, booleans 1, plus keys and punctuation). At most
 * 10,000 values are visited: a bigger structure counts only those.
 */
export function estimateSizeBytes(value: unknown): number {
  const budget = { left: MAX_VISITED };
  return sizeOf(value, budget);
}

function sizeOf(value: unknown, budget: { left: number }): number {
  if (budget.left-- <= 0) return 0;
  switch (typeof value) {
    case 'string':
      return value.length + 2;
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 1;
    case 'object': {
      if (value === null) return 4;
      const declared = (value as Record<symbol, unknown>)[SIZE_BYTES];
      if (typeof declared === 'number') return declared;
      const wireSize = (value as { [WIRE_SIZE]?: () => number })[WIRE_SIZE];
      if (typeof wireSize === 'function') return wireSize.call(value);
      let total = 2;
      if (Array.isArray(value)) {
        for (const item of value) total += sizeOf(item, budget) + 1;
        return total;
      }
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        total += key.length + 4 + sizeOf((value as Record<string, unknown>)[key], budget);
      }
      return total;
    }
    default:
      return 0;
  }
}
