/**
 * The agent SDK (`conclave/agent`): run a remote agent process that registers with every
 * orchestrator over NATS, heartbeats, serves its tasks in a queue group shared by all its copies,
 * analyses normalized signals (`onSignal`) and publishes enriched signals for the coordinator.
 */
export { startAgent } from './start-agent.ts';
export type {
  AgentSignalContext,
  AgentSignalHandler,
  AgentTaskContext,
  AgentTaskHandler,
  RemoteAgent,
  StartAgentOptions,
} from './start-agent.ts';
export type { NormalizedSignal } from '../coordination/schemas.ts';
export { enrichedSignal } from './enriched.ts';
export type { EnrichOptions } from './enriched.ts';
export { ConclaveError } from '../core/errors.ts';
export { AGENT_SUBJECTS } from '../agents/nats-protocol.ts';
export type { AgentAnnouncement, AgentCallBody, AgentCallReply } from '../agents/nats-protocol.ts';
