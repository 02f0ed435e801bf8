import { MAX_PRIORITY, MIN_PRIORITY } from '../core/task.ts';
import { Fifo } from './fifo.ts';

/**
 * A bucket queue over the five task priorities: 5 is served first, FIFO within a priority.
 * O(1) push and pop, which a binary heap cannot offer.
 */
export class PriorityQueue<T> {
  readonly #buckets: Fifo<T>[] = [];
  #size = 0;

  constructor() {
    for (let p = 0; p <= MAX_PRIORITY; p++) this.#buckets.push(new Fifo<T>());
  }

  get size(): number {
    return this.#size;
  }

  /** Queued items at one priority. */
  sizeAt(priority: number): number {
    return this.#buckets[priority]?.size ?? 0;
  }

  push(item: T, priority: number): void {
    const bucket = this.#buckets[priority];
    if (bucket === undefined || priority < MIN_PRIORITY)
      throw new RangeError(`priority ${priority} out of range`);
    bucket.push(item);
    this.#size++;
  }

  /** The most urgent item, or undefined when empty. */
  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    for (let p = MAX_PRIORITY; p >= MIN_PRIORITY; p--) {
      const bucket = this.#buckets[p]!;
      if (bucket.size > 0) {
        this.#size--;
        return bucket.shift();
      }
    }
    return undefined;
  }

  /** The item `pop` would return, without removing it. */
  peek(): T | undefined {
    if (this.#size === 0) return undefined;
    for (let p = MAX_PRIORITY; p >= MIN_PRIORITY; p--) {
      const bucket = this.#buckets[p]!;
      if (bucket.size > 0) return bucket.peek();
    }
    return undefined;
  }

  /** The priority of the item `pop` would return, or 0 when empty. */
  topPriority(): number {
    if (this.#size === 0) return 0;
    for (let p = MAX_PRIORITY; p >= MIN_PRIORITY; p--) if (this.#buckets[p]!.size > 0) return p;
    return 0;
  }

  /** Removes every item matching `predicate`; returns them. */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const removed: T[] = [];
    for (const bucket of this.#buckets) removed.push(...bucket.removeWhere(predicate));
    this.#size -= removed.length;
    return removed;
  }

  /** Items from most to least urgent. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let p = MAX_PRIORITY; p >= MIN_PRIORITY; p--) yield* this.#buckets[p]!;
  }
}
