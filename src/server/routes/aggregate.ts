import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { aggregateTasks } from '../../dispatch/index.ts';
import { errorResponses, idSchema } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';

/** The most task ids one POST /aggregate may name. */
export const MAX_AGGREGATE_IDS = 1000;

const aggregateResultSchema = z.object({
  total_tasks: z.int(),
  completed: z.int(),
  failed: z.int(),
  pending: z.int().describe('tasks still queued or running'),
  not_found: z.array(z.string()),
  results: z.array(
    z.object({
      task_id: z.string(),
      agent: z.string().nullable(),
      result: z.unknown(),
      execution_time: z.number().nullable(),
    }),
  ),
  errors: z.array(
    z.object({
      task_id: z.string(),
      agent: z.string().nullable(),
      status: z.string(),
      error: z.string(),
      code: z.string(),
    }),
  ),
});

const IDS = `must be an array of 1 to ${MAX_AGGREGATE_IDS} task ids`;

/** POST /aggregate: totals, results and errors over a set of tasks. */
export function aggregateRoute(app: ConclaveServer, conclave: Conclave): void {
  app.post(
    '/aggregate',
    {
      schema: {
        summary: 'Aggregate results from several tasks',
        tags: ['tasks'],
        body: z.strictObject({
          task_ids: z.array(idSchema, { error: IDS }).min(1, IDS).max(MAX_AGGREGATE_IDS, IDS),
        }),
        response: { 200: aggregateResultSchema, ...errorResponses(400) },
      },
    },
    async (request) => aggregateTasks(request.body.task_ids, (id) => conclave.dispatcher.get(id)),
  );
}
