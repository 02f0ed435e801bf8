import type { Clock, TimerHandle } from '../core/clock.ts';

/**
 * A repeating check on an injected clock: runs `check(now)` every `intervalMs` between `start()`
 * and `stop()`. The registry uses it to take silent agents offline.
 */
export class HeartbeatMonitor {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #check: (now: number) => void;
  #timer: TimerHandle | null = null;

  constructor(clock: Clock, intervalMs: number, check: (now: number) => void) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#check = check;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#timer !== null;
  }

  /** Starts checking; calling it again while running does nothing. */
  start(): void {
    if (this.#timer === null) this.#schedule();
  }

  /** Stops checking. */
  stop(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => {
      // Reschedule first so a throwing check cannot stop the monitor for good.
      this.#schedule();
      this.#check(this.#clock.now());
    }, this.#intervalMs);
  }
}
