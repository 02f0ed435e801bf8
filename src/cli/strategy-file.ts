import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isConclaveError, ValidationError } from '../core/errors.ts';
import {
  backtestPlanFor,
  parseStrategy,
  type BacktestPlan,
  type BarInterval,
  type TradingStrategy,
} from '../trading/index.ts';
import { CliFailure, EXIT } from './failure.ts';

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
 * The backtest a strategy file asks for, through {@link backtestPlanFor} (the mapping POST /backtest
 * uses too), with the flags' window as overrides; `interval` when the data is the caller's own
 * (`--data-dir`), else the bundled data's.
 * @remarks Validation errors are renamed to the file's fields (`parameters.momentum.slowBars`,
 * `strategy.symbols[0]`) and the flags (`--from`).
 * @throws CliFailure (exit 2) naming the field.
 */
export function backtestPlanForFile(
  strategy: TradingStrategy,
  window: { from: string; to: string; runId: string; interval?: BarInterval },
): BacktestPlan {
  try {
    return backtestPlanFor(strategy, window);
  } catch (err) {
    if (err instanceof ValidationError) {
      const field = flagField(err.field);
      const hint = field.startsWith('strategy.symbols') ? '; or give CSV files with --data-dir' : '';
      throw new CliFailure(
        'VALIDATION_FAILED',
        `${field}: ${err.message.slice(err.field.length + 2)}${hint}`,
        EXIT.usage,
        { field },
      );
    }
    throw err;
  }
}

/** Where a planner field is on the command line (`from` → `--from`, `symbols` → `strategy.symbols`). */
function flagField(field: string): string {
  if (field === 'from' || field === 'to') return `--${field}`;
  if (field.startsWith('symbols')) return `strategy.${field}`;
  return field;
}
