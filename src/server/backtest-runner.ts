import type { Clock } from '../core/clock.ts';
import { ConclaveError, isConclaveError, type SerializedError } from '../core/errors.ts';
import type { Store } from '../store/index.ts';
import type { Bar, MarketDataSource } from '../trading/market-data/index.ts';
import { VegaDatasetsSource } from '../trading/market-data/index.ts';
import { compileBacktestOptions, runBacktest, type BacktestResult } from '../trading/sandbox/index.ts';
import type { BacktestPlan } from './backtest-plan.ts';

/** Options for the in-process backtest runner. */
export interface BacktestRunnerOptions {
  /** Backtests run at once. Default 2. */
  maxConcurrent?: number;
  /** Backtests waiting for a slot; beyond it POST /backtest answers 503 QUEUE_FULL. Default 16. */
  maxQueued?: number;
  /** Where bars come from. Default the bundled vega-datasets data. */
  source?: MarketDataSource;
}

/** A backtest to run: its id, the stored strategy (if any), the request as recorded, the plan. */
export interface BacktestJob {
  readonly id: string;
  readonly strategyId: string | null;
  readonly request: Record<string, unknown>;
  readonly plan: BacktestPlan;
}

interface Entry {
  readonly job: BacktestJob;
  readonly inserted: Promise<void>;
}

/** Bars processed between yields to the event loop, so the API keeps answering during a run. */
const BARS_PER_YIELD = 64;

/**
 * Runs backtests in this process, a bounded number at once, the rest queued in memory (bounded
 * too). Every transition is written to `store.backtests`; progress lives here while a run is on.
 * @remarks A run is CPU-bound; it yields to the event loop every {@link BARS_PER_YIELD} bars so
 * requests are served meanwhile. On close, running backtests are aborted and queued ones marked
 * failed with `SHUTTING_DOWN`, so no record is left claiming work nobody is doing.
 */
export class BacktestRunner {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #source: MarketDataSource;
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  readonly #queue: Entry[] = [];
  readonly #running = new Map<string, { progress: number; abort: AbortController; done: Promise<void> }>();
  #closed = false;

  constructor(store: Store, clock: Clock, options: BacktestRunnerOptions = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#source = options.source ?? new VegaDatasetsSource();
    this.#maxConcurrent = options.maxConcurrent ?? 2;
    this.#maxQueued = options.maxQueued ?? 16;
  }

