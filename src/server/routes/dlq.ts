import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { ConclaveError } from '../../core/errors.ts';
import { errorResponses, idSchema } from '../api-schemas.ts';
import { deadLetterSchema, toDeadLetterView } from '../dead-letter-view.ts';
import type { ConclaveServer } from '../server-types.ts';
import { taskAcceptedSchema, toTaskAccepted } from '../task-view.ts';

const LIMIT = 'must be an integer from 1 to 1000';
const OFFSET = 'must be an integer >= 0';

const listQuerySchema = z.strictObject({
  limit: z.coerce.number({ error: LIMIT }).int(LIMIT).min(1, LIMIT).max(1000, LIMIT).default(100),
  offset: z.coerce.number({ error: OFFSET }).int(OFFSET).min(0, OFFSET).default(0),
  include_replayed: z.stringbool({ error: 'must be true or false' }).default(false),
  pattern: z.string().min(1).max(200).optional(),
});

const listSchema = z.object({ items: z.array(deadLetterSchema), limit: z.int(), offset: z.int() });
const purgedSchema = z.object({ purged: z.int().describe('dead letters deleted') });
const idParams = z.strictObject({ id: idSchema });

/**
 * The dead-letter queue: GET /dlq (filters: limit, offset, include_replayed,
 * pattern), GET /dlq/:id, POST /dlq/:id/replay (202, the new task), DELETE /dlq (purge all) and
 * DELETE /dlq/:id.
 */
export function dlqRoutes(app: ConclaveServer, conclave: Conclave): void {
  const dlq = conclave.deadLetters;
  const tags = ['dead letters'];

  app.get(
    '/dlq',
    {
      schema: {
        summary: 'List dead letters',
        tags,
        querystring: listQuerySchema,
        response: { 200: listSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { limit, offset, include_replayed: includeReplayed, pattern } = request.query;
      const letters = await dlq.list({
        limit,
        offset,
        includeReplayed,
        ...(pattern === undefined ? {} : { pattern }),
      });
      return { items: letters.map(toDeadLetterView), limit, offset };
    },
  );

  app.get(
    '/dlq/:id',
    {
      schema: {
        summary: 'Get one dead letter',
        tags,
        params: idParams,
        response: { 200: deadLetterSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => toDeadLetterView(await dlq.get(request.params.id)),
  );

  app.post(
    '/dlq/:id/replay',
    {
      schema: {
        summary: 'Replay a dead letter as a new task',
        tags,
        params: idParams,
        response: { 202: taskAcceptedSchema, ...errorResponses(400, 404, 409, 503) },
      },
    },
    async (request, reply) => reply.code(202).send(toTaskAccepted(await dlq.replay(request.params.id))),
  );

  app.delete(
    '/dlq',
    { schema: { summary: 'Purge every dead letter', tags, response: { 200: purgedSchema } } },
    async () => ({ purged: await dlq.purge() }),
  );

  app.delete(
    '/dlq/:id',
    {
      schema: {
        summary: 'Delete one dead letter',
        tags,
        params: idParams,
        response: { 200: purgedSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const purged = await dlq.purge([id]);
      if (purged === 0)
        throw new ConclaveError('NOT_FOUND', `dead letter '${id}' does not exist`, {
          details: { field: 'id', value: id },
        });
      return { purged };
    },
  );
}
