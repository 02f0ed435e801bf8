import { randomUUID } from 'node:crypto';
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import { ConclaveError, toConclaveError } from '../core/errors.ts';
import { copyRecord } from '../core/records.ts';
import { runDetached, tracingEnabled } from '../telemetry/spans.ts';
import { HEADER } from './bus.ts';
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
import { MemoryConsumer, compileConsumerConfig } from './memory-consumer.ts';
import { MemoryStream, compileStreamConfig } from './memory-stream.ts';
import {
  SubjectIndex,
  patternsOverlap,
  validateName,
  validatePattern,
  validateQueue,
  validateSubject,
} from './subject.ts';

/** Options for {@link MemoryBus}. */
export interface MemoryBusOptions {
  /** Drives ack-wait, nak delays, request timeouts and stream ages. Default: the system clock. */
  clock?: Clock;
  /** Told about every error a handler throws or rejects with (they are also counted in stats). */
  onHandlerError?: (error: unknown, subject: string) => void;
}

/** Counters kept by a {@link MemoryBus}. */
export interface MemoryBusStats {
  /** Messages accepted by publish (including replies and advisories). */
  published: number;
  /** Handler invocations, plain and durable. */
  delivered: number;
  /** Handlers that threw or rejected. */
  handlerErrors: number;
}

interface PlainSubscription {
  readonly pattern: string;
  readonly handler: MessageHandler;
  readonly queue: string | undefined;
  active: boolean;
}

interface QueueGroupPlan {
  readonly members: PlainSubscription[];
  next: number;
}

/** Who receives a message on one subject: computed once per subject, cached until interest changes. */
interface DeliveryPlan {
  readonly plain: PlainSubscription[];
  readonly groups: QueueGroupPlan[];
  readonly streams: MemoryStream[];
}

interface PendingRequest {
  settle(error: ConclaveError | undefined, reply?: BusMessage): void;
}

const INBOX_PREFIX = '_INBOX.';
const PLAN_CACHE_LIMIT = 10_000;
const RESOLVED: Promise<void> = Promise.resolve();

function closedError(): ConclaveError {
  return new ConclaveError('BUS_ERROR', 'bus is closed', { retryable: false });
}

/** Runs `fn` and turns what it returns or throws into a promise. */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(toConclaveError(error));
  }
}

/**
 * The in-process {@link Bus} of the embedded shape: NATS subject semantics (wildcards, queue
 * groups, request/reply) and JetStream-like durable streams, all in memory.
 *
 * @remarks Publish finds its receivers through a subject trie whose result is cached per subject,
 * so the hot path is one map lookup. Handlers are queued and run from a microtask, never inside
 * publish's call stack. Message data is passed by reference, not copied: treat it as immutable.
 */
export class MemoryBus implements Bus {
  readonly #clock: Clock;
  readonly #onHandlerError: ((error: unknown, subject: string) => void) | undefined;
  readonly #subs = new SubjectIndex<PlainSubscription>();
  readonly #streamIndex = new SubjectIndex<MemoryStream>();
  readonly #streams = new Map<string, MemoryStream>();
  readonly #consumers = new Map<string, MemoryConsumer>();
  readonly #plans = new Map<string, DeliveryPlan>();
  readonly #requests = new Map<string, PendingRequest>();
  readonly #inboxPrefix = `${INBOX_PREFIX}${randomUUID().replaceAll('-', '')}.`;
  #inboxSeq = 0;
  /** Pending plain deliveries as (subscription, message) pairs, drained by one microtask. */
  #queue: Array<PlainSubscription | BusMessage> = [];
  #drainScheduled = false;
  #closed = false;
  readonly #stats: MemoryBusStats = { published: 0, delivered: 0, handlerErrors: 0 };

  constructor(options: MemoryBusOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#onHandlerError = options.onHandlerError;
  }

