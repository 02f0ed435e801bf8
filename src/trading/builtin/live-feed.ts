/**
 * The live feed: replays real market data as a stream of bar signals on `signals.normalized`, on
 * the Conclave clock, so the enrichers and the coordinator see a market moving in real time.
 */
import { HEADER, type Bus } from '../../bus/bus.ts';
import type { NormalizedSignal } from '../../coordination/index.ts';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { ValidationError } from '../../core/errors.ts';
import type { Bar } from '../market-data/bar.ts';
import { VEGA_SPX, VEGA_STOCKS } from '../market-data/vega-source.ts';
import type { DeskBars, TradingDesk } from './desk.ts';
import { NORMALIZED_SUBJECT, SignalEnrichers } from './enrichers.ts';

/** The symbols replayed by default: the S&P 500 daily and the five vega stocks monthly. */
export const DEFAULT_FEED_SYMBOLS: readonly string[] = [VEGA_SPX, ...VEGA_STOCKS];

/** Options for {@link LiveFeed}. */
export interface LiveFeedOptions {
  /** Default {@link DEFAULT_FEED_SYMBOLS}. */
  symbols?: readonly string[];
  /** Bars replayed per second of the clock, per symbol. Default 2. */
  barsPerSecond?: number;
  /** Bars fed to the agents silently before the first live one, so indicators are warm. Default 60. */
  warmupBars?: number;
}

/** Dependencies of {@link LiveFeed}. */
export interface LiveFeedDeps {
  bus: Bus;
  clock: Clock;
  desk: TradingDesk;
}

interface Tape {
  series: DeskBars;
  next: number;
  cycle: number;
}

/** What the feed has done so far. */
export interface LiveFeedStats {
  running: boolean;
  published: number;
  /** Bars whose publish failed. */
  failed: number;
  cycles: Record<string, number>;
}

/**
 * Replays each symbol's bars at `barsPerSecond` and, for every bar, publishes a normalized signal
 * (the momentum, risk and correlation agents enrich it, the coordinator decides) and shows the
 * bar to the paper broker so open orders fill.
 * @remarks Runs on the injected clock, so a ManualClock drives it in tests. When a symbol's data
 * ends it loops to the bar after the warm-up, with a new cycle number in the correlation id (a
 * decided id is never reused) and fresh indicator state.
 */
export class LiveFeed {
  readonly #d: LiveFeedDeps;
  readonly #symbols: readonly string[];
  readonly #intervalMs: number;
  readonly #warmupBars: number;
  readonly #enrichers: SignalEnrichers;
  readonly #tapes = new Map<string, Tape>();
  #timer: TimerHandle | undefined;
  #running = false;
  #published = 0;
  #failed = 0;

  constructor(options: LiveFeedOptions, deps: LiveFeedDeps) {
    const rate = options.barsPerSecond ?? 2;
    if (!(rate > 0 && rate <= 1000)) {
      throw new ValidationError('live_feed.bars_per_second', `must be in (0, 1000] (got ${rate})`);
    }
    const warmup = options.warmupBars ?? 60;
    if (!Number.isInteger(warmup) || warmup < 0) {
      throw new ValidationError('live_feed.warmup_bars', `must be a whole number 0 or more (got ${warmup})`);
    }
    const symbols = options.symbols ?? DEFAULT_FEED_SYMBOLS;
    if (symbols.length === 0) throw new ValidationError('live_feed.symbols', 'must name at least one symbol');
    this.#d = deps;
    this.#symbols = symbols;
    this.#intervalMs = 1000 / rate;
    this.#warmupBars = warmup;
    this.#enrichers = new SignalEnrichers({ bus: deps.bus, clock: deps.clock, desk: deps.desk });
  }

  /**
   * Loads every symbol's data (validated), warms the agents up, subscribes them, and publishes the
   * first bars at once; later bars follow every 1/`barsPerSecond` s.
   * @throws whatever the source throws for a symbol it cannot serve, before anything is published.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#running) return;
    for (const symbol of this.#symbols) {
      const series = await this.#d.desk.fetch({ symbol }, signal);
      const warm = Math.min(this.#warmupBars, Math.max(0, series.bars.length - 1));
      this.#enrichers.warm(series.symbol, series.bars.slice(0, warm));
      for (const bar of series.bars.slice(0, warm)) this.#d.desk.onBar(series.symbol, bar);
      this.#tapes.set(series.symbol, { series, next: warm, cycle: 0 });
    }
    this.#enrichers.start();
    this.#running = true;
    await this.#tick();
  }

  /** Stops publishing and unsubscribes the enrichers. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#d.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#enrichers.close();
  }

  /** Bars published, cycles completed per symbol, and whether it runs. */
  stats(): LiveFeedStats {
    const cycles: Record<string, number> = {};
    for (const [symbol, tape] of this.#tapes) cycles[symbol] = tape.cycle;
    return { running: this.#running, published: this.#published, failed: this.#failed, cycles };
  }

  async #tick(): Promise<void> {
    if (!this.#running) return;
    for (const [symbol, tape] of this.#tapes) {
      if (tape.next >= tape.series.bars.length) {
        tape.cycle++;
        tape.next = Math.min(this.#warmupBars, Math.max(0, tape.series.bars.length - 1));
      }
      const bar = tape.series.bars[tape.next++] as Bar;
      try {
        await this.#publish(symbol, tape, bar);
      } catch {
        this.#failed++; // a bus hiccup loses one bar, never the feed
      }
    }
    if (this.#running) this.#timer = this.#d.clock.setTimeout(() => void this.#tick(), this.#intervalMs);
  }

  async #publish(symbol: string, tape: Tape, bar: Bar): Promise<void> {
    this.#d.desk.onBar(symbol, bar);
    const date = new Date(bar.timestamp).toISOString();
    const signal: NormalizedSignal = {
      corr_id: `feed-${symbol}-${date.slice(0, 10)}-c${tape.cycle}-${this.#d.clock.now().toString(36)}`,
      instrument: symbol,
      timestamp: new Date(this.#d.clock.now()).toISOString(),
      source: `live_feed:${tape.series.source}`,
      signal_type: 'bar',
      payload: { bar: { ...bar }, interval: tape.series.interval, bar_date: date },
    };
    await this.#d.bus.publish(NORMALIZED_SUBJECT, signal, { headers: { [HEADER.corrId]: signal.corr_id } });
    this.#published++;
  }
}
