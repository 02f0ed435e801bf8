import type { CallContext } from '../agents/transport.ts';

/**
 * The context of one attempt. Its AbortController is created only when someone reads `signal`,
 * so the common case — a call that finishes without looking at it — costs none (creating an
 * AbortSignal is among the most expensive steps of a no-op dispatch).
 */
export class AttemptContext implements CallContext {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
