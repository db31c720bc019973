// A binary min-heap on a plain array, for the engine's small ordered sets (far-event buckets, CPU
// bursts). The event queue itself keeps its own heap on typed arrays (queue.ts): it is the hot one.

/** True when `a` must come out of the heap before `b`. */
export type Before<T> = (a: T, b: T) => boolean;

/** Adds `item` to `heap`, ordered by `before`. */
export function heapPush<T>(heap: T[], item: T, before: Before<T>): void {
  let index = heap.length;
  heap.push(item);
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!before(item, heap[parent]!)) break;
    heap[index] = heap[parent]!;
    index = parent;
  }
  heap[index] = item;
}

/** Removes and returns the first item of a non-empty `heap`. */
export function heapPop<T>(heap: T[], before: Before<T>): T {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length === 0) return top;
  let index = 0;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
    if (!before(heap[child]!, last)) break;
    heap[index] = heap[child]!;
    index = child;
  }
  heap[index] = last;
  return top;
}
