import { describe, expect, it } from 'vitest';
import {
  decisionsCsv,
  equityCsv,
  resultJson,
  runBacktest,
  tradesCsv,
  type BacktestOptions,
} from '../../../src/trading/sandbox/index.ts';
import { CONCLAVE_VERSION } from '../../../src/core/version.ts';
import { FAST_STRATEGY, syntheticBars } from './fixtures.ts';

const OPTIONS: BacktestOptions = { runId: 'det', seed: 99, warmupBars: 0, strategy: FAST_STRATEGY };

describe('reproducibility', () => {
  it('the same inputs give byte-identical JSON and CSV exports', async () => {
    const bars = await syntheticBars(21, ['AAA', 'BBB'], 250);
    const a = await runBacktest({ bars }, OPTIONS);
    const b = await runBacktest({ bars: structuredClone(bars) }, OPTIONS);
    expect(a.trades.length).toBeGreaterThan(0); // there is something to differ in
    expect(resultJson(b)).toBe(resultJson(a));
    expect(equityCsv(b.equity)).toBe(equityCsv(a.equity));
    expect(tradesCsv(b.trades)).toBe(tradesCsv(a.trades));
    expect(decisionsCsv(b.decisions)).toBe(decisionsCsv(a.decisions));
    expect(a.manifest).toMatchObject({
      seed: 99,
      runId: 'det',
      codeVersion: CONCLAVE_VERSION,
      symbols: ['AAA', 'BBB'],
    });
  }, 60_000);

  it('the manifest hashes change with the data and with the config', async () => {
    const bars = await syntheticBars(22, ['AAA'], 120);
    const base = await runBacktest({ bars }, OPTIONS);
    const moved = bars['AAA']!.map((bar, i) => (i === 60 ? { ...bar, volume: bar.volume + 1 } : bar));
    const otherData = await runBacktest({ bars: { AAA: moved } }, OPTIONS);
    const otherConfig = await runBacktest({ bars }, { ...OPTIONS, costs: { slippageBps: 6 } });
    expect(otherData.manifest.dataHash).not.toBe(base.manifest.dataHash);
    expect(otherData.manifest.configHash).toBe(base.manifest.configHash);
    expect(otherConfig.manifest.configHash).not.toBe(base.manifest.configHash);
    expect(otherConfig.manifest.dataHash).toBe(base.manifest.dataHash);
  }, 60_000);

  it('CSV exports have a header and one row per record', async () => {
    const bars = await syntheticBars(23, ['AAA'], 100);
    const r = await runBacktest({ bars }, OPTIONS);
    const lines = equityCsv(r.equity).trimEnd().split('\n');
    expect(lines[0]).toBe('time,cash_money,positions_value_money,equity_money,gross_exposure_money');
    expect(lines).toHaveLength(r.equity.length + 1);
    expect(decisionsCsv(r.decisions).trimEnd().split('\n')).toHaveLength(r.decisions.length + 1);
    expect(tradesCsv(r.trades).trimEnd().split('\n')).toHaveLength(r.trades.length + 1);
    expect(JSON.parse(resultJson(r))).toHaveProperty('manifest.dataHash', r.manifest.dataHash);
  }, 60_000);
});
