import { describe, expect, it } from 'vitest';
import {
  buyAndHoldCurve,
  computeMetrics,
  maxDrawdownOf,
  positionChange,
  type EquityPoint,
  type TradeRecord,
} from '../../../src/trading/sandbox/index.ts';

const DAY = 86_400_000;
const curve = (values: number[], gross: number[] = values.map(() => 0)): EquityPoint[] =>
  values.map((v, i) => ({
    timestampMs: i * DAY,
    cashMoney: v - (gross[i] ?? 0),
    positionsValueMoney: gross[i] ?? 0,
    equityMoney: v,
    grossExposureMoney: gross[i] ?? 0,
  }));
const fill = (side: 'buy' | 'sell', quantity: number, price: number, symbol = 'X'): TradeRecord => ({
  orderId: 'o',
  corrId: 'c',
  symbol,
  side,
  quantity,
  priceMoney: price,
  commissionMoney: 1,
  signalTimestampMs: 0,
  fillTimestampMs: DAY,
  intent: 'enter',
});

describe('metrics', () => {
  it('max drawdown with its peak and trough', () => {
    expect(maxDrawdownOf([100, 120, 90, 110, 60, 130])).toEqual({
      maxDrawdown: 0.5,
      peakIndex: 1,
      troughIndex: 4,
    });
    expect(maxDrawdownOf([1, 2, 3])).toEqual({ maxDrawdown: 0, peakIndex: null, troughIndex: null });
  });

  it('returns, volatility, Sharpe, Sortino and Calmar by hand', () => {
    const m = computeMetrics(curve([100, 110, 99, 108.9]), [], { barsPerYear: 252, riskFreeRateAnnual: 0 });
    const r = [0.1, -0.1, 0.1];
    const mean = 0.1 / 3;
    const sd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / 2);
    expect(m.totalReturn).toBeCloseTo(0.089, 12);
    expect(m.volatilityAnnual).toBeCloseTo(sd * Math.sqrt(252), 12);
    expect(m.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(252), 12);
    expect(m.sortino).toBeCloseTo((mean / Math.sqrt(0.01 / 3)) * Math.sqrt(252), 12);
    expect(m.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(m.maxDrawdownPeakMs).toBe(DAY);
    expect(m.maxDrawdownTroughMs).toBe(2 * DAY);
    const years = (3 * DAY) / (365.25 * DAY);
    expect(m.cagr).toBeCloseTo(1.089 ** (1 / years) - 1, 9);
    expect(m.calmar).toBeCloseTo((m.cagr ?? 0) / 0.1, 9);
    expect(m.exposureTime).toBe(0);
  });

  it('win rate, turnover and exposure from fills', () => {
    const trades = [
      fill('buy', 10, 100),
      fill('sell', 10, 110),
      fill('sell', 5, 50, 'Y'),
      fill('buy', 5, 60, 'Y'),
    ];
    const m = computeMetrics(curve([1000, 1000, 1000], [0, 500, 0]), trades, {
      barsPerYear: 252,
      riskFreeRateAnnual: 0,
    });
    expect(m.closedTrades).toBe(2);
    expect(m.winRate).toBe(0.5); // the long won 100 − 1, the short lost 50 + 1
    expect(m.exposureTime).toBeCloseTo(1 / 3, 12);
    expect(m.exposureMean).toBeCloseTo(0.5 / 3, 12);
    const years = (2 * DAY) / (365.25 * DAY);
    expect(m.turnoverAnnual).toBeCloseTo((1000 + 1100 + 250 + 300) / 1000 / years, 9);
  });

  it('an empty or flat curve gives nulls, not NaN', () => {
    const m = computeMetrics(curve([100, 100]), [], { barsPerYear: 252, riskFreeRateAnnual: 0 });
    expect(m.sharpe).toBeNull();
    expect(m.winRate).toBeNull();
    expect(computeMetrics([], [], { barsPerYear: 252, riskFreeRateAnnual: 0 }).totalReturn).toBeNull();
  });

  it('buy-and-hold splits the cash equally and follows the closes', () => {
    const closes = {
      A: new Map([
        [0, 10],
        [DAY, 20],
      ]),
      B: new Map([
        [DAY, 5],
        [2 * DAY, 10],
      ]),
    };
    const c = buyAndHoldCurve([0, DAY, 2 * DAY], closes, 1000);
    expect(c.map((p) => p.equityMoney)).toEqual([1000, 1500, 2000]);
  });
});

describe('decision → position change', () => {
  const rules = { rebalanceBand: 0.25, exitOnTrendReversal: true, allowShort: true };
  it('enters, reverses, resizes only outside the band, and holds', () => {
    expect(positionChange({ action: 'trade', direction: 'up', size: 10.7 }, 0, 'up', rules)).toEqual({
      deltaUnits: 10,
      intent: 'enter',
    });
    expect(positionChange({ action: 'trade', direction: 'down', size: 10 }, 10, 'down', rules)).toEqual({
      deltaUnits: -20,
      intent: 'reverse',
    });
    expect(positionChange({ action: 'trade', direction: 'up', size: 12 }, 10, 'up', rules)).toEqual({
      deltaUnits: 0,
      intent: 'hold',
    });
    expect(positionChange({ action: 'trade', direction: 'up', size: 20 }, 10, 'up', rules)).toEqual({
      deltaUnits: 10,
      intent: 'resize',
    });
    expect(
      positionChange({ action: 'trade', direction: 'down', size: 5 }, 0, 'down', {
        ...rules,
        allowShort: false,
      }),
    ).toEqual({ deltaUnits: 0, intent: 'hold' });
  });
  it('exits on a block or a reversed trend, holds through a monitor', () => {
    expect(positionChange({ action: 'no_trade' }, -7, 'down', rules)).toEqual({
      deltaUnits: 7,
      intent: 'exit_blocked',
    });
    expect(positionChange({ action: 'monitor' }, 7, 'down', rules)).toEqual({
      deltaUnits: -7,
      intent: 'exit_reversal',
    });
    expect(positionChange({ action: 'monitor' }, 7, 'neutral', rules)).toEqual({
      deltaUnits: 0,
      intent: 'hold',
    });
    expect(
      positionChange({ action: 'monitor' }, 7, 'down', { ...rules, exitOnTrendReversal: false }).intent,
    ).toBe('hold');
  });
});