  /**
   * Validates the plan's options, records the backtest as queued and starts it when a slot is free.
   * @throws ValidationError naming the option; `QUEUE_FULL` when every slot and queue place is
   * taken; `SHUTTING_DOWN` after close.
   */
  async submit(job: BacktestJob): Promise<void> {
    if (this.#closed)
      throw new ConclaveError('SHUTTING_DOWN', 'the server is shutting down; no new backtests');
    compileBacktestOptions(job.plan.options);
    if (this.#running.size + this.#queue.length >= this.#maxConcurrent + this.#maxQueued) {
      throw new ConclaveError(
        'QUEUE_FULL',
        `${this.#running.size} backtests are running and ${this.#queue.length} waiting (at most ` +
          `${this.#maxConcurrent} and ${this.#maxQueued}); try again when one has finished`,
        { details: { running: this.#running.size, queued: this.#queue.length } },
      );
    }
    const inserted = this.#store.backtests.insert({
      id: job.id,
      strategyId: job.strategyId,
      status: 'queued',
      options: job.request,
      summary: null,
      manifest: null,
      error: null,
      createdAt: this.#clock.now(),
      startedAt: null,
      finishedAt: null,
    });
    // The place is taken at once, so concurrent submits cannot overfill the queue.
    const entry: Entry = { job, inserted };
    this.#queue.push(entry);
    try {
      await inserted;
    } catch (err) {
      this.#queue.splice(this.#queue.indexOf(entry), 1);
      throw err;
    }
    this.#pump();
  }

  /** A running backtest's progress (0–1), or undefined when it is not running here. */
  progress(id: string): number | undefined {
    return this.#running.get(id)?.progress;
  }

  /** Backtests running and waiting in this process. */
  counts(): { running: number; queued: number } {
    return { running: this.#running.size, queued: this.#queue.length };
  }

  /** Aborts running backtests, fails queued ones, and waits until every record says so. */
  async close(): Promise<void> {
    this.#closed = true;
    const waiting = this.#queue.splice(0);
    const reason = new ConclaveError('SHUTTING_DOWN', 'the server shut down before the backtest ran');
    for (const r of this.#running.values()) r.abort.abort(reason);
    await Promise.allSettled([
      ...waiting.map(async (e) => {
        await e.inserted;
        await this.#fail(e.job.id, reason);
      }),
      ...[...this.#running.values()].map((r) => r.done),
    ]);
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#maxConcurrent) {
      const entry = this.#queue.shift();
      if (entry === undefined) return;
      const abort = new AbortController();
      const state = { progress: 0, abort, done: Promise.resolve() };
      this.#running.set(entry.job.id, state);
      state.done = this.#run(entry, state).finally(() => {
        this.#running.delete(entry.job.id);
        this.#pump();
      });
    }
  }

  async #run(entry: Entry, state: { progress: number; abort: AbortController }): Promise<void> {
    const { job } = entry;
    // Another submit's pump may start this run before its own insert has landed.
    if (!(await entry.inserted.then(() => true).catch(() => false))) return;
    try {
      await this.#store.backtests.update(job.id, { status: 'running', startedAt: this.#clock.now() });
      const { plan } = job;
      const bars: Record<string, readonly Bar[]> = {};
      for (const symbol of plan.symbols) {
        const series = await this.#source.fetchBars({ symbol, interval: plan.interval }, state.abort.signal);
        bars[symbol] = series.bars;
      }
      const total = Math.max(1, tradingBars(bars, compileBacktestOptions(plan.options)));
      let steps = 0;
      let paced = 0;
      const result = await runBacktest({ interval: plan.interval, bars }, plan.options, {
        signal: state.abort.signal,
        onStep: () => void (state.progress = Math.min(1, ++steps / total)),
        pace: () =>
          ++paced % BARS_PER_YIELD === 0 ? new Promise((r) => setImmediate(r)) : Promise.resolve(),
      });
      state.progress = 1;
      await this.#store.backtests.update(job.id, {
        status: 'completed',
        summary: summaryOf(result),
        manifest: { ...result.manifest },
        artifacts: {
          equity: result.equity,
          benchmark_equity: result.benchmarkEquity,
          trades: result.trades,
        },
        finishedAt: this.#clock.now(),
      });
    } catch (err) {
      const reason = state.abort.signal.aborted ? (state.abort.signal.reason as unknown) : err;
      await this.#fail(job.id, reason).catch(() => undefined);
    }
  }

  async #fail(id: string, err: unknown): Promise<void> {
    const error: SerializedError = isConclaveError(err)
      ? err.toJSON()
      : { code: 'INTERNAL', message: 'the backtest failed unexpectedly', retryable: false };
    await this.#store.backtests.update(id, { status: 'failed', error, finishedAt: this.#clock.now() });
  }
}

/** How many distinct bar times fall in the trading window (the steps a run reports). */
function tradingBars(
  bars: Readonly<Record<string, readonly Bar[]>>,
  window: { fromMs: number | undefined; toMs: number | undefined },
): number {
  const times = new Set<number>();
  for (const series of Object.values(bars)) {
    for (const b of series) {
      if (
        (window.fromMs === undefined || b.timestamp >= window.fromMs) &&
        (window.toMs === undefined || b.timestamp <= window.toMs)
      ) {
        times.add(b.timestamp);
      }
    }
  }
  return times.size;
}

function summaryOf(result: BacktestResult): Record<string, unknown> {
  return {
    metrics: result.metrics,
    benchmark: result.benchmark,
    stats: result.stats,
    symbols: result.manifest.symbols,
    interval: result.manifest.interval,
    trade_from: new Date(result.manifest.tradeFromMs).toISOString(),
    trade_to: new Date(result.manifest.tradeToMs).toISOString(),
    equity_points: result.equity.length,
    trades: result.trades.length,
  };
}
