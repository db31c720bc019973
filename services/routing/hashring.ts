// A consistent-hash ring with virtual nodes: a key maps to the first instance point clockwise from
// the key's hash, so adding one instance to n moves only about 1/(n+1) of the keys.
import { ConfigError } from '../../sim/engine/errors.ts';

/** Virtual nodes per instance unless told otherwise (ketama uses 160; enough for ±10 % balance). */
export const DEFAULT_VIRTUAL_NODES = 160;

/**
 * An immutable ring over a list of member names. Build a new ring when membership changes; the
 * points of a member depend only on its name, which is what keeps most keys in place.
 */
export class HashRing {
  /** Point positions on the 32-bit ring, ascending. */
  private readonly points: Uint32Array;
  /** For each point, the index of its member in `members`. */
  private readonly owners: Uint32Array;

  constructor(
    /** Member names, in the caller's order. */
    readonly members: readonly string[],
    readonly virtualNodes: number = DEFAULT_VIRTUAL_NODES,
  ) {
    if (!Number.isInteger(virtualNodes) || virtualNodes < 1) {
      throw new ConfigError(`hash ring virtualNodes is ${virtualNodes}: use a whole number >= 1`);
    }
    const count = members.length * virtualNodes;
    const rawPoints = new Uint32Array(count);
    const order: number[] = new Array<number>(count);
    for (let member = 0; member < members.length; member++) {
      for (let replica = 0; replica < virtualNodes; replica++) {
        const slot = member * virtualNodes + replica;
        rawPoints[slot] = hashString(`${members[member]}#${replica}`);
        order[slot] = slot;
      }
    }
    // Ties (rare 32-bit collisions) are broken by slot, so the ring is the same on every run.
    order.sort((a, b) => rawPoints[a]! - rawPoints[b]! || a - b);
    this.points = new Uint32Array(count);
    this.owners = new Uint32Array(count);
    for (let index = 0; index < count; index++) {
      const slot = order[index]!;
      this.points[index] = rawPoints[slot]!;
      this.owners[index] = Math.floor(slot / virtualNodes);
    }
  }

  /** The index in `members` that owns `key`, or -1 for an empty ring. */
  ownerIndex(key: string): number {
    const points = this.points;
    if (points.length === 0) return -1;
    const target = hashString(key);
    // First point >= target; past the end wraps to the first point.
    let low = 0;
    let high = points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return this.owners[low === points.length ? 0 : low]!;
  }

  /** The member name that owns `key`, or undefined for an empty ring. */
  owner(key: string): string | undefined {
    const index = this.ownerIndex(key);
    return index < 0 ? undefined : this.members[index];
  }
}

/**
 * A 32-bit hash of a string: FNV-1a over UTF-16 code units, then murmur3's finalizer so that
 * near-identical strings (`a#1`, `a#2`) land far apart on the ring.
 */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