  /** A snapshot of the bus counters. */
  stats(): MemoryBusStats {
    return { ...this.#stats };
  }

  publish(subject: string, data: unknown, options?: PublishOptions): Promise<void> {
    try {
      this.#publish(subject, data, options?.headers, options?.msgId, undefined);
      return RESOLVED;
    } catch (error) {
      return Promise.reject(toConclaveError(error));
    }
  }

  subscribe(pattern: string, handler: MessageHandler, options?: SubscribeOptions): Subscription {
    if (this.#closed) throw closedError();
    validatePattern(pattern);
    if (options?.queue !== undefined) validateQueue(options.queue);
    const sub: PlainSubscription = { pattern, handler, queue: options?.queue, active: true };
    this.#subs.add(pattern, sub);
    this.#plans.clear();
    return {
      unsubscribe: () => {
        if (sub.active) {
          sub.active = false;
          this.#subs.remove(pattern, sub);
          this.#plans.clear();
        }
        return RESOLVED;
      },
    };
  }

  request<T = unknown>(subject: string, data: unknown, options: RequestOptions): Promise<BusMessage<T>> {
    const { signal, timeoutMs } = options;
    try {
      this.#checkRequest(subject, options);
    } catch (error) {
      return Promise.reject(toConclaveError(error));
    }
    return new Promise<BusMessage<T>>((resolve, reject) => {
      const inbox = `${this.#inboxPrefix}${++this.#inboxSeq}`;
      const settle = (error: ConclaveError | undefined, reply?: BusMessage): void => {
        if (!this.#requests.delete(inbox)) return;
        this.#clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error !== undefined) reject(error);
        else resolve(reply as BusMessage<T>);
      };
      const onAbort = (): void =>
        settle(new ConclaveError('CANCELLED', `request to "${subject}" aborted`, { cause: signal?.reason }));
      const timer = this.#clock.setTimeout(
        () => settle(new ConclaveError('TIMEOUT', `no reply on "${subject}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#requests.set(inbox, { settle });
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.#publish(subject, data, options.headers, undefined, inbox);
      } catch (error) {
        settle(toConclaveError(error, 'BUS_ERROR'));
      }
    });
  }

  respond(request: BusMessage, data: unknown, headers?: Headers): Promise<void> {
    return attempt(() => {
      if (request.replyTo === undefined) {
        throw new ConclaveError(
          'VALIDATION_FAILED',
          `message on "${request.subject}" has no replyTo to respond to`,
        );
      }
      this.#publish(request.replyTo, data, headers, undefined, undefined);
    });
  }

  ensureStream(config: StreamConfig): Promise<void> {
    return attempt(() => {
      if (this.#closed) throw closedError();
      const compiled = compileStreamConfig(config);
      for (const other of this.#streams.values()) {
        if (other.name === compiled.name) continue;
        const clash = compiled.subjects.find((s) => other.subjects.some((o) => patternsOverlap(s, o)));
        if (clash !== undefined) {
          throw new ConclaveError(
            'CONFLICT',
            `stream "${compiled.name}" subject "${clash}" overlaps stream "${other.name}"`,
          );
        }
      }
      let stream = this.#streams.get(compiled.name);
      if (stream === undefined) {
        stream = new MemoryStream(compiled, this.#clock);
        this.#streams.set(compiled.name, stream);
      } else {
        for (const s of stream.subjects) this.#streamIndex.remove(s, stream);
        stream.update(compiled);
      }
      for (const s of compiled.subjects) this.#streamIndex.add(s, stream);
      this.#plans.clear();
    });
  }

  consume(config: ConsumerConfig, handler: DeliveryHandler): Promise<Subscription> {
    return attempt(() => {
      if (this.#closed) throw closedError();
      validateName('stream', config.stream);
      const stream = this.#streams.get(config.stream);
      if (stream === undefined) {
        throw new ConclaveError(
          'NOT_FOUND',
          `stream "${config.stream}" does not exist; call ensureStream first`,
        );
      }
      const compiled = compileConsumerConfig(config, stream.subjects);
      const key = `${compiled.stream}.${compiled.durable}`;
      let consumer = this.#consumers.get(key);
      if (consumer === undefined) {
        consumer = new MemoryConsumer(stream, compiled, {
          clock: this.#clock,
          run: (h, msg) => this.#run(h, msg),
          advise: (subject, advisory) => this.#advise(subject, advisory),
        });
        this.#consumers.set(key, consumer);
      } else {
        consumer.update(compiled);
      }
      return consumer.attach(handler, compiled.maxAckPending);
    });
  }

  close(): Promise<void> {
    if (this.#closed) return RESOLVED;
    this.#closed = true;
    for (const consumer of this.#consumers.values()) consumer.close();
    for (const request of [...this.#requests.values()]) request.settle(closedError());
    this.#queue = [];
    this.#plans.clear();
    return RESOLVED;
  }

  /** Throws unless a request could be sent now: open bus, live signal, sane timeout, a responder. */
  #checkRequest(subject: string, { signal, timeoutMs }: RequestOptions): void {
    if (this.#closed) throw closedError();
    if (signal?.aborted === true) {
      throw new ConclaveError('CANCELLED', `request to "${subject}" aborted`, { cause: signal.reason });
    }
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new ConclaveError(
        'VALIDATION_FAILED',
        `request timeoutMs must be a positive number, got ${timeoutMs}`,
      );
    }
    const plan = this.#planFor(subject);
    if (plan.plain.length === 0 && plan.groups.length === 0) {
      throw new ConclaveError('NO_RESPONDERS', `no subscriber on "${subject}"`, { details: { subject } });
    }
  }

  #publish(
    subject: string,
    data: unknown,
    headers: Headers | undefined,
    msgId: string | undefined,
    replyTo: string | undefined,
  ): void {
    if (this.#closed) throw closedError();
    const plan = this.#planFor(subject);
    this.#stats.published++;
    const copy: Headers = headers === undefined ? {} : copyRecord(headers);
    if (msgId !== undefined) copy[HEADER.msgId] = msgId;
    const msg: BusMessage =
      replyTo === undefined ? { subject, data, headers: copy } : { subject, data, headers: copy, replyTo };
    for (const sub of plan.plain) this.#enqueue(sub, msg);
    for (const group of plan.groups) {
      this.#enqueue(group.members[group.next++ % group.members.length] as PlainSubscription, msg);
    }
    for (const stream of plan.streams) stream.append(subject, data, copy, copy[HEADER.msgId]);
    if (this.#requests.size > 0) this.#requests.get(subject)?.settle(undefined, msg);
  }

  #planFor(subject: string): DeliveryPlan {
    const cached = this.#plans.get(subject);
    if (cached !== undefined) return cached;
    validateSubject(subject);
    const plain: PlainSubscription[] = [];
    const byQueue = new Map<string, PlainSubscription[]>();
    for (const sub of this.#subs.match(subject)) {
      if (sub.queue === undefined) plain.push(sub);
      else {
        const members = byQueue.get(sub.queue);
        if (members === undefined) byQueue.set(sub.queue, [sub]);
        else members.push(sub);
      }
    }
    const groups = [...byQueue.values()].map((members) => ({ members, next: 0 }));
    // A stream with overlapping subjects of its own matches once per pattern: store the message once.
    const streams = [...new Set(this.#streamIndex.match(subject))];
    const plan: DeliveryPlan = { plain, groups, streams };
    // Inboxes are single-use; caching their plans would only evict useful ones.
    if (!subject.startsWith(INBOX_PREFIX)) {
      if (this.#plans.size >= PLAN_CACHE_LIMIT) this.#plans.clear();
      this.#plans.set(subject, plan);
    }
    return plan;
  }

  #enqueue(sub: PlainSubscription, msg: BusMessage): void {
    this.#queue.push(sub, msg);
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      // The microtask would run in the scheduling publisher's trace context, for every message drained.
      queueMicrotask(tracingEnabled() ? this.#drainDetached : this.#drain);
    }
  }

  readonly #drainDetached = (): void => runDetached(this.#drain);

  readonly #drain = (): void => {
    const queue = this.#queue;
    // Handlers may publish: their deliveries join this same queue and run in this same drain.
    for (let i = 0; i < queue.length && !this.#closed; i += 2) {
      const sub = queue[i] as PlainSubscription;
      if (sub.active) this.#run(sub.handler, queue[i + 1] as BusMessage);
    }
    queue.length = 0;
    this.#drainScheduled = false;
  };

  #run<M extends BusMessage>(handler: (msg: M) => void | Promise<void>, msg: M): void {
    this.#stats.delivered++;
    try {
      const result: unknown = handler(msg);
      // A handler typed `void` may still return a value (`(m) => list.push(m)`): only chain promises.
      if (result instanceof Promise) {
        result.then(undefined, (error: unknown) => this.#handlerFailed(error, msg.subject));
      }
    } catch (error) {
      this.#handlerFailed(error, msg.subject);
    }
  }

  #handlerFailed(error: unknown, subject: string): void {
    this.#stats.handlerErrors++;
    if (this.#onHandlerError === undefined) return;
    try {
      this.#onHandlerError(error, subject);
    } catch {
      // A failing error hook must not take the bus down with it.
    }
  }

  #advise(subject: string, advisory: DeadLetterAdvisory): void {
    if (this.#closed) return;
    this.#publish(subject, advisory, undefined, undefined, undefined);
  }
}
