import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import { ConclaveError, toConclaveError } from '../core/errors.ts';
import type {
  Bus,
  BusMessage,
  ConsumerConfig,
  DeadLetterAdvisory,
  DeliveryHandler,
  Headers,
  MessageHandler,
  PublishOptions,
  RequestOptions,
  StreamConfig,
  SubscribeOptions,
  Subscription,
} from './bus.ts';
import { compileConsumerConfig } from './memory-consumer.ts';
import { compileStreamConfig } from './memory-stream.ts';
import { ensureNatsConsumer, ensureNatsStream, deleteNatsStream, streamSubjects } from './nats-admin.ts';
import { encodeData, encodeHeaders, toBusMessage } from './nats-codec.ts';
import { NatsConsumeLoop } from './nats-consumer.ts';
import type { NatsConsumerHost } from './nats-consumer.ts';
import { DeadLetterWatcher } from './nats-dead-letter.ts';
import { closedError, fromNatsError, isNoResponders } from './nats-errors.ts';
import { NatsLink } from './nats-link.ts';
import { NatsRequests } from './nats-requests.ts';
import { compileNatsBusOptions } from './nats-options.ts';
import type { CompiledNatsBusOptions, NatsBusOptions, NatsBusStatus } from './nats-options.ts';
import { NatsStreamIndex } from './nats-streams.ts';
import { validateName, validatePattern, validateQueue, validateSubject } from './subject.ts';

function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(toConclaveError(error));
  }
}

/**
 * The {@link Bus} of the distributed shape, on NATS with JetStream: plain subjects, queue groups and
 * request/reply on core NATS; streams and durable pull consumers on JetStream.
 *
 * @remarks A publish to a subject captured by a stream this bus knows (ensured here, or present
 * when it connected) goes through JetStream and waits for the stream's ack, so a message is
 * either stored or the publish fails. Other subjects are published on core NATS; a stream made
 * later by another process still captures those, and a msgId still travels as `Nats-Msg-Id`,
 * so deduplication holds either way.
 */
export class NatsBus implements Bus {
  readonly #options: CompiledNatsBusOptions;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #link: NatsLink;
  readonly #streams: NatsStreamIndex;
  readonly #deadLetters: DeadLetterWatcher;
  readonly #subs = new Set<NatsSubscription>();
  readonly #loops = new Set<NatsConsumeLoop>();
  readonly #requests: NatsRequests;
  readonly #consumerHost: NatsConsumerHost;
  #closing: Promise<void> | undefined;

