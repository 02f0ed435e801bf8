/**
 * The state the built-in trading agents share: where bars come from and the paper broker's book.
 */
import { ConclaveError } from '../../core/index.ts';
import { PaperBroker, type BarReport, type PaperBrokerOptions } from '../agents/index.ts';
import type { Bar, BarInterval } from '../market-data/bar.ts';
import type { MarketDataSource, TimeInput } from '../market-data/source.ts';
import { VEGA_STOCKS } from '../market-data/vega-source.ts';
import { validateBars, type ValidateBarsOptions } from '../market-data/validate-bars.ts';

/** The interval a symbol is served at when a caller names none: monthly for the vega stocks, else daily. */
export function defaultInterval(symbol: string): BarInterval {
  return (VEGA_STOCKS as readonly string[]).includes(symbol.toUpperCase()) ? '1mo' : '1d';
}

/** What a desk fetch asks for. `limit` keeps the last bars only. */
export interface DeskBarRequest {
  symbol: string;
  interval?: BarInterval | undefined;
  from?: TimeInput | undefined;
  to?: TimeInput | undefined;
  limit?: number | undefined;
}

/** Validated bars of one symbol, as the data agent serves them. */
export interface DeskBars {
  symbol: string;
  interval: BarInterval;
  source: string;
  bars: readonly Bar[];
}

/**
 * The data source (every fetch validated with `validateBars`) and the paper broker, shared by the
 * built-in agents and the live feed.
 * @remarks One broker per desk: the live feed marks it bar by bar and the execution agent places
 * orders on it, so positions, cash and P&L are one book whoever traded.
 */
export class TradingDesk {
  readonly source: MarketDataSource;
  readonly broker: PaperBroker;
  readonly #marks = new Map<string, number>();

  readonly #validation: ValidateBarsOptions;

  /**
   * @param validation gap limits for `validateBars`; default allows 8 calendar days between daily
   * bars, because real exchanges close for longer than a long weekend (the NYSE was shut from
   * 11 to 14 September 2001, a 7-day gap in the S&P 500 data).
   */
  constructor(
    source: MarketDataSource,
    broker?: PaperBrokerOptions,
    validation: ValidateBarsOptions = { maxGapDays: 8 },
  ) {
    this.source = source;
    this.broker = new PaperBroker(broker);
    this.#validation = validation;
  }

  /**
   * Fetches and validates bars; a series with any bad row is rejected whole, never repaired.
   * @throws ConclaveError `VALIDATION_FAILED` (not retryable) listing each rejected row and why.
   */
  async fetch(request: DeskBarRequest, signal?: AbortSignal): Promise<DeskBars> {
    const interval = request.interval ?? defaultInterval(request.symbol);
    const series = await this.source.fetchBars(
      {
        symbol: request.symbol,
        interval,
        ...(request.from === undefined ? {} : { from: request.from }),
        ...(request.to === undefined ? {} : { to: request.to }),
      },
      signal,
    );
    const verdict = validateBars({ symbol: series.symbol, interval, bars: series.bars }, this.#validation);
    if (verdict.status === 'rejected') {
      const shown = verdict.rejections.slice(0, 20);
      throw new ConclaveError(
        'VALIDATION_FAILED',
        `${series.symbol} from ${series.source}: ${verdict.rejections.length} bad row(s); ` +
          shown.map((r) => `row ${r.index}: ${r.reason} (${r.message})`).join('; '),
        {
          retryable: false,
          details: {
            field: 'bars',
            rejections: shown.map((r) => ({ index: r.index, reason: r.reason, message: r.message })),
          },
        },
      );
    }
    const bars = series.bars;
    if (bars.length === 0) {
      throw new ConclaveError('NOT_FOUND', `${series.symbol}: no ${interval} bars in the requested range`, {
        retryable: false,
        details: { field: 'symbol', value: request.symbol },
      });
    }
    const limit = request.limit;
    return {
      symbol: series.symbol,
      interval,
      source: series.source,
      bars: limit === undefined || bars.length <= limit ? bars : bars.slice(bars.length - limit),
    };
  }

  /**
   * Shows the broker `bar` for `symbol`: fills orders waiting for it, then marks at its close.
   * @remarks A bar not after the symbol's last mark is skipped (returns no fills): the live feed
   * looping back to the start of its data, or a strategy run as of an earlier date, must not
   * rewind the book.
   */
  onBar(symbol: string, bar: Bar): BarReport {
    const last = this.#marks.get(symbol);
    if (last !== undefined && bar.timestamp <= last) return { fills: [], rejected: [] };
    this.#marks.set(symbol, bar.timestamp);
    return this.broker.onBar(symbol, bar);
  }

  /** True once the broker has a mark (a price) for `symbol`. */
  isMarked(symbol: string): boolean {
    return this.#marks.has(symbol);
  }
}
