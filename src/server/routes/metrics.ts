import type { Conclave } from '../../conclave.ts';
import type { ConclaveServer } from '../server-types.ts';

/** GET /metrics: the Prometheus text exposition of Conclave's metrics. */
export function metricsRoute(app: ConclaveServer, conclave: Conclave): void {
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['operations'] } },
    async (_request, reply) => {
      const text = await conclave.metrics.text();
      return reply.header('content-type', conclave.metrics.registry.contentType).send(text);
    },
  );
}
