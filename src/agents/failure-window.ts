/**
 * Timestamps of recent failures inside a sliding window, in a fixed ring buffer.
 * @remarks Only the newest `capacity` failures can matter (the registry disables an agent once the
 * window holds `capacity` of them), so older ones are overwritten: memory is bounded, recording
 * never allocates, and pruning is amortised O(1).
 */
export class FailureWindow {
  readonly #times: Float64Array;
  readonly #windowMs: number;
  #head = 0;
  #size = 0;

  constructor(capacity: number, windowMs: number) {
    this.#times = new Float64Array(capacity);
    this.#windowMs = windowMs;
  }

  /** Records a failure at `now` and returns how many failures the window now holds. */
  add(now: number): number {
    this.#prune(now);
    const capacity = this.#times.length;
    if (this.#size === capacity) {
      this.#head = (this.#head + 1) % capacity;
      this.#size--;
    }
    this.#times[(this.#head + this.#size) % capacity] = now;
    this.#size++;
    return this.#size;
  }

  /** Failures that happened less than `windowMs` before `now`. */
  count(now: number): number {
    this.#prune(now);
    return this.#size;
  }

  /** Forgets every failure. */
  clear(): void {
    this.#head = 0;
    this.#size = 0;
  }

  #prune(now: number): void {
    const cutoff = now - this.#windowMs;
    const capacity = this.#times.length;
    while (this.#size > 0 && (this.#times[this.#head] ?? 0) <= cutoff) {
      this.#head = (this.#head + 1) % capacity;
      this.#size--;
    }
  }
}
