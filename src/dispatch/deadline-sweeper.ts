import type { Clock, TimerHandle } from '../core/clock.ts';

/**
 * Timeouts for many items on one timer: armed for the earliest deadline, it expires what is due
 * and re-arms for the next. Items that finish in time cost a set insertion and deletion, not a
 * timer each.
 */
export class DeadlineSweeper<T extends { readonly deadline: number }> {
  readonly #items = new Set<T>();
  #timer: TimerHandle | null = null;
  #armedFor = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (item: T) => void,
  ) {}

  add(item: T): void {
    this.#items.add(item);
    if (item.deadline < this.#armedFor) this.#arm(item.deadline);
  }

  delete(item: T): void {
    this.#items.delete(item);
  }

  close(): void {
    if (this.#timer !== null) this.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#items.clear();
  }

  #arm(at: number): void {
    if (this.#timer !== null) this.clock.clearTimeout(this.#timer);
    this.#armedFor = at;
    this.#timer = this.clock.setTimeout(() => this.#sweep(), Math.max(0, at - this.clock.now()));
  }

  #sweep(): void {
    this.#timer = null;
    this.#armedFor = Infinity;
    const now = this.clock.now();
    let next = Infinity;
    const expired: T[] = [];
    for (const item of this.#items) {
      if (item.deadline <= now) expired.push(item);
      else if (item.deadline < next) next = item.deadline;
    }
    for (const item of expired) {
      this.#items.delete(item);
      this.onExpire(item);
    }
    if (next !== Infinity && next < this.#armedFor) this.#arm(next);
  }
}
