import { createInbox, nuid } from '@nats-io/transport-node';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ConclaveError } from '../core/errors.ts';

/** No copy of the requested subject is listening: the server's status reply to the inbox. */
const NO_RESPONDERS = 503;

interface Pending {
  readonly subject: string;
  readonly resolve: (msg: Msg) => void;
  readonly reject: (error: ConclaveError) => void;
  readonly timer: NodeJS.Timeout;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/**
 * Request/reply over core NATS on one reply subscription of our own (`_INBOX.<id>.*`), each
 * request a publish with a reply subject under it ending in a random token (a client that sees one
 * reply subject cannot guess another's, so cannot answer for an agent it is not).
 * @remarks nats.js's `request()` builds a `RequestError` with a captured stack for every call, and
 * another when it cancels its bookkeeping after the reply, whether or not anything failed: at
 * thousands of agent calls a second that was the largest cost left in the orchestrator. Replies
 * are matched by the token ending their subject; a late reply (after a timeout or abort) finds no
 * request and is dropped. A request with no subscriber gets the server's 503 status reply, which
 * rejects with `NO_RESPONDERS`. nats.js re-subscribes the inbox after a reconnect.
 */
export class NatsRequests {
  readonly #nc: NatsConnection;
  readonly #inbox = createInbox();
  readonly #pending = new Map<string, Pending>();
  #sub: Subscription | undefined;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    // A connection closed for good (reconnects exhausted) answers nothing: fail what waits now.
    void nc
      .closed()
      .then(() =>
        this.close(new ConclaveError('BUS_ERROR', 'the NATS connection closed; no reply will come')),
      );
  }

  /** Requests in flight. */
  get size(): number {
    return this.#pending.size;
  }

  /** Publishes `payload` on `subject` and resolves with the first reply; see the class remarks. */
  request(
    subject: string,
    payload: Uint8Array,
    headers: MsgHdrs | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Msg> {
    // Made again if the server closed it (a permissions violation on the inbox, say).
    if (this.#sub === undefined || this.#sub.isClosed()) {
      this.#sub = this.#nc.subscribe(`${this.#inbox}.*`, { callback: (_err, msg) => this.#reply(msg) });
    }
    const token = nuid.next();
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#settle(token)?.reject(
            new ConclaveError('TIMEOUT', `no reply on "${subject}" within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      const onAbort =
        signal === undefined
          ? undefined
          : () =>
              this.#settle(token)?.reject(
                new ConclaveError('CANCELLED', `request to "${subject}" aborted`, { cause: signal.reason }),
              );
      this.#pending.set(token, { subject, resolve, reject, timer, signal, onAbort });
      if (onAbort !== undefined) signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.#nc.publish(subject, payload, {
          reply: `${this.#inbox}.${token}`,
          ...(headers === undefined ? {} : { headers }),
        });
      } catch (error) {
        this.#settle(token)?.reject(
          new ConclaveError('BUS_ERROR', `request to "${subject}" could not be sent`, { cause: error }),
        );
      }
    });
  }

  /** Rejects every request in flight with `error` and drops the reply subscription (the bus is closing). */
  close(error: ConclaveError): void {
    for (const token of [...this.#pending.keys()]) this.#settle(token)?.reject(error);
    if (this.#sub !== undefined && !this.#sub.isClosed()) this.#sub.unsubscribe();
    this.#sub = undefined;
  }

  #reply(msg: Msg | null): void {
    if (msg === null) return;
    const pending = this.#settle(msg.subject.slice(this.#inbox.length + 1));
    if (pending === undefined) return; // late: timed out or aborted already
    if (msg.data.length === 0 && msg.headers?.code === NO_RESPONDERS) {
      pending.reject(
        new ConclaveError('NO_RESPONDERS', `no subscriber on "${pending.subject}"`, {
          details: { subject: pending.subject },
        }),
      );
    } else pending.resolve(msg);
  }

  /** Forgets the request (its timer and abort listener); undefined when it was settled already. */
  #settle(token: string): Pending | undefined {
    const pending = this.#pending.get(token);
    if (pending === undefined) return undefined;
    this.#pending.delete(token);
    clearTimeout(pending.timer);
    if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort);
    return pending;
  }
}
