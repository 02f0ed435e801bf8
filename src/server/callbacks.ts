import { createHmac, randomUUID } from 'node:crypto';
import {
  ExponentialBackoff,
  TimeoutStrategy,
  handleAll,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import type { Clock } from '../core/clock.ts';
import type { TaskRecord } from '../core/task.ts';
import type { Dispatcher } from '../dispatch/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { toTaskStatus } from './task-view.ts';
import { CONCLAVE_VERSION } from './version.ts';

/** The header carrying a callback's signature. */
export const SIGNATURE_HEADER = 'x-conclave-signature';

/**
 * The signature header's value for `body` sent at `unixSeconds`: `t=<unix>,v1=<hex>`, where the
 * hex is HMAC-SHA256 over `<t>.<body>` with the shared secret (Stripe's scheme, so receivers can
 * reject replays by checking `t`).
 */
export function signCallback(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Options for {@link CallbackDelivery}, with units in their names. */
export interface CallbackDeliveryOptions {
  /** Signs every callback when set; without it callbacks go unsigned (a warning is logged once). */
  secret?: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Wait before the first retry; later waits grow exponentially (with jitter) up to 30 s. */
  baseDelayMs: number;
}

/** What the delivery needs from Conclave. */
export interface CallbackDeliveryDeps {
  dispatcher: Dispatcher;
  clock: Clock;
  logger: Logger;
}

/** The outcome of one delivery: the last HTTP status, or the error that ended it. */
export type CallbackOutcome =
  | { ok: true; status: number; attempts: number }
  | { ok: false; status: number | null; attempts: number; error: string };

/** Statuses worth another attempt: the receiver is busy or broken, not refusing the content. */
const RETRY_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * POSTs a task's final status to its `callback_url` when the dispatcher reports it finished,
 * retrying with exponential backoff (cockatiel) and signing each attempt with an HMAC header.
 * @remarks Best effort and in memory: a delivery still retrying when the process stops is not
 * resumed, and a receiver that is down costs only log lines. The same `x-conclave-delivery` id is
 * sent on every attempt so a receiver can drop duplicates.
 */
export class CallbackDelivery {
  readonly #deps: CallbackDeliveryDeps;
  readonly #options: CallbackDeliveryOptions;
  readonly #policy: IPolicy;
  readonly #abort = new AbortController();
  readonly #pending = new Set<Promise<CallbackOutcome>>();
  #unbind: (() => void) | undefined;
  #warnedUnsigned = false;

  constructor(options: CallbackDeliveryOptions, deps: CallbackDeliveryDeps) {
    this.#options = options;
    this.#deps = deps;
    const retryPolicy = retry(
      handleAll.orWhenResult((r) => RETRY_STATUSES.has((r as { status: number }).status)),
      {
        maxAttempts: options.maxAttempts - 1,
        backoff: new ExponentialBackoff({ initialDelay: options.baseDelayMs, maxDelay: 30_000 }),
      },
    );
    this.#policy = wrap(retryPolicy, timeout(options.timeoutMs, TimeoutStrategy.Cooperative));
  }

  /** Starts listening for finished tasks. */
  start(): void {
    this.#unbind ??= this.#deps.dispatcher.events.on('finished', (task) => {
      if (task.callbackUrl !== null) void this.deliver(task);
    });
  }

  /** Deliveries under way. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Sends `task`'s final status to its callback URL; never rejects. */
  deliver(task: TaskRecord): Promise<CallbackOutcome> {
    const run = this.#send(task);
    this.#pending.add(run);
    void run.finally(() => this.#pending.delete(run));
    return run;
  }

  /** Stops listening and abandons deliveries still retrying. */
  async close(): Promise<void> {
    this.#unbind?.();
    this.#unbind = undefined;
    this.#abort.abort();
    await Promise.allSettled([...this.#pending]);
  }

  async #send(task: TaskRecord): Promise<CallbackOutcome> {
    const url = task.callbackUrl ?? '';
    const body = JSON.stringify({ event: 'task.finished', ...toTaskStatus(task), corr_id: task.corrId });
    const delivery = randomUUID();
    const { secret } = this.#options;
    if (secret === undefined && !this.#warnedUnsigned) {
      this.#warnedUnsigned = true;
      this.#deps.logger.warn(
        { event: 'callback_unsigned' },
        'server.callback_secret is not set: callbacks are unsigned',
      );
    }
    let attempts = 0;
    let lastStatus: number | null = null;
    try {
      const res = await this.#policy.execute(async ({ signal }) => {
        attempts++;
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'user-agent': `conclave/${CONCLAVE_VERSION}`,
          'x-conclave-event': 'task.finished',
          'x-conclave-delivery': delivery,
        };
        if (secret !== undefined) {
          headers[SIGNATURE_HEADER] = signCallback(secret, Math.floor(this.#deps.clock.now() / 1000), body);
        }
        const response = await fetch(url, { method: 'POST', headers, body, signal, redirect: 'manual' });
        await response.body?.cancel();
        lastStatus = response.status;
        return { status: response.status };
      }, this.#abort.signal);
      const ok = res.status >= 200 && res.status < 300;
      this.#log(task, url, ok, attempts, res.status, ok ? undefined : `receiver answered ${res.status}`);
      return ok
        ? { ok, status: res.status, attempts }
        : { ok, status: res.status, attempts, error: `receiver answered ${res.status}` };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.#log(task, url, false, attempts, lastStatus, error);
      return { ok: false, status: lastStatus, attempts, error };
    }
  }

  #log(
    task: TaskRecord,
    url: string,
    ok: boolean,
    attempts: number,
    status: number | null,
    error?: string,
  ): void {
    // The URL's query may hold a receiver's token: log origin and path only.
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    const fields = {
      event: ok ? 'callback_delivered' : 'callback_failed',
      task_id: task.id,
      corr_id: task.corrId,
      callback: parsed === undefined ? '(invalid)' : `${parsed.origin}${parsed.pathname}`,
      attempts,
      status,
      ...(error === undefined ? {} : { error }),
    };
    if (ok) this.#deps.logger.info(fields, 'callback delivered');
    else this.#deps.logger.warn(fields, 'callback not delivered');
  }
}
