import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.ts';
import type { Bar } from '../../../src/trading/market-data/index.ts';
import { compileBacktestOptions, runBacktest, runTestScenario } from '../../../src/trading/sandbox/index.ts';
import type { BacktestOptions } from '../../../src/trading/sandbox/index.ts';
import { syntheticBars } from './fixtures.ts';

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).field;
  }
  throw new ValidationError('test', 'expected a ValidationError');
}

async function rejectionOf(run: Promise<unknown>): Promise<ValidationError> {
  const err: unknown = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

describe('bad strategy parameters are rejected, naming the parameter', () => {
  const cases: [string, BacktestOptions, string][] = [
    [
      'slow period not above fast',
      { strategy: { momentum: { fastBars: 30, slowBars: 20 } } },
      'options.strategy.momentum.slowBars',
    ],
    [
      'drawdown limit above 100%',
      { strategy: { risk: { maxDrawdown: 2 } } },
      'options.strategy.risk.maxDrawdown',
    ],
    ['negative rebalance band', { strategy: { rebalanceBand: -1 } }, 'options.strategy.rebalanceBand'],
    ['unknown policy', { policy: 'vibes' as 'rule_based' }, 'options.policy'],
    ['no cash', { initialCashMoney: 0 }, 'options.initialCashMoney'],
    ['negative slippage', { costs: { slippageBps: -1 } }, 'options.costs.slippageBps'],
    ['from after to', { from: '2010-01-01', to: '2009-01-01' }, 'options.from'],
    ['unparseable date', { to: 'someday' }, 'options.to'],
  ];
  for (const [what, options, field] of cases) {
    it(what, () => {
      expect(fieldOf(() => compileBacktestOptions(options))).toBe(field);
    });
  }

  it('runBacktest rejects before touching the data', async () => {
    const err = await rejectionOf(
      runBacktest({ bars: { X: [] } }, { strategy: { momentum: { rsiBars: 1 } } }),
    );
    expect(err.field).toBe('options.strategy.momentum.rsiBars');
    expect(err.message).toMatch(/rsiBars/);
  });

  it('runTestScenario names an unknown scenario and a missing speed', async () => {
    expect(
      (await rejectionOf(runTestScenario({ mode: 'stress_test', scenario: 'meteor' as 'covid_2020' }))).field,
    ).toBe('scenario.scenario');
    expect(
      (
        await rejectionOf(
          runTestScenario({ mode: 'paper', symbols: ['SPX'] } as unknown as Parameters<
            typeof runTestScenario
          >[0]),
        )
      ).field,
    ).toBe('scenario.barsPerSecond');
  });
});

describe('bad data is rejected with the symbol, row and reason, never repaired', () => {
  const corrupt = async (edit: (bars: Bar[]) => unknown[]): Promise<ValidationError> => {
    const bars = (await syntheticBars(5, ['BAD'], 80))['BAD']!;
    return rejectionOf(runBacktest({ bars: { BAD: edit(bars) as Bar[] } }));
  };

  it('high below low', async () => {
    const err = await corrupt((b) => b.map((bar, i) => (i === 30 ? { ...bar, high: bar.low * 0.9 } : bar)));
    expect(err.field).toBe('bars.BAD[30]');
    expect(err.message).toMatch(/high_below_low/);
  });

  it('a NaN close', async () => {
    const err = await corrupt((b) => b.map((bar, i) => (i === 12 ? { ...bar, close: Number.NaN } : bar)));
    expect(err.field).toBe('bars.BAD[12]');
    expect(err.message).toMatch(/nan/);
  });

  it('out-of-order timestamps', async () => {
    const err = await corrupt((b) => {
      const copy: Bar[] = [...b];
      [copy[40], copy[41]] = [copy[41]!, copy[40]!];
      return copy;
    });
    expect(err.field).toMatch(/^bars\.BAD\[4[01]\]$/);
    expect(err.message).toMatch(/out_of_order/);
  });

  it('a non-positive price', async () => {
    const err = await corrupt((b) => b.map((bar, i) => (i === 7 ? { ...bar, open: 0 } : bar)));
    expect(err.field).toBe('bars.BAD[7]');
  });

  it('no symbols, or no bar in the window', async () => {
    expect((await rejectionOf(runBacktest({ bars: {} }))).field).toBe('bars');
    const bars = await syntheticBars(5, ['OK'], 50);
    expect((await rejectionOf(runBacktest({ bars }, { from: '2030-01-01' }))).field).toBe('bars');
  });
});
