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
import type { CallbackDeliveryRecord, CallbackRepository } from '../store/index.ts';
import type { ConclaveMetrics, Logger } from '../telemetry/index.ts';
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
  /**
   * Attempts in all, the first included. Counted across a graceful restart (the count is written
   * when shutdown interrupts a delivery); after a crash, the attempts since the delivery was last
   * recorded are not known and are made again.
   */
  maxAttempts: number;
  /** Wait before the first retry; later waits grow exponentially (with jitter) up to 30 s. */
  baseDelayMs: number;
}

/** What the delivery needs from Conclave. */
export interface CallbackDeliveryDeps {
  dispatcher: Dispatcher;
  clock: Clock;
  logger: Logger;
  /** Where each delivery is recorded before its first attempt, so a pending one survives a restart. */
  store: CallbackRepository;
  /**
   * This process's `server.instance_id`: written as the owner of every delivery it records, and
   * the only owner (besides none) whose pending deliveries {@link CallbackDelivery.resume} sends.
   */
  instanceId: string;
  /** Counts deliveries ended and resumed; optional so a bare delivery can run without metrics. */
  metrics?: Pick<ConclaveMetrics, 'callbackDeliveries' | 'callbacksResumed'>;
}

/**
 * The outcome of one delivery: the last HTTP status, or the error that ended it. `attempts`
 * counts every attempt, those of earlier processes included. `suspended` is true when shutdown
 * interrupted it: it stays pending and resumes on the next start.
 */
export type CallbackOutcome =
  | { ok: true; status: number; attempts: number }
  | { ok: false; status: number | null; attempts: number; error: string; suspended: boolean };

/** Statuses worth another attempt: the receiver is busy or broken, not refusing the content. */
const RETRY_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** The event every task callback carries. */
const TASK_FINISHED = 'task.finished';

/** Pending deliveries read per page when resuming. */
const RESUME_PAGE = 500;

/**
 * POSTs a task's final status to its `callback_url` when the dispatcher reports it finished,
 * retrying with exponential backoff (cockatiel) and signing each attempt with an HMAC header.
 * @remarks Durable: each delivery is recorded in the store (`pending`, with the exact body) before
 * its first attempt and marked `delivered` or `failed` when it ends. Shutdown abandons the
 * retries but leaves the record pending; {@link CallbackDelivery.resume} sends what a previous
 * process left pending, with the attempts it has left (at least one). The same
 * `x-conclave-delivery` id is sent on every attempt, across restarts too, so a receiver can drop
 * duplicates: delivery is at least once (a crash after the receiver answered but before the record
 * says so sends it again). A delivery that cannot be recorded is still sent, from memory.
 */
export class CallbackDelivery {
  readonly #deps: CallbackDeliveryDeps;
  readonly #options: CallbackDeliveryOptions;
  readonly #abort = new AbortController();
  /** Deliveries under way in this process, by delivery id. */
  readonly #pending = new Map<string, Promise<CallbackOutcome>>();
  #unbind: (() => void) | undefined;
  #warnedUnsigned = false;

  constructor(options: CallbackDeliveryOptions, deps: CallbackDeliveryDeps) {
    this.#options = options;
    this.#deps = deps;
  }

