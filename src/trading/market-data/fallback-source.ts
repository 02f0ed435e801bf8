/**
 * A chain of sources tried in order: the fallback behind the INTEGRATE_REAL_DATA command
 * (primary Polygon, then Yahoo, then Alpha Vantage, or any other order).
 */
import { systemClock } from '../../core/clock.ts';
import type { Clock } from '../../core/clock.ts';
import { ConclaveError, ValidationError, toConclaveError } from '../../core/errors.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { resolveBarRequest } from './source.ts';
import type { BarRequest, BarSeries, MarketDataSource } from './source.ts';

/** What happened when the chain reached one source. */
export interface SourceAttempt {
  readonly source: string;
  /** `served`: it answered; `failed`: it raised an error; `skipped`: it was not configured. */
  readonly outcome: 'served' | 'failed' | 'skipped';
  /** The error's code for `failed`, `CONFIG_INVALID` for `skipped`. */
  readonly code?: ErrorCode;
  readonly retryable?: boolean;
  /** Why it failed or was skipped, or `served N bars`. */
  readonly reason: string;
  readonly elapsedMs: number;
}

/** A series with the report of every source the chain reached on the way to it. */
export interface FallbackBarSeries extends BarSeries {
  readonly attempts: readonly SourceAttempt[];
}

/** Options for {@link FallbackSource}. */
export interface FallbackSourceOptions {
  /** Tried in this order; the first is the primary. */
  sources: readonly MarketDataSource[];
  /** Default `fallback`. */
  name?: string;
  /** Whether an error moves on to the next source. Default {@link fallsThroughByDefault}. */
  fallThrough?: (error: ConclaveError) => boolean;
  /** Times each attempt. Default: the system clock. */
  clock?: Clock;
}

/**
 * The default rule: every error but a cancellation moves on to the next source.
 * @remarks Broader than "retryable only" on purpose: another vendor may know a symbol this one
 * does not, hold a valid key, or send a well-formed body. Nothing is hidden by moving on — each
 * reason stays in `attempts`. Pass `(e) => e.retryable` for a chain that stops on permanent errors.
 */
export function fallsThroughByDefault(error: ConclaveError): boolean {
  return error.code !== 'CANCELLED';
}

/**
 * Tries each source in order and returns the first series served, with `attempts` saying which
 * source served and why the ones before it did not.
 * @remarks A source whose `configurationProblem()` reports one (no API key) is skipped without a
 * request. When no source serves, the error lists every source's reason in its message and in
 * `details.attempts`; its code is `NOT_FOUND` when every source that answered said so,
 * `CONFIG_INVALID` when none was configured, else a `AGENT_UNAVAILABLE` that is retryable when any
 * failure was.
 */
export class FallbackSource implements MarketDataSource {
  readonly name: string;
  readonly #sources: readonly MarketDataSource[];
  readonly #fallThrough: (error: ConclaveError) => boolean;
  readonly #clock: Clock;

  constructor(options: FallbackSourceOptions) {
    if (options.sources.length === 0)
      throw new ValidationError('options.sources', 'needs at least one source');
    this.name = options.name ?? 'fallback';
    this.#sources = [...options.sources];
    this.#fallThrough = options.fallThrough ?? fallsThroughByDefault;
    this.#clock = options.clock ?? systemClock;
  }

  configurationProblem(): string | undefined {
    const problems = this.#sources.map((s) => s.configurationProblem?.());
    if (problems.some((p) => p === undefined)) return undefined;
    return `no source is configured: ${this.#sources.map((s, i) => `${s.name}: ${problems[i] ?? ''}`).join('; ')}`;
  }

  async listSymbols(): Promise<readonly string[]> {
    const lists = await Promise.all(this.#sources.map((s) => s.listSymbols?.() ?? Promise.resolve([])));
    return [...new Set(lists.flat())].sort();
  }

  async fetchBars(request: BarRequest, signal?: AbortSignal): Promise<FallbackBarSeries> {
    const req = resolveBarRequest(request);
    const attempts: SourceAttempt[] = [];
    for (const source of this.#sources) {
      const started = this.#clock.now();
      const problem = source.configurationProblem?.();
      if (problem !== undefined) {
        attempts.push({
          source: source.name,
          outcome: 'skipped',
          code: 'CONFIG_INVALID',
          reason: problem,
          elapsedMs: 0,
        });
        continue;
      }
      try {
        const series = await source.fetchBars(request, signal);
        const elapsedMs = this.#clock.now() - started;
        attempts.push({
          source: source.name,
          outcome: 'served',
          reason: `served ${series.bars.length} bars`,
          elapsedMs,
        });
        return { ...series, attempts };
      } catch (err) {
        const error = toConclaveError(err, 'AGENT_ERROR');
        const elapsedMs = this.#clock.now() - started;
        const skipped = error.code === 'CONFIG_INVALID' && error.details['notConfigured'] === true;
        attempts.push({
          source: source.name,
          outcome: skipped ? 'skipped' : 'failed',
          code: error.code,
          retryable: error.retryable,
          reason: error.message,
          elapsedMs,
        });
        if (signal?.aborted || (!skipped && !this.#fallThrough(error))) {
          throw new ConclaveError(error.code, error.message, {
            cause: error,
            retryable: error.retryable,
            details: { ...error.details, attempts },
          });
        }
      }
    }
    throw exhausted(req.symbol, req.interval, attempts);
  }
}

function exhausted(symbol: string, interval: string, attempts: readonly SourceAttempt[]): ConclaveError {
  const failed = attempts.filter((a) => a.outcome === 'failed');
  const code: ErrorCode =
    failed.length === 0
      ? 'CONFIG_INVALID'
      : failed.every((a) => a.code === 'NOT_FOUND')
        ? 'NOT_FOUND'
        : 'AGENT_UNAVAILABLE';
  const reasons = attempts.map(
    (a) => `${a.source} ${a.outcome === 'skipped' ? 'skipped' : a.code}: ${a.reason}`,
  );
  return new ConclaveError(code, `no source served ${symbol} ${interval}: ${reasons.join('; ')}`, {
    retryable: failed.some((a) => a.retryable === true),
    details: { symbol, interval, attempts },
  });
}
