/**
 * Trading strategies (the FinAgent document's `TradingStrategy`) and strategy templates whose
 * parameters carry a schema: type, default, min, max.
 */
import { z } from 'zod';
import { parseWith } from '../../coordination/index.ts';
import { ValidationError } from '../../core/errors.ts';

/** A strategy as the planner takes it. */
export const tradingStrategySchema = z.strictObject({
  strategy_id: z.string().regex(/^[a-z0-9_.-]{1,64}$/i, { error: 'must be 1–64 of a-z 0-9 _ . -' }),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).default(''),
  symbols: z.array(z.string().trim().min(1).max(32)).min(1).max(100),
  lookback_period: z.number().int().min(5).max(1000).default(20),
  rebalance_frequency: z.enum(['daily', 'weekly', 'monthly']).default('daily'),
  parameters: z.record(z.string(), z.unknown()).default({}),
});
/** A strategy as written (defaults optional). */
export type TradingStrategyInput = z.input<typeof tradingStrategySchema>;
/** A validated strategy. */
export type TradingStrategy = z.output<typeof tradingStrategySchema>;

/** Validates a strategy; throws ValidationError naming the field (`strategy.symbols`). */
export function parseStrategy(input: unknown): TradingStrategy {
  return parseWith(tradingStrategySchema, input, 'strategy');
}

/** One template parameter's schema, in the FinAgent document's form. */
export interface ParameterSpec {
  type: 'int' | 'float' | 'bool' | 'string';
  default: number | boolean | string;
  min?: number;
  max?: number;
  description?: string;
}

/** A reusable strategy: its alpha, its parameters with their schemas, and the workflow it plans into. */
export interface StrategyTemplate {
  name: string;
  description: string;
  /** What `generate_signals` computes. */
  strategyType: 'momentum' | 'mean_reversion';
  parameters: Readonly<Record<string, ParameterSpec>>;
}

/** The built-in templates. */
export const STRATEGY_TEMPLATES: Readonly<Record<string, StrategyTemplate>> = {
  momentum: {
    name: 'Momentum Strategy',
    description: 'Trade confident trends, sized by volatility targeting',
    strategyType: 'momentum',
    parameters: {
      lookback_period: { type: 'int', default: 20, min: 5, max: 100 },
      signal_threshold: {
        type: 'float',
        default: 0.02,
        min: 0.01,
        max: 0.1,
        description: 'minimum momentum strength',
      },
      position_size: {
        type: 'float',
        default: 0.2,
        min: 0.01,
        max: 1,
        description: 'largest position, fraction of equity',
      },
    },
  },
  mean_reversion: {
    name: 'Mean Reversion Strategy',
    description: 'Fade RSI extremes, sized by volatility targeting',
    strategyType: 'mean_reversion',
    parameters: {
      lookback_period: { type: 'int', default: 20, min: 5, max: 100 },
      oversold: {
        type: 'float',
        default: 30,
        min: 5,
        max: 45,
        description: 'RSI below: buy; above 100 − it: sell',
      },
      position_size: {
        type: 'float',
        default: 0.1,
        min: 0.01,
        max: 1,
        description: 'largest position, fraction of equity',
      },
    },
  },
};

/**
 * Checks `values` against `template`'s parameter schemas and fills defaults.
 * @throws ValidationError naming the parameter (`parameters.lookback_period`) for an unknown name,
 * a wrong type or a value outside [min, max].
 */
export function resolveTemplateParameters(
  template: StrategyTemplate,
  values: Readonly<Record<string, unknown>> = {},
): Record<string, number | boolean | string> {
  for (const key of Object.keys(values)) {
    if (!Object.hasOwn(template.parameters, key)) {
      const known = Object.keys(template.parameters).join(', ');
      throw new ValidationError(
        `parameters.${key}`,
        `is not a parameter of ${template.name} (known: ${known})`,
      );
    }
  }
  const out: Record<string, number | boolean | string> = {};
  for (const [key, spec] of Object.entries(template.parameters)) {
    const value = values[key] ?? spec.default;
    const field = `parameters.${key}`;
    if (spec.type === 'int' || spec.type === 'float') {
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        (spec.type === 'int' && !Number.isInteger(value))
      ) {
        throw new ValidationError(
          field,
          `must be ${spec.type === 'int' ? 'an integer' : 'a number'} (got ${JSON.stringify(value)})`,
        );
      }
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
        throw new ValidationError(
          field,
          `must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'} (got ${value})`,
          {
            value,
            min: spec.min,
            max: spec.max,
          },
        );
      }
    } else if (typeof value !== (spec.type === 'bool' ? 'boolean' : 'string')) {
      throw new ValidationError(field, `must be a ${spec.type} (got ${JSON.stringify(value)})`);
    }
    out[key] = value as number | boolean | string;
  }
  return out;
}

/**
 * A strategy from a template: the template's parameters checked and defaulted, `lookback_period`
 * taken from them, `parameters.template` naming the template.
 * @throws ValidationError naming the bad parameter or strategy field, or `template` when unknown.
 */
export function strategyFromTemplate(
  templateName: string,
  strategy: Omit<TradingStrategyInput, 'parameters' | 'lookback_period'>,
  values: Readonly<Record<string, unknown>> = {},
): TradingStrategy {
  const template = Object.hasOwn(STRATEGY_TEMPLATES, templateName)
    ? STRATEGY_TEMPLATES[templateName]
    : undefined;
  if (template === undefined) {
    throw new ValidationError(
      'template',
      `unknown template '${templateName}' (known: ${Object.keys(STRATEGY_TEMPLATES).join(', ')})`,
    );
  }
  const parameters = resolveTemplateParameters(template, values);
  return parseStrategy({
    ...strategy,
    lookback_period: parameters['lookback_period'],
    parameters: { ...parameters, template: templateName, strategy_type: template.strategyType },
  });
}
