import type { Clock, TimerHandle } from '../core/clock.ts';
import { ConclaveError } from '../core/errors.ts';
import type {
  ConsumerConfig,
  DeadLetterAdvisory,
  DeliveredMessage,
  DeliveryHandler,
  Headers,
  Subscription,
} from './bus.ts';
import type { MemoryStream, StoredMessage } from './memory-stream.ts';
import {
  patternsOverlap,
  subjectMatches,
  validateName,
  validatePattern,
  validateSubject,
} from './subject.ts';
import { runDetached, tracingEnabled } from '../telemetry/spans.ts';

/** Messages in flight per `consume` call when the config does not say. */
export const DEFAULT_MAX_ACK_PENDING = 256;

/** A {@link ConsumerConfig} validated and completed with defaults. */
export interface CompiledConsumerConfig {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string | undefined;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly deadLetterSubject: string | undefined;
  readonly maxAckPending: number;
}

/** Validates a consumer config against its stream's subjects and fills in defaults. */
export function compileConsumerConfig(
  config: ConsumerConfig,
  streamSubjects: readonly string[],
): CompiledConsumerConfig {
  validateName('durable', config.durable);
  if (!(config.ackWaitMs > 0) || !Number.isFinite(config.ackWaitMs)) {
    throw new ConclaveError(
      'VALIDATION_FAILED',
      `consumer ackWaitMs must be a positive number, got ${config.ackWaitMs}`,
    );
  }
  const integer = (field: string, value: number): number => {
    if (!Number.isInteger(value) || value < 1) {
      throw new ConclaveError('VALIDATION_FAILED', `consumer ${field} must be an integer >= 1, got ${value}`);
    }
    return value;
  };
  if (config.filterSubject !== undefined) {
    const filter = config.filterSubject;
    validatePattern(filter);
    if (!streamSubjects.some((s) => patternsOverlap(s, filter))) {
      throw new ConclaveError(
        'VALIDATION_FAILED',
        `consumer filterSubject "${filter}" matches none of stream "${config.stream}" subjects (${streamSubjects.join(', ')})`,
      );
    }
  }
  if (config.deadLetterSubject !== undefined) validateSubject(config.deadLetterSubject);
  return {
    stream: config.stream,
    durable: config.durable,
    filterSubject: config.filterSubject,
    ackWaitMs: config.ackWaitMs,
    maxDeliver: integer('maxDeliver', config.maxDeliver),
    deadLetterSubject: config.deadLetterSubject,
    maxAckPending: integer('maxAckPending', config.maxAckPending ?? DEFAULT_MAX_ACK_PENDING),
  };
}

/** What a consumer needs from the bus that owns it. */
export interface ConsumerHost {
  readonly clock: Clock;
  /** Runs a handler, counting the delivery and isolating its errors. */
  run(handler: DeliveryHandler, msg: DeliveredMessage): void;
  /** Publishes a dead-letter advisory. */
  advise(subject: string, advisory: DeadLetterAdvisory): void;
}

interface Attachment {
  readonly handler: DeliveryHandler;
  readonly maxAckPending: number;
  inFlight: number;
}

/** A message the consumer has handed out at least once and not yet finished with. */
interface Pending {
  readonly msg: StoredMessage;
  deliveryCount: number;
  /** Bumped on each delivery, so settling a stale delivery is recognised. */
  deliveryId: number;
  state: 'inflight' | 'delayed' | 'ready' | 'done';
  attachment: Attachment | undefined;
  timer: TimerHandle | undefined;
}

/** How a {@link Delivery} settles the message it stands for. */
interface DeliveryControl {
  ack(entry: Pending): void;
  nak(entry: Pending, deliveryId: number, delayMs: number): void;
  term(entry: Pending, reason: string | undefined): void;
  working(entry: Pending, deliveryId: number): void;
}

function isCurrent(entry: Pending, deliveryId: number): boolean {
  return entry.deliveryId === deliveryId && entry.state === 'inflight';
}

/**
 * The message a durable handler receives. A class rather than a literal of closures because one is
 * made per delivery; like nats.js' JsMsg, call its methods on it (`msg.ack()`), don't detach them.
 */
