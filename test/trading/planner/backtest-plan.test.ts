import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backtestPlanForFile, loadStrategyFile } from '../../../src/cli/strategy-file.ts';
import { isConclaveError, ValidationError } from '../../../src/core/errors.ts';
import { planBacktest } from '../../../src/server/backtest-plan.ts';
import {
  backtestPlanFor,
  parseStrategy,
  strategyFromTemplate,
  type TradingStrategy,
} from '../../../src/trading/planner/index.ts';
import { REPO_ROOT } from '../../cli/spawn-cli.ts';

const EXAMPLE = join(REPO_ROOT, 'examples/strategy-momentum.yaml');

function strategy(parameters: Record<string, unknown>, symbols = ['SPX'], lookback = 30): TradingStrategy {
  return parseStrategy({ strategy_id: 's1', name: 'S', symbols, lookback_period: lookback, parameters });
}

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.field;
    if (isConclaveError(err)) return String(err.details['field']);
    throw err;
  }
  throw new Error('expected a validation failure');
}

describe('backtestPlanFor', () => {
  it('maps a template strategy onto the agents as the live planner does', () => {
    const s = strategyFromTemplate(
      'momentum',
      { strategy_id: 'm', name: 'M', symbols: ['^gspc'] },
      { lookback_period: 40, signal_threshold: 0.05, position_size: 0.5 },
    );
    const plan = backtestPlanFor(s, { runId: 'r1' });
    expect(plan.symbols).toEqual(['SPX']);
    expect(plan.interval).toBe('1d');
    expect(plan.options).toEqual({
      runId: 'r1',
      barsPerYear: 252,
      strategy: {
        momentum: { rocBars: 40, minStrength: 0.05 },
        risk: { lookbackBars: 120, maxPositionFraction: 0.5, barsPerYear: 252 },
      },
    });
    expect(plan.compiled.strategy.momentum).toMatchObject({ rocBars: 40, minStrength: 0.05, fastBars: 12 });
  });

  it('applies, in order, the template mapping, agent overrides, parameters.backtest, then the caller', () => {
    const s = strategy({
      signal_threshold: 0.05,
      position_size: 0.5,
      momentum: { minStrength: 0.3, fastBars: 8 },
      risk: { maxDrawdown: 0.1 },
      correlation: { lookbackBars: 30 },
      rebalanceBand: 0.1,
      exitOnTrendReversal: false,
      backtest: {
        initialCashMoney: 50_000,
        policy: 'weighted_average',
        costs: { slippageBps: 2 },
        warmupBars: 100,
        from: '2005-01-01',
        to: '2006-12-31',
      },
    });
    const plan = backtestPlanFor(s, { runId: 'r2', from: '2005-06-01', initialCashMoney: 10_000 });
    expect(plan.options).toEqual({
      runId: 'r2',
      barsPerYear: 252,
      initialCashMoney: 10_000, // the caller's, over parameters.backtest
      policy: 'weighted_average', // parameters.backtest, the caller giving none
      costs: { slippageBps: 2 },
      warmupBars: 100,
      from: '2005-06-01', // the caller's
      to: '2006-12-31', // parameters.backtest's
      strategy: {
        momentum: { rocBars: 30, minStrength: 0.3, fastBars: 8 }, // the override over the mapping
        risk: { lookbackBars: 90, maxPositionFraction: 0.5, barsPerYear: 252, maxDrawdown: 0.1 },
        correlation: { lookbackBars: 30 },
        rebalanceBand: 0.1,
        exitOnTrendReversal: false,
      },
    });
  });

  it('plans monthly bundled data with a short warm-up, and the caller’s own data as written', () => {
    const monthly = backtestPlanFor(strategy({}, ['msft', 'aapl', 'MSFT']), { runId: 'r' });
    expect(monthly.symbols).toEqual(['AAPL', 'MSFT']);
    expect(monthly.interval).toBe('1mo');
    expect(monthly.options).toMatchObject({ barsPerYear: 12, warmupBars: 18, maxGapDays: 45 });
    expect(monthly.compiled.strategy.risk?.barsPerYear).toBe(12);
    const own = backtestPlanFor(strategy({}, ['TSLA', 'SPX']), { runId: 'r', interval: '1wk' });
    expect(own.symbols).toEqual(['SPX', 'TSLA']);
    expect(own.options).toMatchObject({ barsPerYear: 52 });
    expect(own.options).not.toHaveProperty('warmupBars');
  });

  it.each([
    ['a symbol without bundled data', strategy({}, ['SPX', 'TSLA']), {}, 'symbols[1]'],
    ['daily and monthly mixed', strategy({}, ['SPX', 'AAPL']), {}, 'symbols'],
    ['from after to', strategy({}), { from: '2009-01-01', to: '2008-01-01' }, 'from'],
    [
      'a window from the file',
      strategy({ backtest: { from: '2009-01-01', to: '2008-01-01' } }),
      {},
      'parameters.backtest.from',
    ],
    [
      'a bad agent parameter',
      strategy({ momentum: { fastBars: 30, slowBars: 10 } }),
      {},
      'parameters.momentum.slowBars',
    ],
    ['agent parameters that are not an object', strategy({ risk: 3 }), {}, 'parameters.risk'],
    [
      'a bad run option',
      strategy({ backtest: { costs: { slippageBps: -1 } } }),
      {},
      'parameters.backtest.costs.slippageBps',
    ],
    ['run options that are not an object', strategy({ backtest: [1] }), {}, 'parameters.backtest'],
    [
      'agent parameters under parameters.backtest',
      strategy({ backtest: { strategy: {} } }),
      {},
      'parameters.backtest.strategy',
    ],
    ['a bad position parameter', strategy({ rebalanceBand: -1 }), {}, 'parameters.rebalanceBand'],
    ['bad cash from the caller', strategy({}), { initialCashMoney: -1 }, 'initialCashMoney'],
  ])('names the field for %s', (_what, s, overrides, field) => {
    expect(fieldOf(() => backtestPlanFor(s, { runId: 'r', ...overrides }))).toBe(field);
  });
});

