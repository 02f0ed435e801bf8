import { Counter, Histogram, type Registry } from 'prom-client';

/** Upper bounds (seconds) of the request duration buckets: an API answering in milliseconds. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

type RequestLabels = 'method' | 'route' | 'status_code';
/** `le` is the bucket label prom-client adds itself; it is never declared. */
type DurationLabels = 'method' | 'route' | 'le';
type HistogramData = Awaited<ReturnType<Histogram<DurationLabels>['get']>>;
type Sample = HistogramData['values'][number];

/**
 * One route's requests: a count per status code and the duration buckets, plain numbers until
 * a scrape reads them.
 */
export class RouteRequests {
  readonly byStatus = new Map<number, number>();
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly method: string,
    readonly route: string,
    private readonly bounds: readonly number[],
  ) {
    this.buckets = new Float64Array(bounds.length + 1);
  }

  /** One answered request. */
  record(statusCode: number, seconds: number): void {
    this.byStatus.set(statusCode, (this.byStatus.get(statusCode) ?? 0) + 1);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/**
 * The Learn Your Way document's `orchestrator_requests_total{method, route, status_code}` and
 * `orchestrator_request_duration_seconds{method, route}` for the REST API.
 * @remarks Each request is counted into its route's {@link RouteRequests}, made once per route,
 * and the two prom-client metrics are filled from those when scraped. Counting through
 * prom-client on every request (`inc` and `observe` hash their label values each time) cost
 * ~0.6 µs a request in a tight loop, on a path of ~30 µs (bench/RESULTS.md); this costs a map
 * update and a short bucket scan.
 */
export class RequestMetrics {
  readonly #routes = new Map<string, RouteRequests>();

  constructor(
    registry: Registry,
    private readonly bounds: readonly number[] = REQUEST_DURATION_BUCKETS,
  ) {
    const routes = this.#routes;
    new Counter<RequestLabels>({
      name: 'orchestrator_requests_total',
      help: 'HTTP requests answered, by method, route (as declared; "unmatched" for none) and status code',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of routes.values())
          for (const [status, n] of r.byStatus)
            this.inc({ method: r.method, route: r.route, status_code: String(status) }, n);
      },
    });
    new DurationHistogram(
      {
        name: 'orchestrator_request_duration_seconds',
        help: 'HTTP request duration from routing to the response written, by method and route',
        labelNames: ['method', 'route'],
        buckets: [...bounds],
        registers: [registry],
      },
      routes,
      bounds,
    );
  }

  /** The counts of one route (made on first use; call once per route, not per request). */
  route(method: string, route: string): RouteRequests {
    const key = `${method} ${route}`;
    let r = this.#routes.get(key);
    if (r === undefined) this.#routes.set(key, (r = new RouteRequests(method, route, this.bounds)));
    return r;
  }
}

/**
 * A prom-client histogram whose values are read from {@link RouteRequests} at scrape time.
 * @remarks The registry renders a histogram from `getForPromString()` where it has one (prom-client
 * 15), else from `get()`; both are answered here, and the route test reads the exposition.
 */
class DurationHistogram extends Histogram<DurationLabels> {
  readonly #config: { name: string; help: string };

  constructor(
    config: ConstructorParameters<typeof Histogram<DurationLabels>>[0],
    private readonly routes: ReadonlyMap<string, RouteRequests>,
    private readonly bounds: readonly number[],
  ) {
    super(config);
    this.#config = config;
  }

  // Not through super.get(): prom-client's get() calls getForPromString(), which is this.
  override get(): Promise<HistogramData> {
    const { name, help } = this.#config;
    return Promise.resolve({
      name,
      help,
      // prom-client declares its metric types as an enum it does not export at run time.
      type: 'histogram' as unknown as HistogramData['type'],
      aggregator: 'sum',
      collect: () => undefined,
      values: this.#values(name),
    });
  }

  getForPromString(): Promise<HistogramData> {
    return this.get();
  }

  #values(name: string): Sample[] {
    const values: Sample[] = [];
    for (const r of this.routes.values()) {
      if (r.count === 0) continue;
      const labels = { method: r.method, route: r.route };
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += r.buckets[i]!;
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: r.count, metricName: `${name}_bucket` });
      values.push({ labels, value: r.sum, metricName: `${name}_sum` });
      values.push({ labels, value: r.count, metricName: `${name}_count` });
    }
    return values;
  }
}
