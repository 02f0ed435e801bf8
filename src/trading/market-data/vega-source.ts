/**
 * The real market data shipped in the `vega-datasets` npm package: the S&P 500 daily and five
 * large-cap stocks monthly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConclaveError, ValidationError } from '../../core/errors.ts';
import type { Bar, BarInterval } from './bar.ts';
import { parseBarsCsv, splitCsvLine } from './csv-bars.ts';
import { resolveBarRequest, seriesOf } from './source.ts';
import type { BarRequest, BarSeries, MarketDataSource } from './source.ts';

/** The S&P 500 index's symbol here, and the names it is also asked for by. */
export const VEGA_SPX = 'SPX';
const SPX_ALIASES: ReadonlySet<string> = new Set(['SPX', '^GSPC', 'SP500', 'GSPC']);
/** The stocks in `data/stocks.csv`. */
export const VEGA_STOCKS = ['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT'] as const;

// prettier-ignore
const MONTHS: Readonly<Record<string, number>> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

/** Options for {@link VegaDatasetsSource}. */
export interface VegaDatasetsSourceOptions {
  /** The package's `data` directory. Default: found through Node's module resolution. */
  dataDirectory?: string;
}

/**
 * Serves `SPX` (also `^GSPC`, `SP500`) as daily bars from `data/sp500-2000.csv` (2000-01-03 to
 * 2020-04-17) and AAPL, AMZN, GOOG, IBM, MSFT as monthly (`1mo`) bars from `data/stocks.csv`
 * (2000–2010).
 * @remarks `stocks.csv` holds one price per month, so its bars have open = high = low = close =
 * that price and volume 0: enough for momentum and correlation work, useless for intrabar range or
 * volume analysis. Each file is parsed once per instance and the series kept.
 */
export class VegaDatasetsSource implements MarketDataSource {
  readonly name = 'vega';
  readonly #dataDirectory: string;
  #spx: Promise<Bar[]> | undefined;
  #stocks: Promise<ReadonlyMap<string, Bar[]>> | undefined;

  constructor(options: VegaDatasetsSourceOptions = {}) {
    this.#dataDirectory = options.dataDirectory ?? locateVegaData();
  }

  listSymbols(): Promise<readonly string[]> {
    return Promise.resolve([VEGA_SPX, ...VEGA_STOCKS]);
  }

  async fetchBars(request: BarRequest): Promise<BarSeries> {
    const req = resolveBarRequest(request);
    const upper = req.symbol.toUpperCase();
    let symbol: string;
    let bars: readonly Bar[];
    if (SPX_ALIASES.has(upper)) {
      symbol = VEGA_SPX;
      requireInterval(upper, req.interval, '1d');
      bars = await (this.#spx ??= this.#loadSpx());
    } else if ((VEGA_STOCKS as readonly string[]).includes(upper)) {
      symbol = upper;
      requireInterval(upper, req.interval, '1mo');
      bars = (await (this.#stocks ??= this.#loadStocks())).get(upper) ?? [];
    } else {
      throw new ConclaveError(
        'NOT_FOUND',
        `vega has no data for ${req.symbol}; it serves ${VEGA_SPX}, ${VEGA_STOCKS.join(', ')}`,
        {
          details: { symbol: req.symbol, available: [VEGA_SPX, ...VEGA_STOCKS] },
        },
      );
    }
    return seriesOf(req, this.name, bars, symbol);
  }

  async #loadSpx(): Promise<Bar[]> {
    const path = join(this.#dataDirectory, 'sp500-2000.csv');
    const parsed = parseBarsCsv(await readFile(path, 'utf8'));
    const problem = parsed.headerError ?? parsed.errors[0]?.message;
    if (problem !== undefined) throw new ValidationError(path, problem);
    return parsed.bars;
  }

  async #loadStocks(): Promise<ReadonlyMap<string, Bar[]>> {
    const path = join(this.#dataDirectory, 'stocks.csv');
    const lines = (await readFile(path, 'utf8')).split(/\r?\n/);
    const bySymbol = new Map<string, Bar[]>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (line.trim() === '') continue;
      const [symbol = '', date = '', priceText = ''] = splitCsvLine(line);
      const timestamp = parseMonthDate(date);
      const price = Number(priceText);
      if (timestamp === undefined || !(price > 0)) {
        throw new ValidationError(`${path}:${i + 1}`, `cannot read ${JSON.stringify(line)}`);
      }
      const bar: Bar = { timestamp, open: price, high: price, low: price, close: price, volume: 0 };
      let list = bySymbol.get(symbol);
      if (list === undefined) bySymbol.set(symbol, (list = []));
      list.push(bar);
    }
    for (const list of bySymbol.values()) list.sort((a, b) => a.timestamp - b.timestamp);
    return bySymbol;
  }
}

function requireInterval(symbol: string, asked: BarInterval, held: BarInterval): void {
  if (asked !== held) {
    throw new ValidationError('request.interval', `vega holds ${symbol} only as ${held} bars, not ${asked}`, {
      available: [held],
    });
  }
}

/** Epoch ms (00:00 UTC) of a date written `Jan 1 2000`, or undefined. */
function parseMonthDate(text: string): number | undefined {
  const match = /^([A-Za-z]{3})\w*\s+(\d{1,2})\s+(\d{4})$/.exec(text.trim());
  const month = match ? MONTHS[match[1]?.toLowerCase() ?? ''] : undefined;
  if (!match || month === undefined) return undefined;
  return Date.UTC(Number(match[3]), month, Number(match[2]));
}

/**
 * The `data` directory of the installed `vega-datasets` package.
 * @remarks The package's `exports` map hides its data files from `require.resolve`, so this resolves
 * the package's entry point and walks up to the directory whose `package.json` names it.
 */
export function locateVegaData(): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('vega-datasets');
  } catch (err) {
    throw new ConclaveError(
      'NOT_FOUND',
      'the vega-datasets package is not installed (npm install vega-datasets)',
      {
        cause: err,
      },
    );
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'vega-datasets'
    ) {
      return join(dir, 'data');
    }
  }
  throw new ConclaveError('NOT_FOUND', `cannot find the vega-datasets package root above ${entry}`);
}
