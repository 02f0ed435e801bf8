/** Seeded, real-looking OHLCV series for the agents' tests. */
import { SeededRandom } from '../../../src/core/index.ts';
import type { Bar } from '../../../src/trading/market-data/bar.ts';

/** Options for {@link makeBars}: per-bar drift and volatility of log returns. */
export interface SeriesOptions {
  count?: number;
  seed?: number;
  startPrice?: number;
  driftPerBar?: number;
  volatilityPerBar?: number;
  startMs?: number;
  /** Log returns to use instead of random ones (for correlated/mirrored series). */
  returns?: readonly number[];
}

export const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2020, 0, 1);

/** Standard normal draws from a seeded generator (Box–Muller). */
export function normals(count: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  const out: number[] = [];
  while (out.length < count) {
    const u = Math.max(random.next(), 1e-12);
    const v = random.next();
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

/** A daily geometric random walk with intrabar ranges and volume, deterministic for a seed. */
export function makeBars(options: SeriesOptions = {}): Bar[] {
  const count = options.returns?.length ?? options.count ?? 300;
  const seed = options.seed ?? 1;
  const vol = options.volatilityPerBar ?? 0.01;
  const drift = options.driftPerBar ?? 0;
  const z = normals(count, seed);
  const extra = normals(count * 2, seed + 7919);
  const random = new SeededRandom(seed + 104729);
  const bars: Bar[] = [];
  let close = options.startPrice ?? 100;
  for (let i = 0; i < count; i++) {
    const r = options.returns?.[i] ?? drift + vol * (z[i] ?? 0);
    const open = close * Math.exp(0.1 * vol * (extra[2 * i] ?? 0));
    const next = close * Math.exp(r);
    const wick = Math.abs(extra[2 * i + 1] ?? 0) * vol * 0.5;
    bars.push({
      timestamp: (options.startMs ?? START_MS) + i * DAY_MS,
      open,
      high: Math.max(open, next) * (1 + wick),
      low: Math.min(open, next) * (1 - wick),
      close: next,
      volume: Math.round(1_000_000 * (0.5 + random.next())),
    });
    close = next;
  }
  return bars;
}

/** The log returns a series of bars was built from (close to close; the first from startPrice 100). */
export function logReturnsOf(bars: readonly Bar[], startPrice = 100): number[] {
  return bars.map((b, i) => Math.log(b.close / (i === 0 ? startPrice : (bars[i - 1]?.close ?? startPrice))));
}
