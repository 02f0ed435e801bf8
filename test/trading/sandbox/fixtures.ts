/** Shared inputs for the sandbox tests: seeded synthetic bars and a quick-reacting strategy. */
import type { Bar } from '../../../src/trading/market-data/index.ts';
import { SyntheticSource } from '../../../src/trading/market-data/index.ts';
import type { BacktestOptions } from '../../../src/trading/sandbox/index.ts';

/** `count` daily bars for each symbol, from a generator seeded with `seed`. */
export async function syntheticBars(
  seed: number,
  symbols: readonly string[],
  count: number,
): Promise<Record<string, Bar[]>> {
  const source = new SyntheticSource({ seed, barCount: count });
  const out: Record<string, Bar[]> = {};
  for (const symbol of symbols) out[symbol] = [...(await source.fetchBars({ symbol, interval: '1d' })).bars];
  return out;
}

/** Short indicator periods, so a few hundred bars see trades. */
export const FAST_STRATEGY: NonNullable<BacktestOptions['strategy']> = {
  momentum: {
    fastBars: 5,
    slowBars: 12,
    signalBars: 4,
    rsiBars: 7,
    rocBars: 5,
    atrBars: 7,
    persistenceBars: 5,
  },
  risk: { lookbackBars: 20, minObservations: 5 },
};
