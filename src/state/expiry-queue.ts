/** One scheduled look at a key: at `at`, check whether `key` in table `table` has expired. */
export interface ExpiryEntry<T extends string> {
  readonly at: number;
  readonly table: T;
  readonly key: string;
}

/**
 * A binary min-heap of expiry checks, earliest first.
 * @remarks Entries are hints, not truth: when one falls due the owner re-checks the key's real
 * expiry, so an entry made stale by an extension or a delete costs one look and is dropped.
 */
export class ExpiryQueue<T extends string> {
  readonly #heap: ExpiryEntry<T>[] = [];

  /** How many checks are queued. */
  get size(): number {
    return this.#heap.length;
  }

  /** Queues a check of `key` in `table` at `at`. */
  push(at: number, table: T, key: string): void {
    const heap = this.#heap;
    heap.push({ at, table, key });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  /** Removes and returns the earliest check due at or before `now`, if any. */
  popDue(now: number): ExpiryEntry<T> | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined || top.at > now) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]!.at < heap[m]!.at) m = l;
        if (r < heap.length && heap[r]!.at < heap[m]!.at) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  }
}
