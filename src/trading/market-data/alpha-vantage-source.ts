/**
 * Daily bars from Alpha Vantage's `TIME_SERIES_DAILY` function.
 */
import { ConclaveError, ValidationError } from '../../core/errors.ts';
import type { Bar } from './bar.ts';
import {
  compileHttpOptions,
  getJson,
  isObject,
  malformed,
  notConfigured,
  rateLimited,
  redact,
  statusError,
  vendorBar,
} from './http-json.ts';
import type { CompiledHttpOptions, HttpReply, HttpSourceOptions } from './http-json.ts';
import { resolveBarRequest, seriesOf } from './source.ts';
import type { BarRequest, BarSeries, MarketDataSource } from './source.ts';

/** Options for {@link AlphaVantageSource}. */
export interface AlphaVantageSourceOptions extends HttpSourceOptions {
  /** Default: the `ALPHA_VANTAGE_API_KEY` environment variable. */
  apiKey?: string;
  /** `compact` (latest 100 days) or `full` (premium plans). Default `compact`. */
  outputSize?: 'compact' | 'full';
}

const ENV_KEY = 'ALPHA_VANTAGE_API_KEY';
const SERIES_KEY = 'Time Series (Daily)';
const AV_FIELD: Readonly<Record<string, string>> = {
  open: '1. open',
  high: '2. high',
  low: '3. low',
  close: '4. close',
  volume: '5. volume',
};
const RATE_LIMIT_TEXT = /rate limit|call frequency|requests? per (minute|day)|calls? per (minute|day)/i;
const BAD_KEY_TEXT = /apikey is invalid|api key is invalid|invalid api key/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Alpha Vantage daily prices (`1d` only).
 * @remarks Alpha Vantage reports its failures with HTTP 200: `{"Error Message": …}` for a bad key
 * (`the parameter apikey is invalid or missing…`, → `UNAUTHORIZED`) or an unknown symbol
 * (`Invalid API call…`, → `NOT_FOUND`); `{"Note": …}` or `{"Information": …}` for the rate limit
 * (→ `RATE_LIMITED`, no retry-after given) and for premium-only requests (→ `FORBIDDEN`). The key
 * must travel in the query string, so it is redacted from every message.
 */
export class AlphaVantageSource implements MarketDataSource {
  readonly name = 'alpha-vantage';
  readonly #http: CompiledHttpOptions;
  readonly #apiKey: string | undefined;
  readonly #outputSize: 'compact' | 'full';

  constructor(options: AlphaVantageSourceOptions = {}) {
    this.#http = compileHttpOptions(options, 'https://www.alphavantage.co');
    const key = options.apiKey ?? this.#http.env[ENV_KEY];
    this.#apiKey = key === undefined || key.trim() === '' ? undefined : key.trim();
    this.#outputSize = options.outputSize ?? 'compact';
  }

  configurationProblem(): string | undefined {
    return this.#apiKey === undefined ? `${ENV_KEY} is not set` : undefined;
  }

  async fetchBars(request: BarRequest, signal?: AbortSignal): Promise<BarSeries> {
    const req = resolveBarRequest(request);
    if (req.interval !== '1d') {
      throw new ValidationError(
        'request.interval',
        `alpha-vantage serves TIME_SERIES_DAILY (1d) only, not ${req.interval}`,
        {
          available: ['1d'],
        },
      );
    }
    if (this.#apiKey === undefined) throw notConfigured(this.name, ENV_KEY);
    const url = new URL(`${this.#http.baseUrl}/query`);
    url.search = new URLSearchParams({
      function: 'TIME_SERIES_DAILY',
      symbol: req.symbol,
      outputsize: this.#outputSize,
      datatype: 'json',
      apikey: this.#apiKey,
    }).toString();
    const reply = await getJson(this.name, url, {}, this.#http, signal);
    const series = this.#series(reply, [this.#apiKey]);
    const bars: Bar[] = Object.entries(series).map(([date, row]) => this.#bar(date, row));
    bars.sort((a, b) => a.timestamp - b.timestamp);
    return seriesOf(req, this.name, bars);
  }

  /** The `Time Series (Daily)` object of a successful reply, or the error the reply stands for. */
  #series(reply: HttpReply, secrets: readonly string[]): Record<string, unknown> {
    const body = reply.json;
    if (reply.status === 429) throw rateLimited(this.name, 'too many requests', reply, this.#http);
    if (reply.status < 200 || reply.status > 299)
      throw statusError(this.name, reply, undefined, this.#http, secrets);
    if (!isObject(body)) throw malformed(this.name, 'body', 'is not a JSON object');
    const details = { source: this.name, status: reply.status };
    const errorMessage = body['Error Message'];
    if (typeof errorMessage === 'string') {
      const said = redact(errorMessage, secrets);
      if (BAD_KEY_TEXT.test(errorMessage))
        throw new ConclaveError('UNAUTHORIZED', `alpha-vantage: ${said}`, { details });
      throw new ConclaveError('NOT_FOUND', `alpha-vantage: ${said}`, { details });
    }
    const notice = body['Note'] ?? body['Information'];
    if (typeof notice === 'string') {
      const said = redact(notice, secrets);
      if (BAD_KEY_TEXT.test(notice))
        throw new ConclaveError('UNAUTHORIZED', `alpha-vantage: ${said}`, { details });
      if (RATE_LIMIT_TEXT.test(notice)) throw rateLimited(this.name, said, reply, this.#http, details);
      if (/premium/i.test(notice))
        throw new ConclaveError('FORBIDDEN', `alpha-vantage: ${said}`, { details });
      throw new ConclaveError('AGENT_ERROR', `alpha-vantage: ${said}`, { retryable: false, details });
    }
    const series = body[SERIES_KEY];
    if (!isObject(series)) throw malformed(this.name, `"${SERIES_KEY}"`, 'is missing');
    return series;
  }

  #bar(date: string, row: unknown): Bar {
    const where = `"${SERIES_KEY}"."${date}"`;
    if (!DATE.test(date)) throw malformed(this.name, where, 'is not a YYYY-MM-DD date');
    if (!isObject(row)) throw malformed(this.name, where, 'is not an object');
    const num = (f: string): unknown => {
      const v = row[AV_FIELD[f] ?? f];
      return typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    };
    const candidate = {
      timestamp: Date.parse(`${date}T00:00:00Z`),
      open: num('open'),
      high: num('high'),
      low: num('low'),
      close: num('close'),
      volume: num('volume'),
    };
    return vendorBar(this.name, candidate, (f) => `${where}."${AV_FIELD[f] ?? f}"`);
  }
}
