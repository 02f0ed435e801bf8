/**
 * Bars from Polygon.io's aggregates API (`/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`).
 */
import { ConclaveError } from '../../core/errors.ts';
import type { Bar, BarInterval } from './bar.ts';
import {
  compileHttpOptions,
  getJson,
  isObject,
  malformed,
  notConfigured,
  rateLimited,
  statusError,
  vendorBar,
} from './http-json.ts';
import type { CompiledHttpOptions, HttpReply, HttpSourceOptions } from './http-json.ts';
import { isDateInterval, resolveBarRequest, toTradingDate, seriesOf } from './source.ts';
import type { BarRequest, BarSeries, MarketDataSource } from './source.ts';

/** Options for {@link PolygonSource}. */
export interface PolygonSourceOptions extends HttpSourceOptions {
  /** Default: the `POLYGON_API_KEY` environment variable. */
  apiKey?: string;
  /** Split-adjusted prices. Default true. */
  adjusted?: boolean;
  /** How far back a request without `from` reaches. Default 730. */
  defaultLookbackDays?: number;
  /** Pages (`next_url`) followed per request at most. Default 20. */
  maxPages?: number;
}

const RANGE: Readonly<Record<BarInterval, readonly [number, string]>> = {
  '1m': [1, 'minute'],
  '5m': [5, 'minute'],
  '15m': [15, 'minute'],
  '1h': [1, 'hour'],
  '1d': [1, 'day'],
  '1wk': [1, 'week'],
  '1mo': [1, 'month'],
};
const POLYGON_FIELD: Readonly<Record<string, string>> = {
  timestamp: 't',
  open: 'o',
  high: 'h',
  low: 'l',
  close: 'c',
  volume: 'v',
};
const OK_STATUSES = new Set(['OK', 'DELAYED']);
const DAY_MS = 86_400_000;
const ENV_KEY = 'POLYGON_API_KEY';

/**
 * Polygon.io aggregates. The key goes in an `Authorization: Bearer` header, never in the URL.
 * @remarks Polygon answers `{status: "OK"|"DELAYED", resultsCount, results: [{t, o, h, l, c, v}]}`
 * and omits `results` when nothing matched — including for a ticker it does not know, so an
 * unknown symbol here is an empty series, not `NOT_FOUND`. Errors come as
 * `{status: "ERROR"|"NOT_AUTHORIZED"|"NOT_FOUND", error|message}` with 401, 403, 404 or 429.
 */
export class PolygonSource implements MarketDataSource {
  readonly name = 'polygon';
  readonly #http: CompiledHttpOptions;
  readonly #apiKey: string | undefined;
  readonly #adjusted: boolean;
  readonly #lookbackMs: number;
  readonly #maxPages: number;

  constructor(options: PolygonSourceOptions = {}) {
    this.#http = compileHttpOptions(options, 'https://api.polygon.io');
    const key = options.apiKey ?? this.#http.env[ENV_KEY];
    this.#apiKey = key === undefined || key.trim() === '' ? undefined : key.trim();
    this.#adjusted = options.adjusted ?? true;
    this.#lookbackMs = (options.defaultLookbackDays ?? 730) * DAY_MS;
    this.#maxPages = options.maxPages ?? 20;
  }

  configurationProblem(): string | undefined {
    return this.#apiKey === undefined ? `${ENV_KEY} is not set` : undefined;
  }

  async fetchBars(request: BarRequest, signal?: AbortSignal): Promise<BarSeries> {
    const req = resolveBarRequest(request);
    if (this.#apiKey === undefined) throw notConfigured(this.name, ENV_KEY);
    const secrets = [this.#apiKey];
    const toMs = req.toMs ?? this.#http.clock.now();
    const fromMs = req.fromMs ?? toMs - this.#lookbackMs;
    const [multiplier, timespan] = RANGE[req.interval];
    const path = `/v2/aggs/ticker/${encodeURIComponent(req.symbol)}/range/${multiplier}/${timespan}/${fromMs}/${toMs}`;
    let url: URL | undefined = new URL(`${this.#http.baseUrl}${path}`);
    url.search = new URLSearchParams({
      adjusted: String(this.#adjusted),
      sort: 'asc',
      limit: '50000',
    }).toString();
    const headers = { authorization: `Bearer ${this.#apiKey}` };
    const bars: Bar[] = [];
    for (let page = 0; url !== undefined && page < this.#maxPages; page++) {
      const reply = await getJson(this.name, url, headers, this.#http, signal);
      const body = this.#check(reply, secrets);
      bars.push(...this.#bars(body, req.interval, bars.length));
      url = typeof body['next_url'] === 'string' ? this.#sameOrigin(body['next_url']) : undefined;
    }
    bars.sort((a, b) => a.timestamp - b.timestamp);
    return seriesOf(req, this.name, bars);
  }

  /** The body of a successful reply, or the error the reply stands for. */
  #check(reply: HttpReply, secrets: readonly string[]): Record<string, unknown> {
    const body = reply.json;
    const said = isObject(body) ? (stringField(body, 'error') ?? stringField(body, 'message')) : undefined;
    if (reply.status === 429)
      return fail(rateLimited(this.name, said ?? 'too many requests', reply, this.#http));
    if (reply.status < 200 || reply.status > 299)
      return fail(statusError(this.name, reply, said, this.#http, secrets));
    if (!isObject(body)) throw malformed(this.name, 'body', 'is not a JSON object');
    const status = body['status'];
    if (typeof status !== 'string') throw malformed(this.name, 'status', 'is missing');
    if (status === 'NOT_FOUND')
      return fail(new ConclaveError('NOT_FOUND', `polygon: ${said ?? 'not found'}`));
    if (!OK_STATUSES.has(status)) {
      throw new ConclaveError('AGENT_ERROR', `polygon answered status ${status}: ${said ?? '(no message)'}`, {
        details: { source: this.name, status },
      });
    }
    return body;
  }

  #bars(body: Record<string, unknown>, interval: BarInterval, offset: number): Bar[] {
    const results = body['results'];
    if (results === undefined) return [];
    if (!Array.isArray(results)) throw malformed(this.name, 'results', 'is not an array');
    return results.map((r: unknown, i) => {
      const where = `results[${offset + i}]`;
      if (!isObject(r)) throw malformed(this.name, where, 'is not an object');
      const t = r['t'];
      const timestamp = typeof t === 'number' && isDateInterval(interval) ? toTradingDate(t) : t;
      const candidate = { timestamp, open: r['o'], high: r['h'], low: r['l'], close: r['c'], volume: r['v'] };
      return vendorBar(this.name, candidate, (f) => `${where}.${POLYGON_FIELD[f] ?? f}`);
    });
  }

  /** `next_url` re-pointed at the configured base, so the key never goes to another host. */
  #sameOrigin(nextUrl: string): URL | undefined {
    try {
      const next = new URL(nextUrl);
      return new URL(`${this.#http.baseUrl}${next.pathname}${next.search}`);
    } catch {
      throw malformed(this.name, 'next_url', `${JSON.stringify(nextUrl)} is not a URL`);
    }
  }
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' ? v : undefined;
}

function fail(error: ConclaveError): never {
  throw error;
}
