import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.ts';
import { SyntheticSource, validateBars } from '../../../src/trading/market-data/index.ts';
import {
  applyGapShock,
  applyVolatilityShock,
  HISTORICAL_WINDOWS,
  resultJson,
  runTestScenario,
  STRESS_SCENARIOS,
  type EquityPoint,
} from '../../../src/trading/sandbox/index.ts';
import { syntheticBars } from './fixtures.ts';

const day = (ms: number | null): string => new Date(ms ?? NaN).toISOString().slice(0, 10);

describe('stress scenarios', () => {
  for (const name of STRESS_SCENARIOS) {
    it(`runs ${name}`, async () => {
      const { result, description } = await runTestScenario({ mode: 'stress_test', scenario: name });
      expect(description.length).toBeGreaterThan(10);
      expect(result.stats.decisions).toBe(result.stats.bars);
      expect(result.equity.length).toBeGreaterThan(40);
      expect(result.benchmark.maxDrawdown).toBeGreaterThan(0);
      if (name in HISTORICAL_WINDOWS) {
        const w = HISTORICAL_WINDOWS[name as keyof typeof HISTORICAL_WINDOWS];
        expect(day(result.metrics.startMs) >= w.from).toBe(true);
        expect(day(result.metrics.endMs) <= w.to).toBe(true);
        // Each window is a crash: buy-and-hold loses at least 20% peak to trough.
        expect(result.benchmark.maxDrawdown).toBeGreaterThan(0.2);
      } else {
        expect(result.manifest.symbols).toEqual(['SYN']);
      }
    }, 60_000);
  }

  it('a −20% gap shifts every price from the gap on, and nothing before it', async () => {
    const bars = (await syntheticBars(3, ['X'], 100))['X']!;
    const shocked = applyGapShock(bars, 60, -0.2);
    expect(shocked[59]).toEqual(bars[59]);
    expect(shocked[60]!.open / bars[60]!.open).toBeCloseTo(0.8, 12);
    expect(shocked[99]!.close / bars[99]!.close).toBeCloseTo(0.8, 12);
    expect(validateBars({ interval: '1d', bars: shocked }).status).toBe('clean');
    expect(() => applyGapShock(bars, 100)).toThrow(/atIndex/);
  });

  it('volatility ×3 triples the window’s log-return deviation and keeps the bars valid', async () => {
    const bars = (await syntheticBars(4, ['X'], 300))['X']!;
    const shocked = applyVolatilityShock(bars, 100, 200, 3);
    const std = (xs: readonly { close: number }[], from: number, to: number): number => {
      const r: number[] = [];
      for (let i = from; i < to; i++) r.push(Math.log(xs[i]!.close / xs[i - 1]!.close));
      const m = r.reduce((a, b) => a + b, 0) / r.length;
      return Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / (r.length - 1));
    };
    expect(std(shocked, 100, 200) / std(bars, 100, 200)).toBeCloseTo(3, 9);
    expect(std(shocked, 201, 300) / std(bars, 201, 300)).toBeCloseTo(1, 9);
    expect(shocked.slice(0, 100)).toEqual(bars.slice(0, 100));
    expect(validateBars({ interval: '1d', bars: shocked }).status).toBe('clean');
  });
});

describe('paper mode', () => {
  it('replays at the chosen speed on the injected clock, with the backtest’s results', async () => {
    const source = new SyntheticSource({ seed: 11, barCount: 60 });
    const clock = new ManualClock(0);
    const steps: EquityPoint[] = [];
    let done = false;
    const paper = runTestScenario({
      mode: 'paper',
      source,
      symbols: ['P'],
      barsPerSecond: 10,
      clock,
      onStep: (p) => steps.push(p),
    }).finally(() => {
      done = true;
    });
    /** Lets the run reach its next sleep (real I/O may sit between two bars). */
    const nextSleep = async (): Promise<void> => {
      while (clock.pendingTimers === 0 && !done) await new Promise((r) => setImmediate(r));
    };
    for (let i = 0; i < 10; i++) {
      await nextSleep();
      expect(steps).toHaveLength(i); // nothing runs ahead of the clock
      await clock.advance(100); // one bar at 10 bars per second
    }
    await nextSleep();
    expect(steps).toHaveLength(10);
    expect(done).toBe(false);
    while (!done) {
      await nextSleep();
      await clock.advance(100);
    }
    const replayed = await paper;
    expect(steps).toHaveLength(60);
    const backtest = await runTestScenario({ mode: 'historical_backtest', source, symbols: ['P'] });
    expect(resultJson(replayed.result)).toBe(resultJson(backtest.result));
  }, 60_000);
});
