/**
 * Bars from Yahoo Finance's chart API (`/v8/finance/chart/{symbol}`).
 */
import { ConclaveError } from '../../core/errors.ts';
import type { Bar, BarInterval } from './bar.ts';
import {
  compileHttpOptions,
  getJson,
  isObject,
  malformed,
  rateLimited,
  statusError,
  vendorBar,
} from './http-json.ts';
import type { CompiledHttpOptions, HttpReply, HttpSourceOptions } from './http-json.ts';
import { isDateInterval, resolveBarRequest, toTradingDate, seriesOf } from './source.ts';
import type { BarRequest, BarSeries, MarketDataSource } from './source.ts';

/** Options for {@link YahooSource}. */
export interface YahooSourceOptions extends HttpSourceOptions {
  /** Sent as `User-Agent`; Yahoo throttles clients that send none. */
  userAgent?: string;
}

const YAHOO_INTERVAL: Readonly<Record<BarInterval, string>> = {
  '1m': '1m',
  '5m': '5m',
  '15m': '15m',
  '1h': '60m',
  '1d': '1d',
  '1wk': '1wk',
  '1mo': '1mo',
};
const QUOTE_FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Yahoo Finance chart data. Needs no key.
 * @remarks The body is `{chart: {result: [{meta, timestamp: [s…], indicators: {quote: [{open: […],
 * high, low, close, volume}]}}], error: null}`; an unknown symbol is a 404 with
 * `chart.error = {code: "Not Found", description}`. An interval with no trades comes back as a row
 * whose prices are all `null`: it is not a bar, so it is left out. A row with only some fields
 * `null` is refused as malformed. Daily-or-longer bars use `meta.gmtoffset` to keep their
 * exchange date (see {@link toTradingDate}).
 */
export class YahooSource implements MarketDataSource {
  readonly name = 'yahoo';
  readonly #http: CompiledHttpOptions;
  readonly #userAgent: string;

  constructor(options: YahooSourceOptions = {}) {
    this.#http = compileHttpOptions(options, 'https://query1.finance.yahoo.com');
    this.#userAgent = options.userAgent ?? 'Mozilla/5.0 (compatible; conclave market data)';
  }

  async fetchBars(request: BarRequest, signal?: AbortSignal): Promise<BarSeries> {
    const req = resolveBarRequest(request);
    const url = new URL(`${this.#http.baseUrl}/v8/finance/chart/${encodeURIComponent(req.symbol)}`);
    url.search = new URLSearchParams({
      interval: YAHOO_INTERVAL[req.interval],
      period1: String(Math.floor((req.fromMs ?? 0) / 1000)),
      period2: String(Math.ceil((req.toMs ?? this.#http.clock.now()) / 1000)),
      events: 'history',
      includePrePost: 'false',
    }).toString();
    const reply = await getJson(this.name, url, { 'user-agent': this.#userAgent }, this.#http, signal);
    const result = this.#result(reply);
    const bars = result === undefined ? [] : this.#bars(result, req.interval);
    bars.sort((a, b) => a.timestamp - b.timestamp);
    return seriesOf(req, this.name, bars);
  }

  /** `chart.result[0]` of a successful reply (undefined when empty), or the error the reply stands for. */
  #result(reply: HttpReply): Record<string, unknown> | undefined {
    const body = reply.json;
    const chart = isObject(body) ? (body['chart'] ?? body['finance']) : undefined;
    const error = isObject(chart) ? chart['error'] : undefined;
    const said = isObject(error) ? `${String(error['code'])}: ${String(error['description'])}` : undefined;
    if (reply.status === 429) throw rateLimited(this.name, said ?? 'too many requests', reply, this.#http);
    if (reply.status < 200 || reply.status > 299) throw statusError(this.name, reply, said, this.#http, []);
    if (!isObject(body)) throw malformed(this.name, 'body', 'is not a JSON object');
    if (!isObject(chart)) throw malformed(this.name, 'chart', 'is missing');
    if (isObject(error)) {
      const code = error['code'] === 'Not Found' ? 'NOT_FOUND' : 'AGENT_ERROR';
      throw new ConclaveError(code, `yahoo: ${said ?? ''}`, { details: { source: this.name } });
    }
    const results = chart['result'];
    if (!Array.isArray(results)) throw malformed(this.name, 'chart.result', 'is not an array');
    const first: unknown = results[0];
    if (first === undefined) return undefined;
    if (!isObject(first)) throw malformed(this.name, 'chart.result[0]', 'is not an object');
    return first;
  }

  #bars(result: Record<string, unknown>, interval: BarInterval): Bar[] {
    const timestamps = result['timestamp'];
    if (timestamps === undefined) return [];
    if (!Array.isArray(timestamps))
      throw malformed(this.name, 'chart.result[0].timestamp', 'is not an array');
    const indicators = result['indicators'];
    const quotes = isObject(indicators) ? indicators['quote'] : undefined;
    const quote: unknown = Array.isArray(quotes) ? quotes[0] : undefined;
    const base = 'chart.result[0].indicators.quote[0]';
    if (!isObject(quote)) throw malformed(this.name, base, 'is missing');
    const columns = QUOTE_FIELDS.map((f) => {
      const column = quote[f];
      if (!Array.isArray(column) || column.length !== timestamps.length) {
        throw malformed(this.name, `${base}.${f}`, `is not an array of ${timestamps.length} values`);
      }
      return column as unknown[];
    });
    const meta = result['meta'];
    const offset = isObject(meta) && typeof meta['gmtoffset'] === 'number' ? meta['gmtoffset'] : 0;
    const bars: Bar[] = [];
    timestamps.forEach((t: unknown, i) => {
      const [open, high, low, close, volume] = columns.map((c) => c[i]);
      if (open === null && high === null && low === null && close === null) return;
      const ms = typeof t === 'number' ? t * 1000 : t;
      const timestamp = typeof ms === 'number' && isDateInterval(interval) ? toTradingDate(ms, offset) : ms;
      const fieldOf = (f: string): string =>
        f === 'timestamp' ? `chart.result[0].timestamp[${i}]` : `${base}.${f}[${i}]`;
      bars.push(vendorBar(this.name, { timestamp, open, high, low, close, volume }, fieldOf));
    });
    return bars;
  }
}
