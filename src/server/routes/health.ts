import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { isoTime, isoTimeSchema } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';
import { CONCLAVE_VERSION } from '../version.ts';

const healthSchema = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  timestamp: isoTimeSchema,
  version: z.string(),
  agents_healthy: z.int().describe('agents in status running'),
  agents_total: z.int(),
  active_tasks: z.int().describe('agent calls in flight plus tasks waiting to retry'),
  queue_size: z.int().describe('tasks waiting to run'),
  dependencies: z
    .array(
      z.object({
        name: z.enum(['bus', 'state', 'store']),
        driver: z.string(),
        status: z.enum(['up', 'degraded', 'down']),
        reason: z.string().optional(),
        since: z.string().optional(),
      }),
    )
    .describe('the bus, the shared state and the store, with the reason when one is not up'),
});

/** The health report's body. */
export type HealthReport = z.infer<typeof healthSchema>;

/**
 * Reads Conclave's health: `unhealthy` when a required dependency is down — the store does not
 * answer, NATS is unreachable, the shared state refuses work (the API then answers 503, naming the
 * reason) — `degraded` when one runs on its fallback, some agent is not running or some circuit is
 * not closed, `healthy` otherwise.
 * @remarks With no agents registered nothing is failing, so that is `healthy`: the report is about
 * faults, and `agents_total` shows the empty roster.
 */
export async function readHealth(conclave: Conclave): Promise<HealthReport> {
  const report = await conclave.dependencies();
  const agents = conclave.registry.statusCounts();
  const stats = conclave.dispatcher.stats();
  const breakerTripped = Object.values(conclave.dispatcher.breakers()).some((b) => b.state !== 'closed');
  const fallback = report.dependencies.some((d) => d.status === 'degraded');
  const status = !report.ok
    ? 'unhealthy'
    : fallback || agents.running < agents.total || breakerTripped
      ? 'degraded'
      : 'healthy';
  return {
    status,
    timestamp: isoTime(conclave.clock.now()),
    version: CONCLAVE_VERSION,
    agents_healthy: agents.running,
    agents_total: agents.total,
    active_tasks: stats.inFlight + stats.retryWaiting,
    queue_size: stats.queued,
    dependencies: report.dependencies.map((d) => ({ ...d })),
  };
}

/** GET /health: 200 when healthy or degraded, 503 when unhealthy. */
export function healthRoute(app: ConclaveServer, conclave: Conclave): void {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Health check',
        tags: ['operations'],
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_request, reply) => {
      const report = await readHealth(conclave);
      return reply.code(report.status === 'unhealthy' ? 503 : 200).send(report);
    },
  );
}
