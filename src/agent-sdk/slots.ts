import { ConclaveError } from '../core/errors.ts';

/**
 * A counting semaphore: at most `size` holders at once, the rest wait in arrival order.
 * @remarks NATS delivers a queue-group message to one copy whether or not it is busy, so a copy
 * bounds its own concurrency; a waiter whose signal aborts (its deadline passed) leaves the line.
 */
export class Slots {
  readonly #size: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** Resolves when a slot is held; rejects with `TIMEOUT`-or-reason if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(reason(signal));
    if (this.#held < this.#size) {
      this.#held++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.#held++;
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(grant);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(reason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  /** Gives a slot back, to the longest waiter if there is one. */
  release(): void {
    this.#held--;
    this.#waiting.shift()?.();
  }
}

function reason(signal: AbortSignal): Error {
  const why: unknown = signal.reason;
  return why instanceof Error
    ? why
    : new ConclaveError('CANCELLED', 'gave up waiting for a free slot', { cause: why });
}
