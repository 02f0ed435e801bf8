import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStrategyFile } from '../../src/cli/strategy-file.ts';
import { cli } from './cli-harness.ts';
import { REPO_ROOT, runCliProcess } from './spawn-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'conclave-backtest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EXAMPLE = join(REPO_ROOT, 'examples/strategy-momentum.yaml');

function strategy(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('conclave backtest', () => {
  it('runs the example strategy on the bundled S&P 500 data, prints the summary and writes the files', async () => {
    const out = join(dir, 'run1');
    const res = await cli(
      'backtest',
      '--strategy',
      EXAMPLE,
      '--from',
      '2008-01-01',
      '--to',
      '2009-12-31',
      '--out',
      out,
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^backtest spx-momentum-\d{8}T\d{6}: S&P 500 momentum on SPX \(vega, 1d\)/);
    expect(res.stdout).toContain('100% 2009-12-31');
    for (const metric of [
      'total return',
      'CAGR',
      'Sharpe',
      'Sortino',
      'Calmar',
      'win rate',
      'excess return vs buy-and-hold',
    ])
      expect(res.stdout).toContain(metric);
    // Buy-and-hold fell from the October 2008 high... the window starts in 2008, so its peak is in it.
    expect(res.stdout).toMatch(
      /max drawdown\s+-\d+\.\d\d% \(\d{4}-\d\d-\d\d → \d{4}-\d\d-\d\d\)\s+-\d+\.\d\d% \(2008-/,
    );
    expect(res.stdout).toContain(`written to ${out}`);
    for (const f of ['equity.csv', 'trades.csv', 'decisions.csv', 'result.json', 'manifest.json'])
      expect(existsSync(join(out, f))).toBe(true);
    const equity = readFileSync(join(out, 'equity.csv'), 'utf8').split('\n');
    expect(equity[0]).toBe('time,cash_money,positions_value_money,equity_money,gross_exposure_money');
    expect(equity[1]).toMatch(/^2008-01-02T/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      symbols: string[];
      interval: string;
    };
    expect(manifest).toMatchObject({ symbols: ['SPX'], interval: '1d' });
  });

  it('prints the summary as JSON with --json', async () => {
    const out = join(dir, 'run-json');
    const res = await cli(
      '--json',
      'backtest',
      '-s',
      EXAMPLE,
      '--from',
      '2010-01-01',
      '--to',
      '2010-12-31',
      '-o',
      out,
    );
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout) as {
      out_dir: string;
      metrics: { totalReturn: number };
      benchmark: { totalReturn: number };
    };
    expect(body.out_dir).toBe(out);
    expect(typeof body.metrics.totalReturn).toBe('number');
    expect(body.benchmark.totalReturn).toBeGreaterThan(0); // the S&P 500 rose in 2010
  });

  it('exits 2 naming the strategy field the schema refuses', async () => {
    const bad = strategy('empty.yaml', 'strategy_id: x\nname: y\nsymbols: []\n');
    const res = await cli('backtest', '--strategy', bad, '--from', '2008-01-01', '--to', '2008-12-31');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${bad}: strategy.symbols:`);
  });

  it('exits 2 naming an agent parameter by its place in the file', async () => {
    const bad = strategy(
      'slow.yaml',
      'strategy_id: x\nname: y\nsymbols: [SPX]\nparameters:\n  momentum: {fastBars: 30, slowBars: 20}\n',
    );
    const res = await cli('backtest', '--strategy', bad, '--from', '2008-01-01', '--to', '2008-12-31');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('parameters.momentum.slowBars: must be greater than fastBars');
  });

  it('exits 2 naming a bad run option under parameters.backtest', async () => {
    const bad = strategy(
      'cash.yaml',
      'strategy_id: x\nname: y\nsymbols: [SPX]\nparameters:\n  backtest: {initialCashMoney: -5}\n',
    );
    const res = await cli('backtest', '--strategy', bad, '--from', '2008-01-01', '--to', '2008-12-31');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('parameters.backtest.initialCashMoney');
  });

  it('exits 2 for a symbol the bundled data does not hold, listing those it does', async () => {
    const bad = strategy('tsla.yaml', 'strategy_id: x\nname: y\nsymbols: [TSLA]\n');
    const res = await cli('backtest', '--strategy', bad, '--from', '2008-01-01', '--to', '2008-12-31');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      "strategy.symbols[0]: no bundled data for 'TSLA'; the bundled data covers SPX",
    );
    expect(res.stderr).toContain(
      'AAPL, AMZN, GOOG, IBM, MSFT (monthly, 2000 to 2010); or give CSV files with --data-dir',
    );
  });

  it('exits 2 for daily and monthly symbols mixed', async () => {
    const bad = strategy('mixed.yaml', 'strategy_id: x\nname: y\nsymbols: [SPX, AAPL]\n');
    const res = await cli('backtest', '--strategy', bad, '--from', '2008-01-01', '--to', '2008-12-31');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('strategy.symbols: mixes daily and monthly series');
  });

  it.each([
    [
      ['--strategy', join(dir, 'absent.yaml'), '--from', '2008-01-01', '--to', '2008-12-31'],
      'absent.yaml does not exist',
    ],
    [
      ['--strategy', EXAMPLE, '--from', '2008-13-01', '--to', '2008-12-31'],
      "--from: must be a date YYYY-MM-DD (got '2008-13-01')",
    ],
    [['--strategy', EXAMPLE, '--from', '2009-01-01', '--to', '2008-12-31'], '--from: must not be after to'],
    [['--strategy', EXAMPLE, '--to', '2008-12-31'], "required option '--from <date>' not specified"],
  ])('exits 2 for bad flags %j', async (flags, message) => {
    const res = await cli('backtest', ...flags);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
  });

  it('exits 2 for a file that is not YAML', async () => {
    const bad = strategy('broken.json', '{"strategy_id": ');
    const res = await cli('backtest', '--strategy', bad, '--from', '2008-01-01', '--to', '2008-12-31');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`--strategy: ${bad} is not valid JSON or YAML`);
  });

  it('runs as a process through the launcher, writing to ./backtests/<run id> by default', async () => {
    const res = await runCliProcess(
      ['backtest', '--strategy', EXAMPLE, '--from', '2011-01-01', '--to', '2011-06-30'],
      {
        cwd: dir,
        bin: true,
      },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const written = /written to (\S+)/.exec(res.stdout)?.[1];
    expect(written).toMatch(new RegExp(`^${dir}/backtests/spx-momentum-\\d{8}T\\d{6}$`));
    expect(existsSync(join(written!, 'trades.csv'))).toBe(true);
  });
});

describe('examples/strategy-momentum.yaml', () => {
  it('is a valid strategy', () => {
    expect(loadStrategyFile(EXAMPLE)).toMatchObject({ strategy_id: 'spx-momentum', symbols: ['SPX'] });
  });
});
