// Maps the simulator's short trace and span ids (`t1a`, `s2b`: a letter and a hex counter) to the
// fixed-width hex ids trace tools require, deterministically, so the same run exports the same ids.

/** 64-bit FNV-1a over UTF-16 code units, as 16 hex digits (two 32-bit lanes; no BigInt on the hot path). */
function hash64(text: string, seed = 0): string {
  let high = 0xcbf29ce4 ^ seed;
  let low = 0x84222325;
  for (let index = 0; index < text.length; index++) {
    low = (low ^ text.charCodeAt(index)) >>> 0;
    // Multiply (high, low) by the 64-bit FNV prime 0x100000001b3: low*0x1b3, plus carries, plus low<<40.
    const lowProduct = low * 0x1b3;
    const carry = Math.floor(lowProduct / 0x1_0000_0000);
    const newLow = lowProduct >>> 0;
    high = (Math.imul(high, 0x1b3) + carry + ((low << 8) >>> 0)) >>> 0;
    low = newLow;
  }
  return (high >>> 0).toString(16).padStart(8, '0') + (low >>> 0).toString(16).padStart(8, '0');
}

/** The all-zero id is invalid in OTLP and W3C trace context; it can only come from a hash, and is replaced. */
function nonZero(hex: string): string {
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/**
 * A fixed-width lower-case hex id for a simulator id. `t1a` (a letter, then hex digits) keeps its
 * number: `000…01a`. Any other id is hashed (FNV-1a), so ids from other sources still map stably.
 * @param id - simulator id, e.g. `t1a` or `s2b`.
 * @param hexDigits - width of the result: 16 for span ids, 32 for trace ids.
 */
export function toHexId(id: string, hexDigits: 16 | 32): string {
  const counter = /^[a-z]([0-9a-f]+)$/i.exec(id);
  if (counter && counter[1]!.replace(/^0+/, '').length > 0 && counter[1]!.replace(/^0+/, '').length <= hexDigits) {
    return counter[1]!.replace(/^0+/, '').toLowerCase().padStart(hexDigits, '0');
  }
  const hashed = hexDigits === 16 ? hash64(id) : hash64(id) + hash64(id, 0x5bd1e995);
  return nonZero(hashed);
}

/**
 * A trace id in a namespace: the upper 16 hex digits name the run (scenario, variant, seed), the
 * lower 16 carry the simulator id. Traces of several runs then never merge in one trace store.
 */
export function namespacedTraceId(id: string, namespace: string): string {
  return hash64(namespace) + toHexId(id, 16);
}
