/** The subjects a decision fans out to, and a publish that retries with backoff. */
import type { Bus, Headers } from '../bus/bus.ts';
import { sleep, type Clock } from '../core/clock.ts';

/** Subjects the coordinator reads and writes. */
export const COORDINATION_SUBJECTS = {
  enriched: 'signals.enriched.>',
  decision: 'orchestrated.decision',
  riskMonitor: 'risk.monitor.decision',
  audit: 'audit.decision',
  portfolio: 'portfolio.decision',
  auditTrail: 'audit.orchestration.decision',
} as const;

/** How a failed publish is retried. */
export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Wait before the second attempt; doubled for each one after. */
  readonly baseDelayMs: number;
}

/** The result of {@link publishWithRetry}: ok, or the last error after every attempt failed. */
export type DeliveryResult =
  | { readonly ok: true; readonly subject: string; readonly attempts: number }
  | { readonly ok: false; readonly subject: string; readonly attempts: number; readonly error: unknown };

/** Publishes `data` on `subject`, retrying with exponential backoff on `clock`; never rejects. */
export async function publishWithRetry(
  bus: Bus,
  clock: Clock,
  subject: string,
  data: unknown,
  headers: Headers,
  retry: RetryOptions,
): Promise<DeliveryResult> {
  let error: unknown;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    try {
      await bus.publish(subject, data, { headers });
      return { ok: true, subject, attempts: attempt };
    } catch (err) {
      error = err;
      if (attempt < retry.attempts) await sleep(clock, retry.baseDelayMs * 2 ** (attempt - 1));
    }
  }
  return { ok: false, subject, attempts: retry.attempts, error };
}

/** A fan-out delivery whose first publish failed. */
export interface FailedDelivery {
  readonly subject: string;
  readonly data: unknown;
  readonly headers: Headers;
  readonly corrId: string;
  readonly error: unknown;
}

/**
 * Takes over fan-out deliveries that failed once: retries them with backoff and dead-letters the
 * ones that keep failing. Conclave's implementation submits each as a task to the dispatcher, so
 * they share its retry policy, its dead-letter queue and its replay.
 */
export interface DeliveryQueue {
  /** Resolves once the delivery is durably accepted; rejects when it could not be. */
  enqueue(delivery: FailedDelivery): Promise<void>;
}
