import type { Registry } from 'prom-client';
import {
  ScrapedCounter,
  ScrapedHistogram,
  type CounterSeries,
  type HistogramSeries,
} from './scraped-metrics.ts';

/** Upper bounds (seconds) of the request duration buckets: an API answering in milliseconds. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

type RequestLabels = 'method' | 'route' | 'status_code';
type DurationLabels = 'method' | 'route';

/** One route's requests: a count per status code and the durations. */
export class RouteRequests {
  readonly #byStatus = new Map<number, CounterSeries<RequestLabels>>();

  constructor(
    private readonly method: string,
    private readonly route: string,
    private readonly requests: ScrapedCounter<RequestLabels>,
    private readonly durations: HistogramSeries<DurationLabels>,
  ) {}

  /** One answered request. */
  record(statusCode: number, seconds: number): void {
    let count = this.#byStatus.get(statusCode);
    if (count === undefined) {
      const labels = { method: this.method, route: this.route, status_code: String(statusCode) };
      count = this.requests.series(`${this.method} ${this.route} ${statusCode}`, labels);
      this.#byStatus.set(statusCode, count);
    }
    count.inc();
    this.durations.observe(seconds);
  }
}

/**
 * The Learn Your Way document's `orchestrator_requests_total{method, route, status_code}` and
 * `orchestrator_request_duration_seconds{method, route}` for the REST API. Each route gets its
 * {@link RouteRequests} once; a request then costs a map lookup and a short bucket scan
 * (see scraped-metrics.ts for why not prom-client's own `inc` and `observe`).
 */
export class RequestMetrics {
  readonly #routes = new Map<string, RouteRequests>();
  readonly #requests: ScrapedCounter<RequestLabels>;
  readonly #durations: ScrapedHistogram<DurationLabels>;

  constructor(registry: Registry) {
    this.#requests = new ScrapedCounter(registry, {
      name: 'orchestrator_requests_total',
      help: 'HTTP requests answered, by method, route (as declared; "unmatched" for none) and status code',
      labelNames: ['method', 'route', 'status_code'],
    });
    this.#durations = new ScrapedHistogram(registry, {
      name: 'orchestrator_request_duration_seconds',
      help: 'HTTP request duration from routing to the response written (an unmatched request: the time to answer it; a GET /events stream: its lifetime), by method and route',
      labelNames: ['method', 'route'],
      buckets: REQUEST_DURATION_BUCKETS,
    });
  }

  /** The counts of one route (made on first use; call once per route, not per request). */
  route(method: string, route: string): RouteRequests {
    const key = `${method} ${route}`;
    let r = this.#routes.get(key);
    if (r === undefined) {
      const durations = this.#durations.series(key, { method, route });
      this.#routes.set(key, (r = new RouteRequests(method, route, this.#requests, durations)));
    }
    return r;
  }
}
