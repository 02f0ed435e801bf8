import type { Clock } from '../core/clock.ts';
import { ConclaveError, isConclaveError, type SerializedError } from '../core/errors.ts';
import type { BacktestRecord, Store } from '../store/index.ts';
import type { ConclaveMetrics, Logger } from '../telemetry/index.ts';
import type { Bar, MarketDataSource } from '../trading/market-data/index.ts';
import { VegaDatasetsSource } from '../trading/market-data/index.ts';
import { compileBacktestOptions, runBacktest, type BacktestResult } from '../trading/sandbox/index.ts';
import type { BacktestPlan } from './backtest-plan.ts';
import { replanBacktest } from './backtest-replan.ts';

/** Options for the in-process backtest runner. */
export interface BacktestRunnerOptions {
  /** Backtests run at once. Default 2. */
  maxConcurrent?: number;
  /** Backtests waiting for a slot; beyond it POST /backtest answers 503 QUEUE_FULL. Default 16. */
  maxQueued?: number;
  /** Where bars come from. Default the bundled vega-datasets data. */
  source?: MarketDataSource;
}

/** What the runner needs from Conclave. */
export interface BacktestRunnerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /**
   * This process's `server.instance_id`: written as the owner of every backtest it accepts, and
   * the only owner (besides none) whose unfinished backtests {@link BacktestRunner.recover} takes.
   */
  instanceId: string;
  /** Counts backtests recovered on start; optional so a bare runner can run without metrics. */
  metrics?: Pick<ConclaveMetrics, 'backtestsRecovered'>;
}

/** What {@link BacktestRunner.recover} did with the backtests a previous process left. */
export interface RecoveredBacktests {
  /** Planned again from their records and queued to run. */
  requeued: number;
  /** Marked failed: their records could not be planned again faithfully. */
  failed: number;
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

/** Unfinished records read per page when recovering. */
const RECOVER_PAGE = 500;

/**
 * Runs backtests in this process, a bounded number at once, the rest queued in memory (bounded
 * too). Every transition is written to `store.backtests`; progress lives here while a run is on.
 * @remarks A run is CPU-bound; it yields to the event loop every {@link BARS_PER_YIELD} bars so
 * requests are served meanwhile. Each record names this process (`instanceId`) as its owner, so
 * processes sharing a database recover only their own. Accepted work is not lost to a restart: on
 * close, running backtests are aborted and put back to `queued` with the queued ones, and
 * {@link BacktestRunner.recover} (on start) plans every `queued` or `running` record again from
 * its stored request and runs it — the plan is a pure function of the record, so it is the run
 * that was accepted. A record that cannot be planned again is failed, saying to resubmit.
 */
export class BacktestRunner {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: BacktestRunnerDeps['metrics'];
  readonly #instanceId: string;
  readonly #source: MarketDataSource;
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  readonly #queue: Entry[] = [];
  readonly #running = new Map<string, { progress: number; abort: AbortController; done: Promise<void> }>();
  #closed = false;

  constructor(deps: BacktestRunnerDeps, options: BacktestRunnerOptions = {}) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#instanceId = deps.instanceId;
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
      owner: this.#instanceId,
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

  /**
   * Picks up the backtests a previous process with this instance id (or one from before owners
   * were recorded) left `queued` or `running`, oldest first — never a live peer's: each is
   * planned again from its recorded request and queued (its record back to `queued`), or, when
   * that cannot be done faithfully, failed with `SHUTTING_DOWN` saying to resubmit. Resolves once
   * they are queued, not run. Recovered runs may exceed `maxQueued`; new submits wait for room.
   * Call once on start, before the API takes requests.
   */
  async recover(): Promise<RecoveredBacktests> {
    const left: BacktestRecord[] = [];
    for (let offset = 0; ; offset += RECOVER_PAGE) {
      const page = await this.#store.backtests.list({
        statuses: ['queued', 'running'],
        owner: this.#instanceId,
        limit: RECOVER_PAGE,
        offset,
      });
      left.push(...page);
      if (page.length < RECOVER_PAGE) break;
    }
    // Listed newest first; run them in the order they were accepted.
    left.reverse();
    const recovered: RecoveredBacktests = { requeued: 0, failed: 0 };
    for (const record of left) {
      if (this.#closed) break;
      if (this.#running.has(record.id) || this.#queue.some((e) => e.job.id === record.id)) continue;
      try {
        await this.#recoverOne(record, recovered);
      } catch (err) {
        // One record the store will not update must not keep the server from starting.
        this.#logger.error(
          { event: 'backtest_recovery_failed', backtest_id: record.id, error: String(err) },
          'could not recover a backtest left unfinished by the previous process',
        );
      }
    }
    if (recovered.requeued > 0) this.#metrics?.backtestsRecovered.labels('requeued').inc(recovered.requeued);
    if (recovered.failed > 0) this.#metrics?.backtestsRecovered.labels('failed').inc(recovered.failed);
    if (left.length > 0) {
      this.#logger.info(
        { event: 'backtests_recovered', requeued: recovered.requeued, failed: recovered.failed },
        'backtests left unfinished by the previous process recovered',
      );
    }
    this.#pump();
    return recovered;
  }

  /** Re-plans and queues one unfinished record, or fails it when its request no longer plans. */
  async #recoverOne(record: BacktestRecord, recovered: RecoveredBacktests): Promise<void> {
    let plan: BacktestPlan;
    try {
      plan = replanBacktest(record.options, record.id);
    } catch (err) {
      const why = isConclaveError(err) ? err.message : 'its recorded request could not be read';
      await this.#fail(
        record.id,
        new ConclaveError('SHUTTING_DOWN', `interrupted by shutdown; resubmit (${why})`, {
          retryable: true,
          cause: err,
          details: { backtest_id: record.id, ...(isConclaveError(err) ? { reason: err.code } : {}) },
        }),
      );
      this.#logger.warn(
        { event: 'backtest_not_recovered', backtest_id: record.id, error: why },
        'backtest left unfinished by the previous process cannot run again; failed it',
      );
      recovered.failed++;
      return;
    }
    if (record.status === 'running') {
      await this.#store.backtests.update(record.id, { status: 'queued', startedAt: null });
    }
    const job: BacktestJob = {
      id: record.id,
      strategyId: record.strategyId,
      request: record.options,
      plan,
    };
    this.#queue.push({ job, inserted: Promise.resolve() });
    recovered.requeued++;
  }

  /**
   * Aborts running backtests and puts them back to `queued`, leaves queued ones queued (both run
   * again on the next start, see {@link BacktestRunner.recover}), and waits until every record
   * says so.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const waiting = this.#queue.splice(0);
    const reason = new ConclaveError('SHUTTING_DOWN', 'the server shut down while the backtest ran');
    for (const r of this.#running.values()) r.abort.abort(reason);
    await Promise.allSettled([
      ...waiting.map((e) => e.inserted),
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
      if (state.abort.signal.aborted && this.#closed) {
        // Shutdown, not failure: the run starts over on the next start.
        await this.#store.backtests
          .update(job.id, { status: 'queued', startedAt: null })
          .catch(() => undefined);
        return;
      }
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
