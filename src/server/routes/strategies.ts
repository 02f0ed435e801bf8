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
import {
  runStrategy,
  stopStrategy,
  strategyExecution,
  strategyExecutionSchema,
  strategyStatusSchema,
} from '../strategy-runs.ts';
import { RUN_STATUSES } from '../../workflow/index.ts';

const LIMIT = 'must be an integer from 1 to 1000';
const OFFSET = 'must be an integer ≥ 0';

/** A strategy id in a path. */
const strategyParams = z.strictObject({ id: idSchema });

function notFound(id: string): ConclaveError {
  return new ConclaveError('NOT_FOUND', `no strategy '${id}'`, { details: { strategy_id: id } });
}

/**
 * The FinAgent strategy API: POST /strategies executes a strategy (a `TradingStrategy` or a
 * template with parameters): it is stored and its plan starts as a durable workflow run;
 * GET /strategies lists the stored ones; GET /strategies/{id} shows one with its run's status,
 * per-step progress and, once completed, signals, decisions and orders; DELETE /strategies/{id}
 * stops the run (the strategy stays stored, its status showing the stop).
 */
export function strategyRoutes(app: ConclaveServer, conclave: Conclave): void {
  app.post(
    '/strategies',
    {
      schema: {
        summary: 'Execute a trading strategy (written out in full, or from a template with parameters)',
        description:
          'Stores the strategy and starts its plan (fetch data → momentum and correlation → risk → transaction cost → decision → execution) as a durable workflow run. A strategy_id already stored runs again, with the definition given, once its previous run has ended; while that run is queued or running the answer is 409.',
        tags: ['strategies'],
        body: strategyBodySchema,
        response: {
          202: strategyViewSchema.extend({
            status: z.enum(RUN_STATUSES).describe('the run just started: queued or running'),
            links: z.object({ self: z.string() }),
          }),
          ...errorResponses(400, 409, 413, 503),
        },
      },
    },
    async (request, reply) => {
      const { strategy, template } = strategyFromBody(request.body);
      const { record, status } = await runStrategy(conclave, strategy, template);
      const self = `/strategies/${encodeURIComponent(record.id)}`;
      return reply.code(202).send({ ...toStrategyView(record), status, links: { self } });
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
        summary: 'One strategy and its execution: run status, per-step progress, and results once completed',
        tags: ['strategies'],
        params: strategyParams,
        response: {
          200: strategyViewSchema.extend({
            status: strategyStatusSchema,
            execution: strategyExecutionSchema.nullable().describe('its run; null if never run'),
          }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const record = await conclave.store.strategies.get(request.params.id);
      if (record === undefined) throw notFound(request.params.id);
      return { ...toStrategyView(record), ...(await strategyExecution(conclave, record)) };
    },
  );

  app.delete(
    '/strategies/:id',
    {
      schema: {
        summary: "Stop a strategy's execution (cancel its run); the strategy stays stored",
        description:
          'Idempotent: a run that has already ended is left as it is (stopped: false) and its status returned. The strategy and its backtests are kept, so the stop can be audited and the strategy run again with POST /strategies.',
        tags: ['strategies'],
        params: strategyParams,
        response: {
          200: z.object({
            strategy_id: z.string(),
            run_id: z.string().nullable(),
            status: strategyStatusSchema.describe('what the run ended as (cancelled when this stopped it)'),
            stopped: z.boolean().describe('whether this request stopped it'),
          }),
          ...errorResponses(400, 404, 409),
        },
      },
    },
    async (request) => {
      const record = await conclave.store.strategies.get(request.params.id);
      if (record === undefined) throw notFound(request.params.id);
      const { status, stopped } = await stopStrategy(conclave, record);
      return { strategy_id: record.id, run_id: record.runId, status, stopped };
    },
  );
}
