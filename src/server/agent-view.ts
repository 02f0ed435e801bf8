import { z } from 'zod';
import { AGENT_STATUSES, type AgentSnapshot } from '../agents/index.ts';
import type { BreakerSnapshot } from '../dispatch/index.ts';
import { isoTime, isoTimeOrNull, isoTimeSchema, jsonObjectSchema } from './api-schemas.ts';

const agentStatusSchema = z.enum(AGENT_STATUSES);

/** An agent's circuit breaker as the API shows it. */
export const breakerViewSchema = z.object({
  state: z.enum(['closed', 'half_open', 'open']),
  consecutive_failures: z.int(),
  opened_at: isoTimeSchema.nullable(),
});

/** One agent as GET /agents shows it: the registry's view plus the dispatcher's breaker. */
export const agentViewSchema = z.object({
  name: z.string(),
  capabilities: z.array(z.string()),
  dependencies: z.array(z.string()),
  status: agentStatusSchema,
  status_reason: z.string().nullable(),
  heartbeat: z.enum(['auto', 'required']),
  last_heartbeat_at: isoTimeSchema.nullable(),
  registered_at: isoTimeSchema,
  calls: z.int(),
  failures: z.int(),
  recent_failures: z.int(),
  avg_latency_ms: z.number(),
  weight: z.number(),
  max_connections: z.int(),
  version: z.string().nullable(),
  transport: z.string(),
  metadata: jsonObjectSchema,
  breaker: breakerViewSchema,
});

/** A breaker no call has touched yet: closed, no failures. */
const CLOSED_BREAKER: BreakerSnapshot = {
  state: 'closed',
  consecutiveFailures: 0,
  openedAt: null,
  trialInFlight: false,
};

/** The API view of an agent; `breaker` is undefined for agents the dispatcher has not called yet. */
export function toAgentView(
  agent: AgentSnapshot,
  breaker?: BreakerSnapshot,
): z.infer<typeof agentViewSchema> {
  const b = breaker ?? CLOSED_BREAKER;
  return {
    name: agent.name,
    capabilities: agent.capabilities,
    dependencies: agent.dependencies,
    status: agent.status,
    status_reason: agent.statusReason,
    heartbeat: agent.heartbeat,
    last_heartbeat_at: isoTimeOrNull(agent.lastHeartbeatAt),
    registered_at: isoTime(agent.registeredAt),
    calls: agent.calls,
    failures: agent.failures,
    recent_failures: agent.recentFailures,
    avg_latency_ms: agent.avgLatencyMs,
    weight: agent.weight,
    max_connections: agent.maxConnections,
    version: agent.version,
    transport: agent.transport,
    metadata: agent.metadata,
    breaker: {
      state: b.state,
      consecutive_failures: b.consecutiveFailures,
      opened_at: isoTimeOrNull(b.openedAt),
    },
  };
}
