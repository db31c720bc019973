// A first-in-first-out queue on a ring: a node's waiting requests. Taking the oldest costs the same
// whatever the length (an array's shift moves every element behind it, each a write barrier).

/** Initial ring size; it doubles when full. */
const INITIAL_CAPACITY = 16;

/**
 * Items in the order they were pushed; `shift` takes the oldest. Reads like the array it replaces
 * (`length`, iteration oldest first), so code that only looked at a node's queue still works.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined);
  private head = 0;
  private count = 0;

  /** Items queued. */
  get length(): number {
    return this.count;
  }

  /** Queues `item` behind the others. */
  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  /** Takes the oldest item; undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** Forgets every item. */
  clear(): void {
    while (this.count > 0) this.shift();
    this.head = 0;
  }

  /** The items, oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    const mask = this.items.length - 1;
    for (let offset = 0; offset < this.count; offset++) yield this.items[(this.head + offset) & mask]!;
  }

  private grow(): void {
    const mask = this.items.length - 1;
    const grown = new Array<T | undefined>(this.items.length * 2).fill(undefined);
    for (let offset = 0; offset < this.count; offset++) grown[offset] = this.items[(this.head + offset) & mask];
    this.items = grown;
    this.head = 0;
  }
}
