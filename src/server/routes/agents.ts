import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { ConclaveError } from '../../core/errors.ts';
import { agentViewSchema, toAgentView } from '../agent-view.ts';
import { errorResponses } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';

const agentsSchema = z.object({
  total: z.int(),
  by_status: z.object({ running: z.int(), error: z.int(), offline: z.int(), disabled: z.int() }),
  agents: z.array(agentViewSchema),
});

const nameParams = z.strictObject({ name: z.string().min(1).max(200, 'must be at most 200 characters') });

/**
 * GET /agents: every registered agent, its health and its circuit breaker, in registration order.
 * POST /agents/{name}/enable and /disable: put an agent back in service or take it out (admin).
 */
export function agentsRoute(app: ConclaveServer, conclave: Conclave): void {
  const view = (name: string) => {
    const agent = conclave.registry.snapshot().find((a) => a.name === name);
    if (agent === undefined) {
      throw new ConclaveError('AGENT_NOT_FOUND', `agent '${name}' is not registered`, {
        details: { field: 'name', value: name },
      });
    }
    return toAgentView(agent, conclave.dispatcher.breakers()[name]);
  };

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

  app.post(
    '/agents/:name/enable',
    {
      schema: {
        summary: 'Put an agent back in service (clears its error window)',
        tags: ['agents'],
        params: nameParams,
        response: { 200: agentViewSchema, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    (request) => {
      view(request.params.name);
      conclave.registry.enable(request.params.name);
      return view(request.params.name);
    },
  );

  app.post(
    '/agents/:name/disable',
    {
      schema: {
        summary: 'Take an agent out of service until enabled',
        tags: ['agents'],
        params: nameParams,
        body: z.strictObject({ reason: z.string().min(1).max(500).optional() }).nullish(),
        response: { 200: agentViewSchema, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    (request) => {
      view(request.params.name);
      const by = request.apiKey?.name ?? 'api';
      conclave.registry.disable(
        request.params.name,
        request.body?.reason ?? `disabled through the API by ${by}`,
      );
      return view(request.params.name);
    },
  );
}
