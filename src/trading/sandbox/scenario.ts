/**
 * `runTestScenario`: the FinAgent sandbox's entry point — a historical backtest, a stress test or
 * a paper replay, each through the same backtest engine.
 */
import { z } from 'zod';
import { sleep, systemClock, type Clock } from '../../core/clock.ts';
import { parseParams } from '../agents/params.ts';
import { BAR_INTERVALS, type Bar, type BarInterval } from '../market-data/bar.ts';
import type { MarketDataSource } from '../market-data/source.ts';
import { SyntheticSource } from '../market-data/synthetic-source.ts';
import { VEGA_SPX, VegaDatasetsSource } from '../market-data/vega-source.ts';
import { runBacktest, type BacktestHooks, type BacktestResult } from './backtest.ts';
import type { BacktestOptions } from './options.ts';
import type { EquityPoint } from './records.ts';
import {
  applyGapShock,
  applyVolatilityShock,
  HISTORICAL_WINDOWS,
  STRESS_SCENARIOS,
  type StressScenarioName,
} from './stress.ts';

const timeInput = z.union([z.number().int(), z.string().min(1)]);
const source = z.custom<MarketDataSource>(
  (v) => typeof v === 'object' && v !== null && typeof (v as MarketDataSource).fetchBars === 'function',
  { error: 'must be a MarketDataSource (an object with fetchBars)' },
);
const common = {
  scenarioId: z.string().min(1).default('scenario'),
  options: z
    .custom<BacktestOptions>((v) => v === undefined || (typeof v === 'object' && v !== null))
    .optional(),
  source: source.optional(),
  interval: z.enum(BAR_INTERVALS).default('1d'),
};
const symbols = z.array(z.string().min(1)).min(1, { error: 'must name at least one symbol' });

/** The zod schema of a {@link TestScenario}. */
export const testScenarioSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('historical_backtest'),
    ...common,
    symbols,
    from: timeInput.optional(),
    to: timeInput.optional(),
  }),
  z.object({
    mode: z.literal('stress_test'),
    ...common,
    scenario: z.enum(STRESS_SCENARIOS as unknown as [StressScenarioName, ...StressScenarioName[]]),
    /** Synthetic shocks: the generator seed for the series shocked (default 7). */
    seed: z.number().int().default(7),
    /** Synthetic shocks: bars in the generated series (default 756, three years of days). */
    barCount: z.number().int().min(60).max(100_000).default(756),
  }),
  z.object({
    mode: z.literal('paper'),
    ...common,
    symbols,
    from: timeInput.optional(),
    to: timeInput.optional(),
    barsPerSecond: z.number().gt(0).max(1_000_000),
    clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && 'setTimeout' in v).optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal).optional(),
    onStep: z.custom<(point: EquityPoint) => void>((v) => typeof v === 'function').optional(),
  }),
]);

/** A scenario as given: `mode` picks the shape. */
export type TestScenario = z.input<typeof testScenarioSchema>;

/** What a scenario run returns: the backtest result with the scenario it ran. */
export interface ScenarioResult {
  readonly scenarioId: string;
  readonly mode: TestScenario['mode'];
  /** The stress scenario's name, or the mode for the others. */
  readonly name: string;
  readonly description: string;
  readonly result: BacktestResult;
}

async function fetchAll(
  src: MarketDataSource,
  names: readonly string[],
  interval: BarInterval,
  signal?: AbortSignal,
): Promise<Record<string, readonly Bar[]>> {
  const out: Record<string, readonly Bar[]> = {};
  for (const symbol of names) out[symbol] = (await src.fetchBars({ symbol, interval }, signal)).bars;
  return out;
}

/**
 * Runs one scenario.
 * @remarks
 * - `historical_backtest`: the symbols from `source` (default the bundled vega-datasets data),
 *   traded from `from` to `to`, earlier bars warming the agents up.
 * - `stress_test`: a crisis window of the S&P 500 (`dotcom_2000_2002`, `gfc_2007_2009`,
 *   `covid_2020`), or a synthetic shock on a seeded synthetic series `SYN`: `gap_down_20` (−20%
 *   gap at two thirds of the series) or `volatility_x3` (volatility ×3 over its third sixth).
 * - `paper`: a live-like replay — the same run, waiting 1 / `barsPerSecond` seconds on `clock`
 *   before each bar (inject a ManualClock to replay without sleeping); `onStep` sees each equity
 *   point as it is made and `signal` stops the replay.
 * @throws ValidationError naming the field (`scenario.scenario`, `options.strategy…`).
 */
export async function runTestScenario(input: TestScenario): Promise<ScenarioResult> {
  const s = parseParams(testScenarioSchema, input, 'scenario');
  const src = s.source ?? new VegaDatasetsSource();
  if (s.mode === 'historical_backtest') {
    const bars = await fetchAll(src, s.symbols, s.interval);
    const options = { ...s.options, ...range(s.from, s.to) };
    const result = await runBacktest({ interval: s.interval, bars }, options);
    return {
      scenarioId: s.scenarioId,
      mode: s.mode,
      name: s.mode,
      description: `backtest of ${s.symbols.join(', ')}`,
      result,
    };
  }
  if (s.mode === 'paper') {
    const clock = s.clock ?? systemClock;
    const delayMs = 1000 / s.barsPerSecond;
    const hooks: BacktestHooks = {
      pace: () => sleep(clock, delayMs, s.signal),
      ...(s.onStep === undefined ? {} : { onStep: s.onStep }),
      ...(s.signal === undefined ? {} : { signal: s.signal }),
    };
    const bars = await fetchAll(src, s.symbols, s.interval, s.signal);
    const result = await runBacktest(
      { interval: s.interval, bars },
      { ...s.options, ...range(s.from, s.to) },
      hooks,
    );
    return {
      scenarioId: s.scenarioId,
      mode: s.mode,
      name: s.mode,
      description: `paper replay at ${s.barsPerSecond} bars/s`,
      result,
    };
  }
  const name = s.scenario;
  if (name === 'gap_down_20' || name === 'volatility_x3') {
    const generator = new SyntheticSource({ seed: s.seed, barCount: s.barCount });
    const base = (await generator.fetchBars({ symbol: 'SYN', interval: '1d' })).bars;
    const n = base.length;
    const shocked =
      name === 'gap_down_20'
        ? applyGapShock(base, Math.floor((2 * n) / 3), -0.2)
        : applyVolatilityShock(base, Math.floor((2 * n) / 6), Math.floor((3 * n) / 6), 3);
    const result = await runBacktest(
      { interval: '1d', bars: { SYN: shocked } },
      { seed: s.seed, ...s.options },
    );
    const description =
      name === 'gap_down_20'
        ? `a −20% gap at bar ${Math.floor((2 * n) / 3)} of a seeded synthetic series`
        : `volatility ×3 over bars ${Math.floor((2 * n) / 6)}–${Math.floor((3 * n) / 6) - 1} of a seeded synthetic series`;
    return { scenarioId: s.scenarioId, mode: s.mode, name, description, result };
  }
  const window = HISTORICAL_WINDOWS[name];
  const bars = await fetchAll(src, [VEGA_SPX], '1d');
  const result = await runBacktest(
    { interval: '1d', bars },
    { ...s.options, from: window.from, to: window.to },
  );
  return { scenarioId: s.scenarioId, mode: s.mode, name, description: window.description, result };
}

function range(
  from: string | number | undefined,
  to: string | number | undefined,
): Pick<BacktestOptions, 'from' | 'to'> {
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}
