/**
 * Exports a backtest's equity curve, trades and decisions as CSV and as JSON, byte-for-byte
 * reproducible.
 */
import { canonicalJson } from './manifest.ts';
import type { BacktestResult } from './backtest.ts';
import type { DecisionRecord, EquityPoint, TradeRecord } from './records.ts';

/** A CSV cell: numbers in shortest round-trip form, times as ISO-8601, text quoted when needed. */
function cell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function csv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

/** The equity curve as CSV: one row per bar time. */
export function equityCsv(curve: readonly EquityPoint[]): string {
  return csv(
    ['time', 'cash_money', 'positions_value_money', 'equity_money', 'gross_exposure_money'],
    curve.map((p) => [
      iso(p.timestampMs),
      p.cashMoney,
      p.positionsValueMoney,
      p.equityMoney,
      p.grossExposureMoney,
    ]),
  );
}

/** The fills as CSV, in fill order. */
export function tradesCsv(trades: readonly TradeRecord[]): string {
  return csv(
    [
      'fill_time',
      'signal_time',
      'symbol',
      'side',
      'quantity',
      'price_money',
      'commission_money',
      'intent',
      'order_id',
      'corr_id',
    ],
    trades.map((t) => [
      iso(t.fillTimestampMs),
      Number.isFinite(t.signalTimestampMs) ? iso(t.signalTimestampMs) : null,
      t.symbol,
      t.side,
      t.quantity,
      t.priceMoney,
      t.commissionMoney,
      t.intent,
      t.orderId,
      t.corrId,
    ]),
  );
}

/** The decisions as CSV, one row per symbol and bar. */
export function decisionsCsv(decisions: readonly DecisionRecord[]): string {
  return csv(
    [
      'time',
      'symbol',
      'action',
      'direction',
      'size',
      'confidence',
      'reason',
      'route',
      'order_units',
      'intent',
      'rejected',
      'corr_id',
    ],
    decisions.map((d) => [
      iso(d.timestampMs),
      d.symbol,
      d.action,
      d.direction,
      d.size,
      d.confidence,
      d.reason,
      d.route,
      d.orderUnits,
      d.intent,
      d.rejected,
      d.corrId,
    ]),
  );
}

/**
 * The whole result as canonical JSON (sorted keys, two-space indent): manifest, options, metrics,
 * benchmark, equity curve, trades, decisions, counters.
 * @remarks Nothing in it depends on the wall clock or on random ids, so the same inputs give the
 * same bytes; that is what the determinism test compares.
 */
export function resultJson(result: BacktestResult): string {
  return canonicalJson(result, 2) + '\n';
}
