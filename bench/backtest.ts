/**
 * backtest: the full agent + coordinator backtest (momentum and risk trackers → enriched signals →
 * SignalCoordinator with the rule policy, routing rules, bus fan-out and audit → paper broker)
 * over 100 synthetic symbols × 10 years of daily bars. Baseline in the same run: a bare loop that
 * feeds the same trackers the same bars and asks them for the same analyses, with no signals,
 * coordinator or broker; and that loop plus the enriched-signal wrapping (the part of the
 * orchestration before the coordinator). Where the full stack's time goes:
 * `node --cpu-prof --expose-gc --import tsx bench/run.ts backtest`.
 */
import { MomentumTracker, RiskTracker, toEnrichedSignal } from '../src/trading/agents/index.ts';
import type { Bar } from '../src/trading/market-data/index.ts';
import { SyntheticSource } from '../src/trading/market-data/index.ts';
import { runBacktest } from '../src/trading/sandbox/index.ts';
import { gc, printTable, round } from './support.ts';

const SYMBOLS = 100;
const BARS_PER_SYMBOL = 2520;
const WARMUP_SYMBOLS = 10;
const WARMUP_BARS = 1000;
const TARGET_BARS_PER_S = 25_000;

async function loadBars(symbols: number, bars: number): Promise<Record<string, Bar[]>> {
  const source = new SyntheticSource({ seed: 42, barCount: bars });
  const out: Record<string, Bar[]> = {};
  for (let i = 0; i < symbols; i++) {
    const symbol = `SYM${String(i).padStart(3, '0')}`;
    out[symbol] = [...(await source.fetchBars({ symbol, interval: '1d' })).bars];
  }
  return out;
}

/** The baseline: the same indicators and assessments per bar, nothing else. */
function bareLoop(data: Record<string, Bar[]>): { bars: number; checksum: number } {
  let bars = 0;
  let checksum = 0;
  for (const series of Object.values(data)) {
    const momentum = new MomentumTracker();
    const risk = new RiskTracker();
    for (const bar of series) {
      momentum.update(bar);
      risk.update(bar);
      const m = momentum.analysis();
      const r = risk.assess({ equity: 100_000, peakEquity: 100_000, positionUnits: 0 });
      checksum += m.confidence + r.overall_score;
      bars++;
    }
  }
  return { bars, checksum };
}

/**
 * The bare loop plus the enriched-signal wrapping (validated with the coordinator's schema) the
 * full stack does per bar: what orchestration costs before the coordinator itself.
 */
function signalLoop(data: Record<string, Bar[]>): { bars: number } {
  let bars = 0;
  for (const [symbol, series] of Object.entries(data)) {
    const momentum = new MomentumTracker();
    const risk = new RiskTracker();
    for (const bar of series) {
      momentum.update(bar);
      risk.update(bar);
      const iso = new Date(bar.timestamp).toISOString();
      const source = {
        corr_id: `bare:${symbol}:${bar.timestamp}`,
        instrument: symbol,
        timestamp: iso,
        source: 'backtest',
        signal_type: 'bar_close',
        payload: { close: bar.close, volume: bar.volume },
      };
      toEnrichedSignal('momentum', '1.0.0', momentum.analysis(), source, iso);
      const r = risk.assess({ equity: 100_000, peakEquity: 100_000, positionUnits: 0 });
      toEnrichedSignal('risk', '1.0.0', r, source, iso);
      bars++;
    }
  }
  return { bars };
}

async function fullStack(
  data: Record<string, Bar[]>,
): Promise<{ bars: number; decisions: number; trades: number }> {
  const result = await runBacktest({ bars: data }, { runId: 'bench', warmupBars: 0 });
  return { bars: result.stats.bars, decisions: result.stats.decisions, trades: result.trades.length };
}

/** Runs the benchmark; prints tables, then one JSON line. */
export async function main(): Promise<void> {
  const warm = await loadBars(WARMUP_SYMBOLS, WARMUP_BARS);
  bareLoop(warm);
  signalLoop(warm);
  await fullStack(warm);
  const data = await loadBars(SYMBOLS, BARS_PER_SYMBOL);

  await gc();
  let started = performance.now();
  const bare = bareLoop(data);
  const bareS = (performance.now() - started) / 1000;

  await gc();
  started = performance.now();
  const signalled = signalLoop(data);
  const signalS = (performance.now() - started) / 1000;

  await gc();
  started = performance.now();
  const full = await fullStack(data);
  const fullS = (performance.now() - started) / 1000;

  const bareRate = bare.bars / bareS;
  const fullRate = full.bars / fullS;
  printTable(`backtest: ${SYMBOLS} synthetic symbols × ${BARS_PER_SYMBOL} daily bars`, [
    { run: 'bare indicator loop', bars: bare.bars, seconds: round(bareS, 3), 'bars/s': round(bareRate) },
    {
      run: 'bare loop + enriched signals',
      bars: signalled.bars,
      seconds: round(signalS, 3),
      'bars/s': round(signalled.bars / signalS),
    },
    {
      run: 'agents + coordinator + broker',
      bars: full.bars,
      seconds: round(fullS, 3),
      'bars/s': round(fullRate),
    },
  ]);
  console.log(
    `full stack: ${full.decisions} decisions, ${full.trades} fills; ` +
      `orchestration costs ${round(bareRate / fullRate, 1)}× the bare loop`,
  );
  console.log(
    JSON.stringify({
      bench: 'backtest',
      symbols: SYMBOLS,
      bars: full.bars,
      full_bars_per_s: round(fullRate),
      bare_bars_per_s: round(bareRate),
      signals_only_bars_per_s: round(signalled.bars / signalS),
      full_over_bare: round(fullRate / bareRate, 4),
      full_seconds: round(fullS, 3),
      target_bars_per_s: TARGET_BARS_PER_S,
    }),
  );
}
