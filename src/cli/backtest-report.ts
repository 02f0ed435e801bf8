import type { BacktestResult, PerformanceMetrics } from '../trading/sandbox/index.ts';
import { day, percent, ratio, table } from './output.ts';

/** The files `conclave backtest` writes into its output directory. */
export const BACKTEST_FILES = [
  'equity.csv',
  'trades.csv',
  'decisions.csv',
  'result.json',
  'manifest.json',
] as const;

function drawdown(m: PerformanceMetrics): string {
  return `${percent(-m.maxDrawdown)} (${day(m.maxDrawdownPeakMs)} → ${day(m.maxDrawdownTroughMs)})`;
}

/** The summary table: the strategy's figures beside buy-and-hold's over the same bars. */
export function summaryTable(result: BacktestResult): string {
  const s = result.metrics;
  const b = result.benchmark;
  const rows: [string, string, string][] = [
    ['period', `${day(s.startMs)} → ${day(s.endMs)}`, ''],
    ['total return', percent(s.totalReturn), percent(b.totalReturn)],
    ['CAGR', percent(s.cagr), percent(b.cagr)],
    ['Sharpe', ratio(s.sharpe), ratio(b.sharpe)],
    ['Sortino', ratio(s.sortino), ratio(b.sortino)],
    ['max drawdown', drawdown(s), drawdown(b)],
    ['Calmar', ratio(s.calmar), ratio(b.calmar)],
    ['win rate', `${percent(s.winRate)} of ${s.closedTrades} closing fill(s)`, ''],
    ['fills', String(result.trades.length), ''],
    ['excess return vs buy-and-hold', excess(s.totalReturn, b.totalReturn), ''],
  ];
  return table(['metric', 'strategy', 'buy & hold'], rows);
}

function excess(strategy: number | null, benchmark: number | null): string {
  return strategy === null || benchmark === null ? 'n/a' : percent(strategy - benchmark);
}

/** The summary as `--json` prints it. */
export function summaryJson(result: BacktestResult, outDir: string): Record<string, unknown> {
  return {
    run_id: result.manifest.runId,
    out_dir: outDir,
    files: [...BACKTEST_FILES],
    metrics: result.metrics,
    benchmark: result.benchmark,
    stats: result.stats,
  };
}
