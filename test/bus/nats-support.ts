import { NatsBus } from '../../src/bus/index.ts';
import type {
  Bus,
  BusMessage,
  ConsumerConfig,
  DeliveryHandler,
  Headers,
  MessageHandler,
  PublishOptions,
  RequestOptions,
  StreamConfig,
  SubscribeOptions,
  Subscription,
} from '../../src/bus/index.ts';

/** The test server, overridable with CONCLAVE_TEST_NATS_URL. */
export const NATS_URL = process.env['CONCLAVE_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** Resolves after `ms` real milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds; fails after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 2_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(5);
  }
}

/** Deletes the named streams (and so their consumers) through a short-lived bus of its own. */
export async function deleteStreams(names: Iterable<string>): Promise<void> {
  const list = [...names];
  if (list.length === 0) return;
  const admin = await NatsBus.connect({ servers: NATS_URL, name: 'conclave-test-cleanup' });
  try {
    for (const name of list) await admin.deleteStream(name);
  } finally {
    await admin.close();
  }
}

/** A {@link Bus} that notes the name of every stream it ensures, so a fixture can delete them. */
export class StreamTrackingBus implements Bus {
  readonly #inner: Bus;
  readonly #created: Set<string>;

  constructor(inner: Bus, created: Set<string>) {
    this.#inner = inner;
    this.#created = created;
  }

  publish(subject: string, data: unknown, options?: PublishOptions): Promise<void> {
    return this.#inner.publish(subject, data, options);
  }

  subscribe(pattern: string, handler: MessageHandler, options?: SubscribeOptions): Subscription {
    return this.#inner.subscribe(pattern, handler, options);
  }

  request<T = unknown>(subject: string, data: unknown, options: RequestOptions): Promise<BusMessage<T>> {
    return this.#inner.request<T>(subject, data, options);
  }

  respond(request: BusMessage, data: unknown, headers?: Headers): Promise<void> {
    return this.#inner.respond(request, data, headers);
  }

  ensureStream(config: StreamConfig): Promise<void> {
    this.#created.add(config.name);
    return this.#inner.ensureStream(config);
  }

  consume(config: ConsumerConfig, handler: DeliveryHandler): Promise<Subscription> {
    return this.#inner.consume(config, handler);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