describe('the API and the CLI plan one backtest for one strategy', () => {
  it('gives the same options for the example strategy file', () => {
    const s = loadStrategyFile(EXAMPLE);
    const window = { from: '2008-01-01', to: '2009-12-31' };
    const api = planBacktest(s, window, 'run-1');
    const cli = backtestPlanForFile(s, { ...window, runId: 'run-1' });
    expect(cli).toEqual(api);
    // The file's own run options reach both, and its lookback reaches the agents.
    expect(api.options).toMatchObject({
      initialCashMoney: 100000,
      allowShort: false,
      strategy: { momentum: { rocBars: 20, minStrength: 0.15, fastBars: 12 }, rebalanceBand: 0.25 },
    });
  });

  it('gives the same options for a template strategy on monthly data', () => {
    const s = strategyFromTemplate(
      'mean_reversion',
      { strategy_id: 'mr', name: 'MR', symbols: ['IBM'] },
      { lookback_period: 10 },
    );
    const api = planBacktest(s, { from: '2003-01-01', to: '2008-12-31' }, 'run-2');
    const cli = backtestPlanForFile(s, { from: '2003-01-01', to: '2008-12-31', runId: 'run-2' });
    expect(cli).toEqual(api);
    expect(api.interval).toBe('1mo');
  });

  it('names a bad field each in its own terms', () => {
    const s = strategy({ momentum: { fastBars: 30, slowBars: 10 } }, ['SPX', 'NOPE']);
    expect(fieldOf(() => planBacktest(s, {}, 'r'))).toBe('strategy.symbols[1]');
    expect(fieldOf(() => backtestPlanForFile(s, { from: '2008-01-01', to: '2008-12-31', runId: 'r' }))).toBe(
      'strategy.symbols[1]',
    );
    const slow = strategy({ momentum: { fastBars: 30, slowBars: 10 } });
    expect(fieldOf(() => planBacktest(slow, {}, 'r'))).toBe('strategy.parameters.momentum.slowBars');
    expect(
      fieldOf(() => backtestPlanForFile(slow, { from: '2008-01-01', to: '2008-12-31', runId: 'r' })),
    ).toBe('parameters.momentum.slowBars');
    const late = strategy({});
    expect(fieldOf(() => planBacktest(late, { from: '2009-01-01', to: '2008-01-01' }, 'r'))).toBe('from');
    expect(
      fieldOf(() => backtestPlanForFile(late, { from: '2009-01-01', to: '2008-01-01', runId: 'r' })),
    ).toBe('--from');
  });
});
