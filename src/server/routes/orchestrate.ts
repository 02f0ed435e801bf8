import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import type { SubmitInput } from '../../dispatch/index.ts';
import { errorResponses, jsonObjectSchema } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';
import { taskAcceptedSchema, toTaskAccepted } from '../task-view.ts';

const PRIORITY = 'must be an integer from 1 (least urgent) to 5 (most urgent)';
const TIMEOUT = 'must be a number of seconds > 0 and at most 86400';
const RETRIES = 'must be an integer from 0 to 20';

/** POST /orchestrate's body, as in the Learn Your Way document (timeout in seconds). */
export const orchestrateBodySchema = z.strictObject({
  pattern: z
    .string({ error: 'must be a non-empty string naming a routing pattern' })
    .min(1, 'must be a non-empty string naming a routing pattern')
    .max(200, 'must be at most 200 characters'),
  payload: jsonObjectSchema,
  priority: z.int({ error: PRIORITY }).min(1, PRIORITY).max(5, PRIORITY).optional(),
  metadata: jsonObjectSchema.optional(),
  timeout: z.number({ error: TIMEOUT }).positive(TIMEOUT).max(86_400, TIMEOUT).optional(),
  callback_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  corr_id: z
    .string({ error: 'must be a string of 1 to 200 characters' })
    .min(1, 'must be a string of 1 to 200 characters')
    .max(200, 'must be a string of 1 to 200 characters')
    .optional(),
  max_retries: z.int({ error: RETRIES }).min(0, RETRIES).max(20, RETRIES).optional(),
});

type OrchestrateBody = z.infer<typeof orchestrateBodySchema>;

/** The snake_case request → the dispatcher's camelCase input, leaving unset fields unset. */
export function toSubmitInput(body: OrchestrateBody): SubmitInput {
  return {
    pattern: body.pattern,
    payload: body.payload,
    ...(body.priority === undefined ? {} : { priority: body.priority }),
    ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    ...(body.timeout === undefined ? {} : { timeoutMs: body.timeout * 1000 }),
    ...(body.callback_url === undefined ? {} : { callbackUrl: body.callback_url }),
    ...(body.corr_id === undefined ? {} : { corrId: body.corr_id }),
    ...(body.max_retries === undefined ? {} : { maxRetries: body.max_retries }),
  };
}

/** POST /orchestrate: validates, routes and durably queues a task; 202 once it is committed. */
export function orchestrateRoute(app: ConclaveServer, conclave: Conclave): void {
  app.post(
    '/orchestrate',
    {
      schema: {
        summary: 'Submit a task for orchestration',
        tags: ['tasks'],
        body: orchestrateBodySchema,
        response: { 202: taskAcceptedSchema, ...errorResponses(400, 404, 413, 429, 503) },
      },
    },
    async (request, reply) => {
      // Refused now (503) rather than queued when every agent for it is disabled, offline or
      // behind an open circuit: an API caller hears at once and can retry or go elsewhere.
      const task = await conclave.dispatcher.submit(toSubmitInput(request.body), { requireAvailable: true });
      return reply.code(202).send(toTaskAccepted(task));
    },
  );
}
