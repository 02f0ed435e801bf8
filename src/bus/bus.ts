/**
 * The messaging substrate. The embedded shape runs {@link Bus} in process (memory-bus.ts); the
 * distributed shape runs it on NATS JetStream. Domain code only sees this interface.
 *
 * Subjects are dot-separated tokens; subscriptions may use NATS wildcards: `*` matches exactly one
 * token, `>` matches one or more trailing tokens.
 */

/** Message headers. Well-known keys are in {@link HEADER}. */
export type Headers = Record<string, string>;

/** Well-known header names. */
export const HEADER = {
  corrId: 'conclave-corr-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  msgId: 'Nats-Msg-Id',
} as const;

/** A message as delivered to a subscriber. `data` is a JSON value. */
export interface BusMessage<T = unknown> {
  readonly subject: string;
  readonly data: T;
  readonly headers: Headers;
  /** Subject to reply to, for request/reply. */
  readonly replyTo?: string;
}

/** A message delivered by a durable consumer: it must be acked, naked or termed. */
export interface DeliveredMessage<T = unknown> extends BusMessage<T> {
  /** The stream sequence number. */
  readonly seq: number;
  /** 1 on first delivery, 2 on the first redelivery, … */
  readonly deliveryCount: number;
  /** Done: never deliver again. */
  ack(): void;
  /** Failed: redeliver after `delayMs` (default: at once). */
  nak(delayMs?: number): void;
  /** Poison: never deliver again, and publish an advisory to the dead-letter subject if one is set. */
  term(reason?: string): void;
  /** Still working: restart the ack-wait timer. */
  working(): void;
}

/** Options for publish. */
export interface PublishOptions {
  headers?: Headers;
  /** Deduplication id: a second publish with the same id inside the stream's window is dropped. */
  msgId?: string;
}

/** Options for a plain (non-durable) subscription. */
export interface SubscribeOptions {
  /** Queue group: each message goes to exactly one member of the group. */
  queue?: string;
}

/** Options for request/reply. */
export interface RequestOptions {
  timeoutMs: number;
  headers?: Headers;
  signal?: AbortSignal;
}

/** A stream retains messages on its subjects for durable consumers. */
export interface StreamConfig {
  name: string;
  subjects: string[];
  /** Maximum messages kept (oldest dropped first). */
  maxMsgs?: number;
  /** Maximum age of a kept message. */
  maxAgeMs?: number;
  /** Window for msgId deduplication. Default 2 minutes. */
  duplicateWindowMs?: number;
}

/** A durable consumer: a named cursor on a stream, shared by every `consume` call that names it. */
export interface ConsumerConfig {
  stream: string;
  durable: string;
  /** Only messages whose subject matches this pattern. Default: every subject of the stream. */
  filterSubject?: string;
  /** Unacked messages are redelivered after this long. */
  ackWaitMs: number;
  /** After this many deliveries without an ack, the message is dropped with an advisory. */
  maxDeliver: number;
  /** Where advisories for exhausted and termed messages go (a `DeadLetterAdvisory`). */
  deadLetterSubject?: string;
  /** Messages delivered but not yet acked, at most, per consume call. Default 256. */
  maxAckPending?: number;
}

/** Published on a consumer's dead-letter subject when a message exhausts max-deliver or is termed. */
export interface DeadLetterAdvisory {
  stream: string;
  consumer: string;
  seq: number;
  subject: string;
  deliveries: number;
  reason: 'max_deliveries' | 'terminated';
  detail?: string;
  data: unknown;
  headers: Headers;
}

/** A live subscription or consumer; `unsubscribe` stops delivery (pending acks on a durable are kept). */
export interface Subscription {
  unsubscribe(): Promise<void>;
}

/** A handler may be async; a durable consumer's handler acks/naks explicitly. */
export type MessageHandler<T = unknown> = (msg: BusMessage<T>) => void | Promise<void>;
export type DeliveryHandler<T = unknown> = (msg: DeliveredMessage<T>) => void | Promise<void>;

/** The Bus. See the file comment. */
export interface Bus {
  publish(subject: string, data: unknown, options?: PublishOptions): Promise<void>;
  subscribe(pattern: string, handler: MessageHandler, options?: SubscribeOptions): Subscription;
  /** Sends a request and waits for the first reply. `NO_RESPONDERS` when nobody listens; `TIMEOUT` after timeoutMs. */
  request<T = unknown>(subject: string, data: unknown, options: RequestOptions): Promise<BusMessage<T>>;
  /** Replies to a request message. */
  respond(request: BusMessage, data: unknown, headers?: Headers): Promise<void>;
  /** Creates the stream, or updates its subjects and limits. */
  ensureStream(config: StreamConfig): Promise<void>;
  /** Starts consuming a durable consumer (created on first use). Several calls share its messages. */
  consume(config: ConsumerConfig, handler: DeliveryHandler): Promise<Subscription>;
  /** Stops everything; pending deliveries are not acked. */
  close(): Promise<void>;
}
