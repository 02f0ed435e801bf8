import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Counters and histograms for hot paths: each labelled series is a few plain numbers the caller
 * keeps a reference to, and the prom-client metric is filled from them when scraped.
 * @remarks prom-client's `inc` and `observe` hash their label values on every call, cached label
 * children included: a counter increment and a histogram observation cost ~0.6 µs together,
 * against ~12 ns here (`npm run bench -- metrics`, bench/RESULTS.md), on paths of a few tens of
 * microseconds a request or task.
 * Label values are fixed when a series is made; keep their number bounded, as with any metric.
 */

/** One labelled counter series. */
export class CounterSeries<L extends string> {
  value = 0;

  constructor(readonly labels: Readonly<Record<L, string>>) {}

  inc(by = 1): void {
    this.value += by;
  }
}

/** One labelled histogram series: observations per bucket (not cumulative; the last is +Inf). */
export class HistogramSeries<L extends string> {
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<L, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.buckets = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.buckets[i]!++;
    this.sum += value;
    this.count++;
  }
}

interface Described<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
}

/** A counter whose series are {@link CounterSeries}, made once per label set by {@link series}. */
export class ScrapedCounter<L extends string> {
  readonly #series = new Map<string, CounterSeries<L>>();

  constructor(registry: Registry, config: Described<L>) {
    const all = this.#series;
    new Counter<L>({
      ...config,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of all.values()) if (s.value > 0) this.inc(s.labels as never, s.value);
      },
    });
  }

  /** The series for `labels`, made on first use; `key` must identify the label values. */
  series(key: string, labels: Readonly<Record<L, string>>): CounterSeries<L> {
    let s = this.#series.get(key);
    if (s === undefined) this.#series.set(key, (s = new CounterSeries(labels)));
    return s;
  }
}

/** A histogram whose series are {@link HistogramSeries}, made once per label set by {@link series}. */
export class ScrapedHistogram<L extends string> {
  readonly #series = new Map<string, HistogramSeries<L>>();

  constructor(
    registry: Registry,
    private readonly config: Described<L> & { buckets: readonly number[] },
  ) {
    new SeriesHistogram<L>(registry, config, this.#series);
  }

  /** The series for `labels`, made on first use; `key` must identify the label values. */
  series(key: string, labels: Readonly<Record<L, string>>): HistogramSeries<L> {
    let s = this.#series.get(key);
    if (s === undefined) this.#series.set(key, (s = new HistogramSeries(labels, this.config.buckets)));
    return s;
  }
}

/** `le` is the bucket label prom-client adds itself; it is never declared. */
type Data<L extends string> = Awaited<ReturnType<Histogram<L | 'le'>['get']>>;

/**
 * The prom-client histogram a {@link ScrapedHistogram} registers, its values read from the series.
 * @remarks The registry renders a histogram from `getForPromString()` where it has one (prom-client
 * 15), else from `get()`; both are answered here, and tests read the exposition.
 */
class SeriesHistogram<L extends string> extends Histogram<L | 'le'> {
  readonly #described: Described<L> & { buckets: readonly number[] };

  constructor(
    registry: Registry,
    config: Described<L> & { buckets: readonly number[] },
    private readonly all: ReadonlyMap<string, HistogramSeries<L>>,
  ) {
    super({ ...config, buckets: [...config.buckets], registers: [registry] });
    this.#described = config;
  }

  // Not through super.get(): prom-client's get() calls getForPromString(), which is this.
  override get(): Promise<Data<L>> {
    const { name, help, buckets } = this.#described;
    const values: Data<L>['values'] = [];
    for (const s of this.all.values()) {
      if (s.count === 0) continue;
      // A series' labels are L; these samples' may add `le` (a generic TypeScript cannot widen).
      const labels = s.labels as Partial<Record<L | 'le', string>>;
      let cumulative = 0;
      buckets.forEach((le, i) => {
        cumulative += s.buckets[i]!;
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: s.count, metricName: `${name}_bucket` });
      values.push({ labels, value: s.sum, metricName: `${name}_sum` });
      values.push({ labels, value: s.count, metricName: `${name}_count` });
    }
    return Promise.resolve({
      name,
      help,
      // prom-client declares its metric types as an enum it does not export at run time.
      type: 'histogram' as unknown as Data<L>['type'],
      aggregator: 'sum',
      collect: () => undefined,
      values,
    });
  }

  getForPromString(): Promise<Data<L>> {
    return this.get();
  }
}
