import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { ConclaveError } from '../../core/errors.ts';
import { errorResponses, idSchema } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';
import {
  strategyBodySchema,
  strategyFromBody,
  strategyViewSchema,
  toStrategyView,
} from '../strategy-input.ts';

const LIMIT = 'must be an integer from 1 to 1000';
const OFFSET = 'must be an integer ≥ 0';

/** A strategy id in a path. */
const strategyParams = z.strictObject({ id: idSchema });

function notFound(id: string): ConclaveError {
  return new ConclaveError('NOT_FOUND', `no strategy '${id}'`, { details: { strategy_id: id } });
}

/**
 * The FinAgent strategy API over the store: POST /strategies (a `TradingStrategy` or a template with
 * parameters), GET /strategies, GET /strategies/{id}, DELETE /strategies/{id}.
 */
export function strategyRoutes(app: ConclaveServer, conclave: Conclave): void {
  app.post(
    '/strategies',
    {
      schema: {
        summary: 'Store a trading strategy (written out in full, or from a template with parameters)',
        tags: ['strategies'],
        body: strategyBodySchema,
        response: { 201: strategyViewSchema, ...errorResponses(400, 409, 413) },
      },
    },
    async (request, reply) => {
      const { strategy, template } = strategyFromBody(request.body);
      const now = conclave.clock.now();
      const record = {
        id: strategy.strategy_id,
        name: strategy.name,
        template,
        definition: { ...strategy },
        createdAt: now,
        updatedAt: now,
      };
      await conclave.store.strategies.insert(record);
      return reply.code(201).send(toStrategyView(record));
    },
  );

  app.get(
    '/strategies',
    {
      schema: {
        summary: 'Stored strategies, newest first',
        tags: ['strategies'],
        querystring: z.strictObject({
          limit: z.coerce.number({ error: LIMIT }).int(LIMIT).min(1, LIMIT).max(1000, LIMIT).default(100),
          offset: z.coerce.number({ error: OFFSET }).int(OFFSET).min(0, OFFSET).default(0),
        }),
        response: { 200: z.object({ strategies: z.array(strategyViewSchema) }), ...errorResponses(400) },
      },
    },
    async (request) => {
      const { limit, offset } = request.query;
      const records = await conclave.store.strategies.list({ limit, offset });
      return { strategies: records.map(toStrategyView) };
    },
  );

  app.get(
    '/strategies/:id',
    {
      schema: {
        summary: 'One stored strategy',
        tags: ['strategies'],
        params: strategyParams,
        response: { 200: strategyViewSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const record = await conclave.store.strategies.get(request.params.id);
      if (record === undefined) throw notFound(request.params.id);
      return toStrategyView(record);
    },
  );

  app.delete(
    '/strategies/:id',
    {
      schema: {
        summary: 'Delete a stored strategy (its backtests are kept)',
        tags: ['strategies'],
        params: strategyParams,
        response: {
          200: z.object({ strategy_id: z.string(), deleted: z.literal(true) }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      if (!(await conclave.store.strategies.delete(request.params.id))) throw notFound(request.params.id);
      return { strategy_id: request.params.id, deleted: true as const };
    },
  );
}
