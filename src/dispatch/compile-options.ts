import type { ConclaveConfig } from '../core/config.ts';
import type { DispatcherOptions } from './dispatcher-types.ts';

/** Turns the `dispatcher` config section into complete dispatcher options in explicit units. */
export function compileDispatcherOptions(config: ConclaveConfig['dispatcher']): DispatcherOptions {
  const rec = config.error_recovery;
  const rate = config.rate_limiting;
  return {
    maxQueueSize: config.max_queue_size,
    defaultPriority: config.default_priority,
    defaultTimeoutMs: Math.round(config.default_timeout_seconds * 1000),
    maxPayloadBytes: config.max_payload_bytes,
    maxInFlight: config.max_in_flight,
    maxRetries: rec.max_retries,
    backoff: {
      baseDelayMs: Math.round(rec.retry_delay_seconds * 1000),
      multiplier: rec.backoff_multiplier,
      maxDelayMs: Math.round(rec.max_retry_delay_seconds * 1000),
      jitter: rec.jitter,
    },
    breaker: {
      failureThreshold: rec.circuit_breaker_threshold,
      resetTimeoutMs: Math.round(rec.circuit_breaker_reset_seconds * 1000),
    },
    deadLetterEnabled: rec.dead_letter_enabled,
    balancing: config.load_balancing.strategy,
    defaultRateLimit: { ratePerMinute: rate.default_rate_per_minute, burst: rate.burst_size },
    perAgentRateLimits: Object.fromEntries(
      Object.entries(rate.per_agent).map(([agent, l]) => [
        agent,
        { ratePerMinute: l.rate_per_minute, burst: l.burst },
      ]),
    ),
    groupCommitMaxBatch: config.group_commit.max_batch,
  };
}