class Delivery implements DeliveredMessage {
  readonly subject: string;
  readonly data: unknown;
  readonly headers: Headers;
  readonly seq: number;
  readonly deliveryCount: number;
  readonly #entry: Pending;
  readonly #id: number;
  readonly #control: DeliveryControl;

  constructor(entry: Pending, control: DeliveryControl) {
    const { msg } = entry;
    this.subject = msg.subject;
    this.data = msg.data;
    this.headers = { ...msg.headers };
    this.seq = msg.seq;
    this.deliveryCount = entry.deliveryCount;
    this.#entry = entry;
    this.#id = entry.deliveryId;
    this.#control = control;
  }

  ack(): void {
    this.#control.ack(this.#entry);
  }

  nak(delayMs = 0): void {
    this.#control.nak(this.#entry, this.#id, delayMs);
  }

  term(reason?: string): void {
    this.#control.term(this.#entry, reason);
  }

  working(): void {
    this.#control.working(this.#entry, this.#id);
  }
}

/**
 * A durable consumer on a {@link MemoryStream}: a cursor (deliver policy "all"), the set of messages
 * handed out but not acked, and the `consume` calls currently attached. It outlives its
 * attachments, so a re-attached consumer resumes where it was.
 *
 * @remarks Redeliveries go out before new messages. An ack or term is honoured from any delivery
 * of a message still pending (the work is done either way); nak and working() only from the latest.
 */
export class MemoryConsumer {
  #config: CompiledConsumerConfig;
  readonly #stream: MemoryStream;
  readonly #host: ConsumerHost;
  #nextSeq: number;
  readonly #pending = new Map<number, Pending>();
  /** Entries due for redelivery, from `#readyHead` on. */
  #ready: Pending[] = [];
  #readyHead = 0;
  readonly #attachments: Attachment[] = [];
  #turn = 0;
  #scheduled = false;
  readonly #detach: () => void;
  #closed = false;
  /** Settling after close() is a no-op: no timer may outlive the bus. */
  readonly #control: DeliveryControl = {
    ack: (entry) => {
      if (!this.#closed && entry.state !== 'done') this.#finish(entry);
    },
    nak: (entry, id, delayMs) => {
      if (!this.#closed && isCurrent(entry, id)) this.#retry(entry, delayMs);
    },
    term: (entry, reason) => {
      if (!this.#closed && entry.state !== 'done') this.#deadLetter(entry, 'terminated', reason);
    },
    working: (entry, id) => {
      if (!this.#closed && isCurrent(entry, id)) this.#startAckTimer(entry);
    },
  };

  constructor(stream: MemoryStream, config: CompiledConsumerConfig, host: ConsumerHost) {
    this.#stream = stream;
    this.#config = config;
    this.#host = host;
    this.#nextSeq = stream.firstSeq;
    this.#detach = stream.onAppend(() => this.#schedule());
  }

  /** Applies new settings; they govern deliveries from now on. */
  update(config: CompiledConsumerConfig): void {
    this.#config = config;
  }

  /** Starts delivering to `handler`, at most `maxAckPending` unacked at a time. */
  attach(handler: DeliveryHandler, maxAckPending: number): Subscription {
    const attachment: Attachment = { handler, maxAckPending, inFlight: 0 };
    this.#attachments.push(attachment);
    this.#schedule();
    return {
      unsubscribe: () => {
        const i = this.#attachments.indexOf(attachment);
        if (i >= 0) this.#attachments.splice(i, 1);
        return Promise.resolve();
      },
    };
  }

  /** Stops every timer and delivery for good. */
  close(): void {
    this.#closed = true;
    this.#detach();
    this.#attachments.length = 0;
    this.#ready = [];
    this.#readyHead = 0;
    for (const entry of this.#pending.values()) this.#clearTimer(entry);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // The microtask would run in the scheduling publisher's trace context, for every message pumped.
    queueMicrotask(tracingEnabled() ? this.#scheduledPumpDetached : this.#scheduledPump);
  }

  readonly #scheduledPump = (): void => {
    this.#scheduled = false;
    this.#pump();
  };

  readonly #scheduledPumpDetached = (): void => runDetached(this.#scheduledPump);

  #pump(): void {
    while (!this.#closed) {
      const attachment = this.#nextAttachment();
      if (attachment === undefined) return;
      const entry = this.#nextMessage();
      if (entry === undefined) return;
      this.#deliver(entry, attachment);
    }
  }

  #nextAttachment(): Attachment | undefined {
    const n = this.#attachments.length;
    for (let k = 0; k < n; k++) {
      const a = this.#attachments[(this.#turn + k) % n] as Attachment;
      if (a.inFlight < a.maxAckPending) {
        this.#turn = (this.#turn + k + 1) % n;
        return a;
      }
    }
    return undefined;
  }

  #nextMessage(): Pending | undefined {
    while (this.#readyHead < this.#ready.length) {
      const entry = this.#ready[this.#readyHead++] as Pending;
      if (this.#readyHead === this.#ready.length) {
        this.#ready = [];
        this.#readyHead = 0;
      }
      if (entry.state !== 'ready') continue;
      if (this.#stream.get(entry.msg.seq) === undefined) {
        // Pushed out of the stream by its limits: JetStream does not redeliver those either.
        entry.state = 'done';
        this.#pending.delete(entry.msg.seq);
        continue;
      }
      return entry;
    }
    this.#nextSeq = Math.max(this.#nextSeq, this.#stream.firstSeq);
    const filter = this.#config.filterSubject;
    while (this.#nextSeq <= this.#stream.lastSeq) {
      const msg = this.#stream.get(this.#nextSeq++);
      if (msg === undefined || (filter !== undefined && !subjectMatches(filter, msg.subject))) continue;
      const entry: Pending = {
        msg,
        deliveryCount: 0,
        deliveryId: 0,
        state: 'ready',
        attachment: undefined,
        timer: undefined,
      };
      this.#pending.set(msg.seq, entry);
      return entry;
    }
    return undefined;
  }

  #deliver(entry: Pending, attachment: Attachment): void {
    entry.deliveryCount++;
    entry.deliveryId++;
    entry.state = 'inflight';
    entry.attachment = attachment;
    attachment.inFlight++;
    this.#startAckTimer(entry);
    this.#host.run(attachment.handler, new Delivery(entry, this.#control));
  }

