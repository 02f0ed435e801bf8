/**
 * Bars from CSV files on disk: one file per symbol, in a directory or named one by one.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { ConclaveError, ValidationError } from '../../core/errors.ts';
import type { BarInterval } from './bar.ts';
import { parseBarsCsv } from './csv-bars.ts';
import { resolveBarRequest, seriesOf } from './source.ts';
import type { BarRequest, BarSeries, MarketDataSource } from './source.ts';

/** Options for {@link CsvSource}. Give `directory`, `files`, or both (`files` wins on a clash). */
export interface CsvSourceOptions {
  /** A directory holding `<SYMBOL>.csv` files. */
  directory?: string;
  /** Symbol → file path, for files not named after their symbol. Symbols match case-insensitively. */
  files?: Record<string, string>;
  /** The interval the files hold (they are served only at it). Default `1d`. */
  interval?: BarInterval;
  /** Default `csv`. */
  name?: string;
}

const SAFE_SYMBOL = /^[A-Za-z0-9^._=-]+$/;
/** How many bad rows an error message lists; `details.rows` always holds all of them. */
const ROWS_IN_MESSAGE = 5;

/**
 * Serves bars from CSV files (see {@link parseBarsCsv} for the accepted columns).
 * @remarks A file with any row that does not parse is refused as a whole, with every bad row's line
 * number in `details.rows`: dropping rows silently would hand agents a series with holes they cannot see.
 * Files in descending date order are served ascending; any other disorder is left for the data
 * validation agent to report.
 */
export class CsvSource implements MarketDataSource {
  readonly name: string;
  readonly #directory: string | undefined;
  readonly #files: ReadonlyMap<string, string>;
  readonly #interval: BarInterval;

  constructor(options: CsvSourceOptions) {
    if (options.directory === undefined && options.files === undefined) {
      throw new ValidationError('options.directory', 'give a directory of <SYMBOL>.csv files or a files map');
    }
    this.name = options.name ?? 'csv';
    this.#directory = options.directory;
    this.#files = new Map(Object.entries(options.files ?? {}).map(([s, p]) => [s.toUpperCase(), p]));
    this.#interval = options.interval ?? '1d';
  }

  async listSymbols(): Promise<readonly string[]> {
    const symbols = new Set(this.#files.keys());
    if (this.#directory !== undefined) {
      for (const entry of await readdir(this.#directory)) {
        if (extname(entry).toLowerCase() === '.csv')
          symbols.add(basename(entry, extname(entry)).toUpperCase());
      }
    }
    return [...symbols].sort();
  }

  async fetchBars(request: BarRequest, signal?: AbortSignal): Promise<BarSeries> {
    const req = resolveBarRequest(request);
    if (req.interval !== this.#interval) {
      throw new ValidationError(
        'request.interval',
        `${this.name} holds ${this.#interval} bars, not ${req.interval}`,
        {
          available: [this.#interval],
        },
      );
    }
    const path = await this.#pathOf(req.symbol);
    let text: string;
    try {
      text = await readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted)
        throw new ConclaveError('CANCELLED', `reading ${path} was cancelled`, { cause: err });
      throw new ConclaveError('NOT_FOUND', `${this.name} has no file for ${req.symbol} (${path})`, {
        cause: err,
        details: { symbol: req.symbol, path },
      });
    }
    const parsed = parseBarsCsv(text);
    if (parsed.headerError !== undefined) throw new ValidationError(`${path}:1`, parsed.headerError);
    if (parsed.errors.length > 0) {
      const listed = parsed.errors
        .slice(0, ROWS_IN_MESSAGE)
        .map((e) => `line ${e.line}: ${e.message}`)
        .join('; ');
      const more =
        parsed.errors.length > ROWS_IN_MESSAGE ? ` (+${parsed.errors.length - ROWS_IN_MESSAGE} more)` : '';
      throw new ConclaveError(
        'VALIDATION_FAILED',
        `${path}: ${parsed.errors.length} row(s) do not parse: ${listed}${more}`,
        {
          retryable: false,
          details: { path, rows: parsed.errors },
        },
      );
    }
    const bars = parsed.bars;
    const first = bars[0];
    const last = bars[bars.length - 1];
    if (first !== undefined && last !== undefined && first.timestamp > last.timestamp) bars.reverse();
    return seriesOf(req, this.name, bars);
  }

  /** The symbol's file: from the map, else `<symbol>.csv` in the directory, matched case-insensitively. */
  async #pathOf(symbol: string): Promise<string> {
    const wanted = symbol.toUpperCase();
    const mapped = this.#files.get(wanted);
    if (mapped !== undefined) return mapped;
    if (this.#directory !== undefined && SAFE_SYMBOL.test(symbol) && !symbol.includes('..')) {
      const entries = await readdir(this.#directory).catch(() => [] as string[]);
      const entry = entries.find((e) => e.toUpperCase() === `${wanted}.CSV`);
      if (entry !== undefined) return join(this.#directory, entry);
    }
    throw new ConclaveError('NOT_FOUND', `${this.name} has no file for ${symbol}`, {
      details: { symbol, ...(this.#directory === undefined ? {} : { directory: this.#directory }) },
    });
  }
}
