import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import { ConclaveError } from '../core/errors.ts';
import type { DeadLetterAdvisory, Headers } from './bus.ts';
import { decodeData, decodeHeaders } from './nats-codec.ts';
import { fromNatsError } from './nats-errors.ts';

/**
 * Queue group of every bus watching max-deliveries advisories: the server publishes one advisory
 * per exhausted message, and the group hands it to exactly one watcher across all processes.
 */
const WATCHERS_QUEUE = 'conclave-dead-letter';

/** What the watcher needs from the bus. */
export interface DeadLetterHost {
  /** Publishes an advisory; `msgId` lets a stream on the dead-letter subject drop a repeat. */
  publish(subject: string, advisory: DeadLetterAdvisory, msgId: string): Promise<void>;
  onError(error: ConclaveError): void;
}

interface Watch {
  deadLetterSubject: string;
  readonly sub: NatsSubscription;
}

/** The part of JetStream's max-deliveries advisory the watcher reads. */
interface MaxDeliveriesEvent {
  stream?: unknown;
  consumer?: unknown;
  stream_seq?: unknown;
  deliveries?: unknown;
}

/**
 * Turns JetStream's `MAX_DELIVERIES` advisories into {@link DeadLetterAdvisory} messages carrying
 * the original data and headers, read back from the stream by sequence.
 *
 * @remarks Terminated messages need no watcher: the delivery that terms one publishes its advisory
 * itself, with the reason (servers before 2.10 do not pass a term reason on).
 */
export class DeadLetterWatcher {
  readonly #nc: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #host: DeadLetterHost;
  readonly #watches = new Map<string, Watch>();
  readonly #pending = new Set<Promise<void>>();

  constructor(nc: NatsConnection, jsm: JetStreamManager, host: DeadLetterHost) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#host = host;
  }

  /** Watches a durable's exhausted messages, sending advisories to `deadLetterSubject` (latest wins). */
  watch(stream: string, durable: string, deadLetterSubject: string): void {
    const key = `${stream}.${durable}`;
    const existing = this.#watches.get(key);
    if (existing !== undefined) {
      existing.deadLetterSubject = deadLetterSubject;
      return;
    }
    const watch: Watch = {
      deadLetterSubject,
      sub: this.#nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${key}`, {
        queue: WATCHERS_QUEUE,
        callback: (error, msg) => {
          if (error !== null) {
            this.#host.onError(fromNatsError(error, `watching dead letters of ${key}`));
            return;
          }
          const work = this.#forward(watch, decodeData(msg.data) as MaxDeliveriesEvent);
          this.#pending.add(work);
          void work.finally(() => this.#pending.delete(work));
        },
      }),
    };
    this.#watches.set(key, watch);
  }

  /** Stops watching and waits for advisories already being forwarded. */
  async close(): Promise<void> {
    for (const watch of this.#watches.values()) watch.sub.unsubscribe();
    this.#watches.clear();
    await Promise.all([...this.#pending]);
  }

  async #forward(watch: Watch, event: MaxDeliveriesEvent): Promise<void> {
    const { stream, consumer, stream_seq: seq, deliveries } = event;
    if (typeof stream !== 'string' || typeof consumer !== 'string' || typeof seq !== 'number') {
      this.#host.onError(
        new ConclaveError('BUS_ERROR', `unreadable max-deliveries advisory: ${JSON.stringify(event)}`),
      );
      return;
    }
    try {
      let subject = '';
      let data: unknown;
      let headers: Headers = {};
      // Limits may already have pushed the message out of the stream: advise without its content.
      const stored = await this.#jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (stored !== null) {
        subject = stored.subject;
        data = decodeData(stored.data);
        headers = decodeHeaders(stored.header);
      }
      const advisory: DeadLetterAdvisory = {
        stream,
        consumer,
        seq,
        subject,
        deliveries: typeof deliveries === 'number' ? deliveries : 0,
        reason: 'max_deliveries',
        data,
        headers,
      };
      await this.#host.publish(watch.deadLetterSubject, advisory, `dlq.${stream}.${consumer}.${seq}`);
    } catch (error) {
      this.#host.onError(fromNatsError(error, `dead-lettering ${stream}/${consumer} seq ${seq}`));
    }
  }
}