  /** Starts listening for finished tasks. */
  start(): void {
    this.#unbind ??= this.#deps.dispatcher.events.on('finished', (task) => {
      if (task.callbackUrl !== null) void this.deliver(task);
    });
  }

  /**
   * Sends every delivery a previous process with this instance id (or one from before owners were
   * recorded) left pending, oldest first — never a live peer's — skipping those already under way
   * here; resolves with how many it picked up, once they are started (not finished).
   */
  async resume(): Promise<number> {
    if (this.#abort.signal.aborted) return 0;
    const left: CallbackDeliveryRecord[] = [];
    for (let offset = 0; ; offset += RESUME_PAGE) {
      const page = await this.#deps.store.listPending({
        owner: this.#deps.instanceId,
        limit: RESUME_PAGE,
        offset,
      });
      left.push(...page);
      if (page.length < RESUME_PAGE) break;
    }
    let resumed = 0;
    for (const record of left) {
      if (this.#pending.has(record.id) || this.#abort.signal.aborted) continue;
      void this.#track(record.id, this.#send(record, true));
      resumed++;
    }
    if (resumed > 0) {
      this.#deps.metrics?.callbacksResumed.inc(resumed);
      this.#deps.logger.info(
        { event: 'callbacks_resumed', count: resumed },
        'resuming callback deliveries left pending by the previous process',
      );
    }
    return resumed;
  }

  /** Deliveries under way. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Records, then sends `task`'s final status to its callback URL; never rejects. */
  deliver(task: TaskRecord): Promise<CallbackOutcome> {
    const now = this.#deps.clock.now();
    const record: CallbackDeliveryRecord = {
      id: randomUUID(),
      taskId: task.id,
      corrId: task.corrId,
      url: task.callbackUrl ?? '',
      event: TASK_FINISHED,
      body: JSON.stringify({ event: TASK_FINISHED, ...toTaskStatus(task), corr_id: task.corrId }),
      status: 'pending',
      attempts: 0,
      lastStatus: null,
      error: null,
      createdAt: now,
      updatedAt: now,
      owner: this.#deps.instanceId,
    };
    return this.#track(
      record.id,
      this.#insert(record).then((recorded) => this.#send(record, recorded)),
    );
  }

  /** Stops listening and abandons deliveries still retrying; they stay pending in the store. */
  async close(): Promise<void> {
    this.#unbind?.();
    this.#unbind = undefined;
    this.#abort.abort();
    await Promise.allSettled([...this.#pending.values()]);
  }

  #track(id: string, run: Promise<CallbackOutcome>): Promise<CallbackOutcome> {
    this.#pending.set(id, run);
    void run.finally(() => this.#pending.delete(id));
    return run;
  }

  /** Records the delivery as pending; false (logged) when the store refused, so it goes from memory. */
  async #insert(record: CallbackDeliveryRecord): Promise<boolean> {
    try {
      await this.#deps.store.insert(record);
      return true;
    } catch (err) {
      this.#deps.logger.warn(
        { ...this.#fields(record), event: 'callback_not_recorded', error: messageOf(err) },
        'callback delivery not recorded; sending it without restart protection',
      );
      return false;
    }
  }

  #policy(attempts: number): IPolicy {
    const retryPolicy = retry(
      handleAll.orWhenResult((r) => RETRY_STATUSES.has((r as { status: number }).status)),
      {
        maxAttempts: attempts - 1,
        backoff: new ExponentialBackoff({ initialDelay: this.#options.baseDelayMs, maxDelay: 30_000 }),
      },
    );
    return wrap(retryPolicy, timeout(this.#options.timeoutMs, TimeoutStrategy.Cooperative));
  }

  async #send(record: CallbackDeliveryRecord, recorded: boolean): Promise<CallbackOutcome> {
    const { url, body } = record;
    const { secret } = this.#options;
    if (secret === undefined && !this.#warnedUnsigned) {
      this.#warnedUnsigned = true;
      this.#deps.logger.warn(
        { event: 'callback_unsigned' },
        'server.callback_secret is not set: callbacks are unsigned',
      );
    }
    const before = record.attempts;
    let attempts = before;
    let lastStatus: number | null = record.lastStatus;
    let outcome: CallbackOutcome;
    try {
      // A resumed delivery gets the attempts it has left, and at least one.
      const res = await this.#policy(Math.max(1, this.#options.maxAttempts - before)).execute(
        async ({ signal }) => {
          attempts++;
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            'user-agent': `conclave/${CONCLAVE_VERSION}`,
            'x-conclave-event': record.event,
            'x-conclave-delivery': record.id,
          };
          if (secret !== undefined) {
            headers[SIGNATURE_HEADER] = signCallback(secret, Math.floor(this.#deps.clock.now() / 1000), body);
          }
          const response = await fetch(url, { method: 'POST', headers, body, signal, redirect: 'manual' });
          await response.body?.cancel();
          lastStatus = response.status;
          return { status: response.status };
        },
        this.#abort.signal,
      );
      const ok = res.status >= 200 && res.status < 300;
      outcome = ok
        ? { ok, status: res.status, attempts }
        : { ok, status: res.status, attempts, error: `receiver answered ${res.status}`, suspended: false };
    } catch (err) {
      const suspended = this.#abort.signal.aborted;
      outcome = { ok: false, status: lastStatus, attempts, error: messageOf(err), suspended };
    }
    if (recorded) await this.#settle(record, outcome);
    this.#log(record, outcome);
    if (outcome.ok || !outcome.suspended) {
      this.#deps.metrics?.callbackDeliveries.labels(outcome.ok ? 'delivered' : 'failed').inc();
    }
    return outcome;
  }

  /** Writes the outcome; a delivery interrupted by shutdown stays pending, with its attempts. */
  async #settle(record: CallbackDeliveryRecord, outcome: CallbackOutcome): Promise<void> {
    try {
      await this.#deps.store.update(record.id, {
        status: outcome.ok ? 'delivered' : outcome.suspended ? 'pending' : 'failed',
        attempts: outcome.attempts,
        lastStatus: outcome.status,
        error: outcome.ok ? null : outcome.error,
        updatedAt: this.#deps.clock.now(),
      });
    } catch (err) {
      // Left pending in the store: the next start sends it again, under the same delivery id.
      this.#deps.logger.warn(
        { ...this.#fields(record), event: 'callback_record_failed', error: messageOf(err) },
        'callback outcome not recorded; a restart may send it again',
      );
    }
  }

  #fields(record: CallbackDeliveryRecord): Record<string, unknown> {
    // The URL's query may hold a receiver's token: log origin and path only.
    const parsed = URL.canParse(record.url) ? new URL(record.url) : undefined;
    return {
      task_id: record.taskId,
      corr_id: record.corrId,
      delivery_id: record.id,
      callback: parsed === undefined ? '(invalid)' : `${parsed.origin}${parsed.pathname}`,
    };
  }

  #log(record: CallbackDeliveryRecord, outcome: CallbackOutcome): void {
    const event = outcome.ok
      ? 'callback_delivered'
      : outcome.suspended
        ? 'callback_suspended'
        : 'callback_failed';
    const fields = {
      ...this.#fields(record),
      event,
      attempts: outcome.attempts,
      status: outcome.status,
      ...(outcome.ok ? {} : { error: outcome.error }),
    };
    if (outcome.ok) this.#deps.logger.info(fields, 'callback delivered');
    else if (outcome.suspended) this.#deps.logger.info(fields, 'callback pending: resumes on the next start');
    else this.#deps.logger.warn(fields, 'callback not delivered');
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