  #startAckTimer(entry: Pending): void {
    this.#clearTimer(entry);
    const id = entry.deliveryId;
    entry.timer = this.#host.clock.setTimeout(() => {
      entry.timer = undefined;
      if (entry.deliveryId === id && entry.state === 'inflight') this.#retry(entry, 0);
    }, this.#config.ackWaitMs);
  }

  #clearTimer(entry: Pending): void {
    if (entry.timer !== undefined) this.#host.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  /** Takes the entry out of flight (freeing its attachment's slot) and stops its timer. */
  #release(entry: Pending): void {
    this.#clearTimer(entry);
    if (entry.state === 'inflight' && entry.attachment !== undefined) {
      entry.attachment.inFlight--;
      this.#schedule();
    }
    entry.attachment = undefined;
  }

  #finish(entry: Pending): void {
    this.#release(entry);
    entry.state = 'done';
    this.#pending.delete(entry.msg.seq);
  }

  #retry(entry: Pending, delayMs: number): void {
    this.#release(entry);
    if (entry.deliveryCount >= this.#config.maxDeliver) {
      this.#deadLetter(entry, 'max_deliveries');
      return;
    }
    const requeue = (): void => {
      entry.timer = undefined;
      entry.state = 'ready';
      this.#ready.push(entry);
      this.#schedule();
    };
    if (delayMs > 0) {
      entry.state = 'delayed';
      entry.timer = this.#host.clock.setTimeout(requeue, delayMs);
    } else {
      requeue();
    }
  }

  #deadLetter(entry: Pending, reason: DeadLetterAdvisory['reason'], detail?: string): void {
    this.#finish(entry);
    const subject = this.#config.deadLetterSubject;
    if (subject === undefined) return;
    const { msg } = entry;
    const advisory: DeadLetterAdvisory = {
      stream: this.#stream.name,
      consumer: this.#config.durable,
      seq: msg.seq,
      subject: msg.subject,
      deliveries: entry.deliveryCount,
      reason,
      data: msg.data,
      headers: { ...msg.headers },
    };
    if (detail !== undefined) advisory.detail = detail;
    this.#host.advise(subject, advisory);
  }
}
