import type { NatsConnection } from '@nats-io/transport-node';
import { ConclaveError } from '../core/errors.ts';
import { closedError } from './nats-errors.ts';
import type { NatsBusStatus, NatsConnectionState } from './nats-options.ts';

/**
 * Follows a connection's status events, so the bus can report its state and so a publish made
 * while the server is away can wait for it to come back instead of vanishing.
 *
 * @remarks nats.js reconnects by itself and buffers what is written meanwhile; a buffered message
 * is lost if the connection is never re-established, with nobody told. Making the publisher wait
 * (bounded) for the link turns that silent loss into a visible `BUS_ERROR`.
 */
export class NatsLink {
  readonly #nc: NatsConnection;
  readonly #onChange: ((status: NatsBusStatus) => void) | undefined;
  #status: NatsBusStatus;
  #waiters = new Set<() => void>();
  readonly #watching: Promise<void>;

  constructor(nc: NatsConnection, onChange: ((status: NatsBusStatus) => void) | undefined) {
    this.#nc = nc;
    this.#onChange = onChange;
    this.#status = { state: 'connected', server: nc.getServer(), reconnects: 0, sinceMs: Date.now() };
    this.#watching = this.#watch();
  }

  /** The current connection state. */
  get status(): NatsBusStatus {
    return this.#status;
  }

  /**
   * Resolves at once when connected; otherwise when the connection is back, or rejects with
   * `BUS_ERROR` naming `subject` after `timeoutMs` (or at once when the connection is closed).
   */
  ready(subject: string, timeoutMs: number): Promise<void> {
    const state = this.#status.state;
    if (state === 'connected') return Promise.resolve();
    if (state === 'closed') return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        if (this.#status.state === 'connected') resolve();
        else reject(closedError());
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(done);
        reject(
          new ConclaveError(
            'BUS_ERROR',
            `publish to "${subject}" failed: NATS connection lost and not back within ${timeoutMs} ms`,
            { details: { subject, timeoutMs } },
          ),
        );
      }, timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** Resolves once the status watcher has seen the connection close. */
  closed(): Promise<void> {
    return this.#watching;
  }

  async #watch(): Promise<void> {
    const closing = this.#nc.closed().then(() => this.#set('closed'));
    for await (const event of this.#nc.status()) {
      if (event.type === 'disconnect' || event.type === 'reconnecting') this.#set('reconnecting');
      else if (event.type === 'reconnect') this.#set('connected', true);
      else if (event.type === 'close') this.#set('closed');
    }
    await closing;
  }

  #set(state: NatsConnectionState, reconnected = false): void {
    if (state === this.#status.state && !reconnected) return;
    const reconnects = this.#status.reconnects + (reconnected ? 1 : 0);
    this.#status = { state, server: this.#nc.getServer(), reconnects, sinceMs: Date.now() };
    if (state !== 'reconnecting') {
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      for (const wake of waiters) wake();
    }
    try {
      this.#onChange?.(this.#status);
    } catch {
      // A failing status hook must not stop the watcher.
    }
  }
}
