import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { ConclaveError } from '../core/errors.ts';
import type { DeadLetterAdvisory, DeliveredMessage, DeliveryHandler, Headers } from './bus.ts';
import type { CompiledConsumerConfig } from './memory-consumer.ts';
import { decodeData, decodeHeaders } from './nats-codec.ts';
import { fromNatsError } from './nats-errors.ts';

/** How long one pull request waits on the server for messages before the next is issued. */
const FETCH_EXPIRES_MS = 10_000;
const MAX_BACKOFF_MS = 5_000;

/** What a consume loop needs from the bus that owns it. */
export interface NatsConsumerHost {
  /** Runs a handler, isolating its errors. */
  run(handler: DeliveryHandler, msg: DeliveredMessage): void;
  /** Publishes a dead-letter advisory for a termed message. */
  deadLetter(subject: string, advisory: DeadLetterAdvisory): void;
  /** Reports a background failure. */
  onError(error: ConclaveError): void;
  /** Whether the server reads a reason after `+TERM` (2.10 on); older servers ignore such a term. */
  readonly termWithReason: boolean;
}

/**
 * One delivery of a JetStream message. Frees its `consume` call's slot on the first of ack, nak,
 * term or the ack wait running out; working() restarts that wait, as it does on the server.
 */
class NatsDelivery implements DeliveredMessage {
  readonly subject: string;
  readonly data: unknown;
  readonly headers: Headers;
  readonly seq: number;
  readonly deliveryCount: number;
  readonly #msg: JsMsg;
  readonly #loop: NatsConsumeLoop;
  #timer: NodeJS.Timeout | undefined;

  constructor(msg: JsMsg, loop: NatsConsumeLoop) {
    this.subject = msg.subject;
    this.data = decodeData(msg.data);
    this.headers = decodeHeaders(msg.headers);
    this.seq = msg.seq;
    this.deliveryCount = msg.info.deliveryCount;
    this.#msg = msg;
    this.#loop = loop;
    this.#arm();
  }

  ack(): void {
    this.#release();
    this.#msg.ack();
  }

  nak(delayMs = 0): void {
    this.#release();
    if (delayMs > 0) this.#msg.nak(delayMs);
    else this.#msg.nak();
  }

  term(reason?: string): void {
    this.#release();
    if (reason !== undefined && this.#loop.host.termWithReason) this.#msg.term(reason);
    else this.#msg.term();
    const subject = this.#loop.config.deadLetterSubject;
    if (subject === undefined) return;
    const advisory: DeadLetterAdvisory = {
      stream: this.#loop.config.stream,
      consumer: this.#loop.config.durable,
      seq: this.seq,
      subject: this.subject,
      deliveries: this.deliveryCount,
      reason: 'terminated',
      data: this.data,
      headers: { ...this.headers },
    };
    if (reason !== undefined) advisory.detail = reason;
    this.#loop.host.deadLetter(subject, advisory);
  }

  working(): void {
    if (this.#timer !== undefined) this.#arm();
    this.#msg.working();
  }

  /** Drops the ack-wait timer without freeing the slot: the loop is going away. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#release(), this.#loop.config.ackWaitMs);
    this.#timer.unref();
  }

  #release(): void {
    if (this.#timer === undefined) return;
    this.dispose();
    this.#loop.released(this);
  }
}

/**
 * One `consume` call on a durable pull consumer: pulls only as many messages as it has free
 * slots (`maxAckPending` minus those delivered and not yet settled), so several calls, in one
 * process or many, share the durable's messages and none hoards them.
 *
 * @remarks JetStream's own max_ack_pending counts per consumer, not per caller; counting here
 * gives each call its own bound as the Bus contract describes. A pull request is waiting on the
 * server only while the call has room, so a busy call leaves new messages to idle ones.
 */
export class NatsConsumeLoop {
  readonly config: CompiledConsumerConfig;
  readonly host: NatsConsumerHost;
  readonly #consumer: Consumer;
  readonly #handler: DeliveryHandler;
  readonly #inFlight = new Set<NatsDelivery>();
  #active = true;
  #batch: ConsumerMessages | undefined;
  #wake: (() => void) | undefined;
  readonly #done: Promise<void>;

  constructor(
    consumer: Consumer,
    config: CompiledConsumerConfig,
    handler: DeliveryHandler,
    host: NatsConsumerHost,
  ) {
    this.#consumer = consumer;
    this.config = config;
    this.#handler = handler;
    this.host = host;
    this.#done = this.#run();
  }

  /** Stops pulling; deliveries not yet settled are left to the server's ack wait. */
  async stop(): Promise<void> {
    if (this.#active) {
      this.#active = false;
      this.#batch?.stop();
      this.#poke();
      for (const delivery of this.#inFlight) delivery.dispose();
      this.#inFlight.clear();
    }
    await this.#done;
  }

  /** Called by a delivery when it settles or its ack wait runs out. */
  released(delivery: NatsDelivery): void {
    if (this.#inFlight.delete(delivery)) this.#poke();
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #pause(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.#poke(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#active) {
      const room = this.config.maxAckPending - this.#inFlight.size;
      if (room <= 0) {
        await this.#pause();
        continue;
      }
      try {
        this.#batch = await this.#consumer.fetch({ max_messages: room, expires: FETCH_EXPIRES_MS });
        if (!this.#active) this.#batch.stop();
        for await (const msg of this.#batch) {
          if (!this.#active) break;
          const delivery = new NatsDelivery(msg, this);
          this.#inFlight.add(delivery);
          this.host.run(this.#handler, delivery);
        }
        failures = 0;
      } catch (error) {
        if (!this.#active) break;
        this.host.onError(fromNatsError(error, `consuming ${this.config.stream}/${this.config.durable}`));
        await this.#pause(Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures++));
      } finally {
        this.#batch = undefined;
      }
    }
  }
}
