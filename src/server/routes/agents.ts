import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { agentViewSchema, toAgentView } from '../agent-view.ts';
import type { ConclaveServer } from '../server-types.ts';

const agentsSchema = z.object({
  total: z.int(),
  by_status: z.object({ running: z.int(), error: z.int(), offline: z.int(), disabled: z.int() }),
  agents: z.array(agentViewSchema),
});

/** GET /agents: every registered agent, its health and its circuit breaker, in registration order. */
export function agentsRoute(app: ConclaveServer, conclave: Conclave): void {
  app.get(
    '/agents',
    {
      schema: {
        summary: 'List agents with their status and circuit breaker',
        tags: ['agents'],
        response: { 200: agentsSchema },
      },
    },
    () => {
      const { total, ...byStatus } = conclave.registry.statusCounts();
      const breakers = conclave.dispatcher.breakers();
      const agents = conclave.registry.snapshot().map((a) => toAgentView(a, breakers[a.name]));
      return { total, by_status: byStatus, agents };
    },
  );
}
