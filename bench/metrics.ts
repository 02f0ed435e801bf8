/**
 * metrics: what counting one request (or task) costs — a counter increment and a histogram
 * observation — through prom-client's labelled children, against the scraped series Conclave
 * uses on its hot paths (src/telemetry/scraped-metrics.ts), in the same process and loop.
 * `npm run bench -- metrics`.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { ScrapedCounter, ScrapedHistogram } from '../src/telemetry/scraped-metrics.ts';
import { REQUEST_DURATION_BUCKETS } from '../src/telemetry/request-metrics.ts';
import { printTable, round } from './support.ts';

const N = 2_000_000;
const ROUNDS = 5;

function nsPerCall(f: (i: number) => void): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f(i);
  return Number(process.hrtime.bigint() - t) / N;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** Runs the benchmark. */
export function main(): Promise<void> {
  const registry = new Registry();
  const buckets = REQUEST_DURATION_BUCKETS;
  const labelNames = ['method', 'route', 'status_code'] as const;
  const promCounter = new Counter({ name: 'a_total', help: 'a', labelNames, registers: [registry] });
  const promHistogram = new Histogram({
    name: 'b_seconds',
    help: 'b',
    labelNames: ['method', 'route'],
    buckets: [...buckets],
    registers: [registry],
  });
  const promInc = promCounter.labels('POST', '/orchestrate', '202');
  const promObserve = promHistogram.labels('POST', '/orchestrate');
  const scrapedInc = new ScrapedCounter(registry, { name: 'c_total', help: 'c', labelNames }).series('k', {
    method: 'POST',
    route: '/orchestrate',
    status_code: '202',
  });
  const scrapedObserve = new ScrapedHistogram(registry, {
    name: 'd_seconds',
    help: 'd',
    labelNames: ['method', 'route'],
    buckets,
  }).series('k', { method: 'POST', route: '/orchestrate' });
  const seconds = (i: number): number => 0.0012 + (i & 7) * 0.0003;

  const prom: number[] = [];
  const scraped: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    prom.push(nsPerCall(() => promInc.inc()) + nsPerCall((i) => promObserve.observe(seconds(i))));
    scraped.push(nsPerCall(() => scrapedInc.inc()) + nsPerCall((i) => scrapedObserve.observe(seconds(i))));
  }
  const promNs = median(prom);
  const scrapedNs = median(scraped);
  printTable(`metrics: one counter increment + one histogram observation, median of ${ROUNDS} rounds`, [
    { way: 'prom-client labelled children', 'ns per request': round(promNs, 1) },
    { way: 'scraped series', 'ns per request': round(scrapedNs, 1) },
  ]);
  console.log(
    JSON.stringify({
      bench: 'metrics',
      prom_client_ns: round(promNs, 1),
      scraped_ns: round(scrapedNs, 1),
      ratio: round(promNs / scrapedNs, 1),
    }),
  );
  return Promise.resolve();
}
