import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { errorResponses, isoTimeSchema } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';

const systemStatusSchema = z.object({
  timestamp: isoTimeSchema,
  system_metrics: z.object({
    running_agents: z.int(),
    error_agents: z.int(),
    offline_agents: z.int(),
    disabled_agents: z.int(),
    total_agents: z.int(),
  }),
  message_queue_size: z.int().describe('tasks waiting to run'),
  in_flight_tasks: z.int(),
  retry_waiting_tasks: z.int(),
  active_workflows: z.int(),
  queued_workflows: z.int(),
  halts: z.array(z.object({ id: z.string(), reason: z.string(), since: isoTimeSchema })),
});

/**
 * GET /status: the detailed system status (agents by state, queues, workflows, halts in force).
 * POST /shutdown (only when the app was given `onShutdown`): answers 202, then starts the graceful
 * shutdown once the reply is out; later calls answer 202 without starting it again.
 */
export function systemRoutes(
  app: ConclaveServer,
  conclave: Conclave,
  onShutdown: (() => void | Promise<void>) | undefined,
): void {
  app.get(
    '/status',
    {
      schema: {
        summary: 'Detailed system status',
        tags: ['operations'],
        response: { 200: systemStatusSchema, ...errorResponses(401, 403, 429) },
      },
    },
    () => conclave.getSystemStatus(),
  );
  if (onShutdown === undefined) return;
  let requested = false;
  app.post(
    '/shutdown',
    {
      schema: {
        summary: 'Graceful shutdown: stop intake, drain in-flight work, close',
        tags: ['operations'],
        response: {
          202: z.object({ status: z.literal('shutting_down'), requested_by: z.string().nullable() }),
          ...errorResponses(401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const by = request.apiKey?.name ?? null;
      if (!requested) {
        requested = true;
        conclave.logger.warn(
          { event: 'shutdown_requested', requested_by: by },
          'shutdown requested through the API',
        );
        // After the reply is written, so the caller hears 202 before the server stops.
        reply.raw.once('finish', () => {
          setImmediate(() => {
            Promise.resolve()
              .then(onShutdown)
              .catch((err: unknown) =>
                conclave.logger.error({ err, event: 'shutdown_failed' }, 'shutdown failed'),
              );
          });
        });
      }
      return reply.code(202).send({ status: 'shutting_down' as const, requested_by: by });
    },
  );
}