  private constructor(options: CompiledNatsBusOptions, nc: NatsConnection, jsm: JetStreamManager) {
    this.#options = options;
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc, { timeout: options.apiTimeoutMs });
    this.#link = new NatsLink(nc, options.onStatusChange);
    this.#requests = new NatsRequests(nc);
    this.#streams = new NatsStreamIndex();
    this.#deadLetters = new DeadLetterWatcher(nc, jsm, {
      publish: (subject, advisory, msgId) => this.publish(subject, advisory, { msgId }),
      onError: (error) => this.#report(error),
    });
    const [major = 0, minor = 0] = (nc.info?.version ?? '0.0').split('.').map(Number);
    this.#consumerHost = {
      run: (handler, msg) => this.#run(handler, msg),
      deadLetter: (subject, advisory) => this.#deadLetter(subject, advisory),
      onError: (error) => this.#report(error),
      termWithReason: major > 2 || (major === 2 && minor >= 10),
    };
  }

  /** Connects to NATS, checks JetStream is enabled, and learns which subjects streams capture. */
  static async connect(options: NatsBusOptions = {}): Promise<NatsBus> {
    const compiled = compileNatsBusOptions(options);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: compiled.servers,
        name: compiled.name,
        reconnect: compiled.reconnect,
        maxReconnectAttempts: compiled.maxReconnectAttempts,
        reconnectTimeWait: compiled.reconnectTimeWaitMs,
        timeout: compiled.apiTimeoutMs,
        // No stack captured per request (JetStream publishes are requests for their ack), so no
        // nats.js error carries its caller's async stack: Conclave wraps each with what it was
        // doing, and capturing one costs more than the publish.
        noAsyncTraces: true,
      });
    } catch (error) {
      throw fromNatsError(error, `connecting to NATS at ${compiled.servers.join(', ')}`);
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: compiled.apiTimeoutMs });
      const bus = new NatsBus(compiled, nc, jsm);
      for await (const info of jsm.streams.list()) bus.#streams.set(info.config.name, info.config.subjects);
      return bus;
    } catch (error) {
      await nc.close();
      throw fromNatsError(error, `JetStream on NATS at ${compiled.servers.join(', ')}`);
    }
  }

  /** The connection state, for health checks. */
  status(): NatsBusStatus {
    return this.#link.status;
  }

  publish(subject: string, data: unknown, options?: PublishOptions): Promise<void> {
    return attempt(async () => {
      this.#checkOpen();
      validateSubject(subject);
      const payload = encodeData(subject, data);
      await this.#link.ready(subject, this.#options.publishTimeoutMs);
      if (this.#streams.captures(subject)) {
        const headers = encodeHeaders(options?.headers);
        try {
          await this.#js.publish(subject, payload, {
            timeout: this.#options.publishTimeoutMs,
            retries: 0,
            ...(headers === undefined ? {} : { headers }),
            ...(options?.msgId === undefined ? {} : { msgID: options.msgId }),
          });
          return;
        } catch (error) {
          // The stream was deleted since we learned of it: fall back to a plain publish.
          if (!isNoResponders(error)) throw fromNatsError(error, `publish to "${subject}" failed`);
          this.#streams.forget(subject);
        }
      }
      const headers = encodeHeaders(options?.headers, options?.msgId);
      this.#nc.publish(subject, payload, headers === undefined ? {} : { headers });
    });
  }

  subscribe(pattern: string, handler: MessageHandler, options?: SubscribeOptions): Subscription {
    this.#checkOpen();
    validatePattern(pattern);
    if (options?.queue !== undefined) validateQueue(options.queue);
    const sub = this.#nc.subscribe(pattern, {
      ...(options?.queue === undefined ? {} : { queue: options.queue }),
      callback: (error, msg) => {
        if (error !== null) this.#report(fromNatsError(error, `subscription on "${pattern}"`));
        else this.#run(handler, toBusMessage(msg));
      },
    });
    this.#subs.add(sub);
    return {
      unsubscribe: () => {
        if (this.#subs.delete(sub) && !sub.isClosed()) sub.unsubscribe();
        return Promise.resolve();
      },
    };
  }

  request<T = unknown>(subject: string, data: unknown, options: RequestOptions): Promise<BusMessage<T>> {
    return attempt(() => {
      const { timeoutMs, signal } = options;
      this.#checkOpen();
      validateSubject(subject);
      if (signal?.aborted === true) {
        throw new ConclaveError('CANCELLED', `request to "${subject}" aborted`, { cause: signal.reason });
      }
      if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
        throw new ConclaveError(
          'VALIDATION_FAILED',
          `request timeoutMs must be a positive number, got ${timeoutMs}`,
        );
      }
      const sent = this.#requests.request(
        subject,
        encodeData(subject, data),
        encodeHeaders(options.headers),
        timeoutMs,
        signal,
      );
      return sent.then((msg) => toBusMessage(msg) as BusMessage<T>);
    });
  }

  respond(request: BusMessage, data: unknown, headers?: Headers): Promise<void> {
    return attempt(async () => {
      if (request.replyTo === undefined) {
        throw new ConclaveError(
          'VALIDATION_FAILED',
          `message on "${request.subject}" has no replyTo to respond to`,
        );
      }
      this.#checkOpen();
      const payload = encodeData(request.replyTo, data);
      await this.#link.ready(request.replyTo, this.#options.publishTimeoutMs);
      const hdrs = encodeHeaders(headers);
      this.#nc.publish(request.replyTo, payload, hdrs === undefined ? {} : { headers: hdrs });
    });
  }

  ensureStream(config: StreamConfig): Promise<void> {
    return attempt(async () => {
      this.#checkOpen();
      const compiled = compileStreamConfig(config);
      await ensureNatsStream(this.#jsm, compiled);
      this.#streams.set(compiled.name, compiled.subjects);
    });
  }

  consume(config: ConsumerConfig, handler: DeliveryHandler): Promise<Subscription> {
    return attempt(async () => {
      this.#checkOpen();
      validateName('stream', config.stream);
      const subjects = await streamSubjects(this.#jsm, config.stream);
      const compiled = compileConsumerConfig(config, subjects);
      await ensureNatsConsumer(this.#jsm, compiled);
      const consumer = await this.#js.consumers.get(compiled.stream, compiled.durable);
      this.#checkOpen();
      if (compiled.deadLetterSubject !== undefined) {
        this.#deadLetters.watch(compiled.stream, compiled.durable, compiled.deadLetterSubject);
      }
      const loop = new NatsConsumeLoop(consumer, compiled, handler, this.#consumerHost);
      this.#loops.add(loop);
      return {
        unsubscribe: async () => {
          this.#loops.delete(loop);
          await loop.stop();
        },
      };
    });
  }

  /** Deletes a stream and its consumers (for tests and operators; the Bus itself never deletes). */
  deleteStream(name: string): Promise<boolean> {
    return attempt(async () => {
      this.#checkOpen();
      validateName('stream', name);
      this.#streams.delete(name);
      return deleteNatsStream(this.#jsm, name);
    });
  }

  /** True once {@link NatsBus.close} has been called: a `closed` state after it is no failure. */
  get closeRequested(): boolean {
    return this.#closing !== undefined;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#loops].map((loop) => loop.stop()));
    this.#loops.clear();
    await this.#deadLetters.close();
    this.#requests.close(closedError());
    this.#subs.clear();
    if (!this.#nc.isClosed()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#options.drainTimeoutMs);
      });
      await Promise.race([this.#nc.drain().catch(() => undefined), timeout]);
      clearTimeout(timer);
      if (!this.#nc.isClosed()) await this.#nc.close();
    }
    await this.#link.closed();
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw closedError();
  }

  #run<M extends BusMessage>(handler: (msg: M) => void | Promise<void>, msg: M): void {
    try {
      const result: unknown = handler(msg);
      if (result instanceof Promise)
        result.then(undefined, (error: unknown) => this.#handlerFailed(error, msg.subject));
    } catch (error) {
      this.#handlerFailed(error, msg.subject);
    }
  }

  #handlerFailed(error: unknown, subject: string): void {
    try {
      this.#options.onHandlerError?.(error, subject);
    } catch {
      // A failing error hook must not take the bus down with it.
    }
  }

  #report(error: ConclaveError): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // As above.
    }
  }

  #deadLetter(subject: string, advisory: DeadLetterAdvisory): void {
    if (this.#closing !== undefined) return;
    const msgId = `dlq.${advisory.stream}.${advisory.consumer}.${advisory.seq}`;
    this.publish(subject, advisory, { msgId }).catch((error: unknown) =>
      this.#report(fromNatsError(error, `dead-lettering to "${subject}"`)),
    );
  }
}
