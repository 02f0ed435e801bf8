import { z } from 'zod';
import { ValidationError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import {
  parseStrategy,
  STRATEGY_TEMPLATES,
  strategyFromTemplate,
  type TradingStrategy,
} from '../trading/planner/index.ts';
import { isoTime, isoTimeSchema, jsonObjectSchema } from './api-schemas.ts';
import type { StrategyRecord } from '../store/index.ts';

const ID_RULE = 'must be 1–64 of a-z 0-9 _ . -';

/**
 * A strategy as a request gives it: a full `TradingStrategy`, or `{template, parameters, …}` whose
 * parameters are checked against the template's schemas. `strategy_id` is made when absent.
 * @remarks Types are checked here, so Fastify's validation names the field; the finer rules (symbol
 * count, template parameter ranges) are checked by the planner's own parser, which names the field
 * the same way.
 */
export const strategyBodySchema = z.strictObject({
  strategy_id: z
    .string()
    .regex(/^[a-z0-9_.-]{1,64}$/i, ID_RULE)
    .optional(),
  name: z.string({ error: 'must be a string of 1 to 200 characters' }).min(1).max(200),
  description: z.string().max(2000).optional(),
  symbols: z.array(z.string(), { error: 'must be a list of symbols' }).min(1).max(100),
  lookback_period: z.int().min(5).max(1000).optional(),
  rebalance_frequency: z.enum(['daily', 'weekly', 'monthly']).optional(),
  template: z
    .enum(Object.keys(STRATEGY_TEMPLATES) as [string, ...string[]])
    .optional()
    .describe('build the strategy from this template; `parameters` are then checked against it'),
  parameters: jsonObjectSchema.optional(),
});

/** The body of a strategy as a request gives it. */
export type StrategyBody = z.infer<typeof strategyBodySchema>;

/**
 * The validated strategy a body describes.
 * @throws ValidationError naming the field (`parameters.position_size`, `strategy.symbols`).
 */
export function strategyFromBody(body: StrategyBody): { strategy: TradingStrategy; template: string | null } {
  try {
    return buildStrategy(body);
  } catch (err) {
    // The planner names fields under `strategy.`; in this body they sit at the top level.
    if (err instanceof ValidationError && err.field.startsWith('strategy.')) {
      throw renamed(err, err.field.slice('strategy.'.length));
    }
    throw err;
  }
}

/** The same validation failure, its field renamed (`symbols[0]` → `strategy.symbols[0]`). */
export function renamed(err: ValidationError, field: string): ValidationError {
  return new ValidationError(field, err.message.slice(err.field.length + 2), err.details);
}

function buildStrategy(body: StrategyBody): { strategy: TradingStrategy; template: string | null } {
  const { template, parameters, lookback_period: lookback, ...rest } = body;
  const base = { ...rest, strategy_id: body.strategy_id ?? newId('strategy') };
  if (template === undefined) {
    const input = { ...base, ...(lookback === undefined ? {} : { lookback_period: lookback }), parameters };
    return { strategy: parseStrategy(input), template: null };
  }
  if (lookback !== undefined) {
    throw new ValidationError('lookback_period', 'with a template, set it as parameters.lookback_period');
  }
  return { strategy: strategyFromTemplate(template, base, parameters ?? {}), template };
}

/** A stored strategy as the API shows it. */
export const strategyViewSchema = z.object({
  strategy_id: z.string(),
  name: z.string(),
  template: z.string().nullable(),
  strategy: jsonObjectSchema.describe('the validated TradingStrategy'),
  created_at: isoTimeSchema,
  updated_at: isoTimeSchema,
  run_id: z.string().nullable().describe('the workflow run executing it (its latest); null if never run'),
});

/** A stored strategy → its API view. */
export function toStrategyView(record: StrategyRecord): z.infer<typeof strategyViewSchema> {
  return {
    strategy_id: record.id,
    name: record.name,
    template: record.template,
    strategy: record.definition,
    created_at: isoTime(record.createdAt),
    updated_at: isoTime(record.updatedAt),
    run_id: record.runId,
  };
}
