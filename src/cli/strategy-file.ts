import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isConclaveError, ValidationError } from '../core/errors.ts';
import { parseStrategy, type TradingStrategy } from '../trading/index.ts';
import {
  compileBacktestOptions,
  strategyParamsSchema,
  type BacktestOptions,
  type CompiledBacktestOptions,
} from '../trading/sandbox/index.ts';
import { CliFailure, EXIT } from './failure.ts';

/** The `parameters` keys that tune the sandbox's agents and position sizing. */
const AGENT_KEYS = Object.keys(strategyParamsSchema.shape);

/**
 * Reads a strategy file (JSON, or YAML for `.yaml`/`.yml`) and validates it with the strategy
 * schema.
 * @throws CliFailure (exit 2) for a missing or unreadable file; ValidationError naming the field
 * (`strategy.symbols`) for a strategy the schema refuses.
 */
export function loadStrategyFile(path: string): TradingStrategy {
  if (!existsSync(path)) {
    throw new CliFailure('NOT_FOUND', `--strategy: ${path} does not exist`, EXIT.usage, { path });
  }
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new CliFailure(
      'VALIDATION_FAILED',
      `--strategy: ${path} is not valid JSON or YAML: ${why}`,
      EXIT.usage,
    );
  }
  try {
    return parseStrategy(raw);
  } catch (err) {
    if (isConclaveError(err, 'VALIDATION_FAILED'))
      throw new CliFailure('VALIDATION_FAILED', `${path}: ${err.message}`, EXIT.usage, err.details);
    throw err;
  }
}

/**
 * The backtest options a strategy asks for: `parameters.momentum|risk|correlation|rebalanceBand|
 * exitOnTrendReversal` tune the agents, `parameters.backtest` sets the run (initialCashMoney,
 * costs, policy, allowShort, maxGrossLeverage, warmupBars, seed), `from`/`to` bound it.
 * @remarks Other `parameters` (a template's `signal_threshold`, …) are for the live planner and are
 * ignored here. Validation errors are renamed to the file's fields (`parameters.momentum.slowBars`).
 * @throws CliFailure (exit 2) naming the field.
 */
export function backtestOptionsFor(
  strategy: TradingStrategy,
  window: { from: string; to: string; runId: string; barsPerYear: number },
): { input: BacktestOptions; compiled: CompiledBacktestOptions } {
  const p = strategy.parameters;
  const agents = Object.fromEntries(AGENT_KEYS.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));
  const run = p['backtest'] ?? {};
  if (typeof run !== 'object' || run === null || Array.isArray(run)) {
    throw new CliFailure(
      'VALIDATION_FAILED',
      'parameters.backtest: must be a mapping of backtest options',
      EXIT.usage,
    );
  }
  const input = {
    barsPerYear: window.barsPerYear,
    ...(run as Record<string, unknown>),
    runId: window.runId,
    from: window.from,
    to: window.to,
    strategy: agents,
  } as BacktestOptions;
  try {
    return { input, compiled: compileBacktestOptions(input) };
  } catch (err) {
    if (err instanceof ValidationError) {
      const rename = (text: string): string =>
        text
          .replace(/\boptions\.strategy\./g, 'parameters.')
          .replace(/\boptions\.(from|to)\b/g, '--$1')
          .replace(/\boptions\./g, 'parameters.backtest.');
      throw new CliFailure('VALIDATION_FAILED', rename(err.message), EXIT.usage, {
        field: rename(err.field),
      });
    }
    throw err;
  }
}
