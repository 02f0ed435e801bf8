import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { errorResponses, idSchema, isoTime, isoTimeSchema, jsonObjectSchema } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';

const workflowStatusSchema = z.looseObject({
  workflow_id: z.string(),
  name: z.string(),
  status: z.string(),
  progress: z.number(),
  current_step: z.string().nullable(),
});

const requesterSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1–100 letters, digits, _ . : or -')
  .optional();

/**
 * The AMC command interface and workflow status over HTTP: POST /commands/{type},
 * GET /workflows, GET /workflows/{id}, POST /workflows/{id}/cancel.
 */
export function workflowRoutes(app: ConclaveServer, conclave: Conclave): void {
  app.post(
    '/commands/:type',
    {
      schema: {
        summary: 'Run an AMC command as a workflow (restart_discovery_system, emergency_stop, …)',
        tags: ['workflows'],
        params: z.strictObject({ type: z.string().min(1).max(64) }),
        body: z
          .strictObject({ parameters: jsonObjectSchema.optional(), requester: requesterSchema })
          .nullish()
          .describe('optional; a POST without a body is accepted'),
        response: {
          202: z.object({ workflow_id: z.string(), command_type: z.string(), status: z.literal('accepted') }),
          ...errorResponses(400, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const { type } = request.params;
      const body = request.body ?? {};
      const id = await conclave.commands.receiveCommand(type, body.parameters ?? {}, body.requester ?? 'api');
      return reply.code(202).send({ workflow_id: id, command_type: type, status: 'accepted' as const });
    },
  );

  app.get(
    '/workflows',
    {
      schema: {
        summary: 'Every workflow run with a summary (counts by state, success rate)',
        tags: ['workflows'],
        response: {
          200: z.object({
            workflows: z.array(workflowStatusSchema),
            summary: z.looseObject({ total: z.number(), success_rate: z.number() }),
          }),
        },
      },
    },
    async () => {
      const all = await conclave.workflows.getAllWorkflowsStatus();
      return { workflows: all.workflows.map((w) => ({ ...w })), summary: { ...all.summary } };
    },
  );

  app.get(
    '/workflows/:id',
    {
      schema: {
        summary: 'One workflow run: status, progress, current step, steps',
        tags: ['workflows'],
        params: z.strictObject({ id: idSchema }),
        response: { 200: workflowStatusSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => ({ ...(await conclave.workflows.getWorkflowStatus(request.params.id)) }),
  );

  app.post(
    '/workflows/:id/cancel',
    {
      schema: {
        summary: 'Cancel a workflow run (its running steps get an abort signal)',
        tags: ['workflows'],
        params: z.strictObject({ id: idSchema }),
        body: z.strictObject({ reason: z.string().min(1).max(500).optional() }).nullish(),
        response: {
          200: z.object({ workflow_id: z.string(), cancelled: z.boolean() }),
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const reason = request.body?.reason ?? 'cancelled through the API';
      return {
        workflow_id: request.params.id,
        cancelled: await conclave.workflows.cancel(request.params.id, reason),
      };
    },
  );

  app.get(
    '/audit/:corr_id',
    {
      schema: {
        summary: 'The audit trail of a correlation id (decisions, commands, halts), newest first',
        tags: ['audit'],
        params: z.strictObject({ corr_id: idSchema }),
        response: {
          200: z.object({
            corr_id: z.string(),
            entries: z.array(
              z.object({
                id: z.string(),
                at: isoTimeSchema,
                kind: z.string(),
                actor: z.string().nullable(),
                data: z.unknown(),
              }),
            ),
          }),
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const entries = await conclave.store.audit.list({ corrId: request.params.corr_id, limit: 1000 });
      return {
        corr_id: request.params.corr_id,
        entries: entries.map((e) => ({
          id: e.id,
          at: isoTime(e.at),
          kind: e.kind,
          actor: e.actor,
          data: e.data,
        })),
      };
    },
  );
}
