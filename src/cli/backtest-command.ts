import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isConclaveError } from '../core/errors.ts';
import {
  CsvSource,
  VegaDatasetsSource,
  type Bar,
  type BarInterval,
  type MarketDataSource,
} from '../trading/index.ts';
import {
  canonicalJson,
  decisionsCsv,
  equityCsv,
  resultJson,
  runBacktest,
  tradesCsv,
  type BacktestResult,
} from '../trading/sandbox/index.ts';
import { summaryTable, summaryJson } from './backtest-report.ts';
import { CliFailure, EXIT } from './failure.ts';
import { processOutput, ProgressReporter, type CliOutput } from './output.ts';
import { backtestPlanForFile, loadStrategyFile } from './strategy-file.ts';

/** `backtest`'s flags. */
export interface BacktestFlags {
  strategy: string;
  from: string;
  to: string;
  /** Output directory; default `./backtests/<run id>`. */
  out?: string;
  /** A directory of `<SYMBOL>.csv` files to read instead of the bundled vega-datasets data. */
  dataDir?: string;
  /** The bar interval of `--data-dir`'s files (default 1d). */
  interval?: BarInterval;
  json?: boolean;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `conclave backtest --strategy <file> --from <date> --to <date>`: runs the sandbox locally (no
 * server) on the bundled real data, or on `--data-dir` CSV files, with a progress bar on a
 * terminal; prints the summary table and writes equity, trades and decisions as CSV, the whole
 * result as JSON and the run manifest into the output directory.
 * @throws CliFailure (exit 2) naming the field for a bad file, flag or strategy.
 */
export async function runBacktestCommand(
  flags: BacktestFlags,
  output: CliOutput = processOutput(),
): Promise<void> {
  for (const flag of ['from', 'to'] as const) {
    if (!DATE.test(flags[flag]) || Number.isNaN(Date.parse(flags[flag])))
      throw new CliFailure(
        'VALIDATION_FAILED',
        `--${flag}: must be a date YYYY-MM-DD (got '${flags[flag]}')`,
        EXIT.usage,
      );
  }
  const strategy = loadStrategyFile(flags.strategy);
  const runId = `${strategy.strategy_id.slice(0, 40)}-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  const own = flags.dataDir === undefined ? undefined : (flags.interval ?? '1d');
  const plan = backtestPlanForFile(strategy, {
    from: flags.from,
    to: flags.to,
    runId,
    ...(own === undefined ? {} : { interval: own }),
  });
  const { interval, compiled } = plan;
  const source =
    flags.dataDir === undefined
      ? new VegaDatasetsSource()
      : new CsvSource({ directory: flags.dataDir, interval });
  const bars: Record<string, readonly Bar[]> = {};
  for (const symbol of plan.symbols) bars[symbol] = await fetchSymbol(source, symbol, interval);
  const times = new Set<number>();
  for (const series of Object.values(bars))
    for (const b of series)
      if (b.timestamp >= (compiled.fromMs ?? -Infinity) && b.timestamp <= (compiled.toMs ?? Infinity))
        times.add(b.timestamp);
  const total = Math.max(1, times.size);
  const reporter = new ProgressReporter(output);
  let done = 0;
  if (flags.json !== true)
    output.out(
      `backtest ${runId}: ${strategy.name} on ${plan.symbols.join(', ')} (${source.name}, ${interval})`,
    );
  let result: BacktestResult;
  try {
    result = await runBacktest({ interval, bars }, plan.options, {
      onStep: (point) => {
        done++;
        if (flags.json !== true)
          reporter.update(done / total, new Date(point.timestampMs).toISOString().slice(0, 10));
      },
    });
  } catch (err) {
    if (isConclaveError(err, 'VALIDATION_FAILED'))
      throw new CliFailure('VALIDATION_FAILED', err.message, EXIT.usage);
    throw err;
  } finally {
    reporter.finish();
  }
  const outDir = resolve(flags.out ?? join('backtests', runId));
  writeResult(outDir, result);
  output.out(
    flags.json === true
      ? JSON.stringify(summaryJson(result, outDir), null, 2)
      : `${summaryTable(result)}\n\nwritten to ${outDir}`,
  );
}

async function fetchSymbol(
  source: MarketDataSource,
  symbol: string,
  interval: BarInterval,
): Promise<readonly Bar[]> {
  try {
    return (await source.fetchBars({ symbol, interval })).bars;
  } catch (err) {
    if (isConclaveError(err, 'NOT_FOUND') || isConclaveError(err, 'VALIDATION_FAILED'))
      throw new CliFailure('VALIDATION_FAILED', `strategy.symbols: ${err.message}`, EXIT.usage, { symbol });
    throw err;
  }
}

/** Writes the run's files: equity/trades/decisions CSV, the full result JSON, the manifest. */
function writeResult(dir: string, result: BacktestResult): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'equity.csv'), equityCsv(result.equity));
  writeFileSync(join(dir, 'trades.csv'), tradesCsv(result.trades));
  writeFileSync(join(dir, 'decisions.csv'), decisionsCsv(result.decisions));
  writeFileSync(join(dir, 'result.json'), resultJson(result));
  writeFileSync(join(dir, 'manifest.json'), canonicalJson(result.manifest, 2) + '\n');
}
