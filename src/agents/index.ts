/**
 * The agents layer: the registry that knows every agent and its health, and the transports that
 * reach agents (in-process functions, HTTP endpoints, NATS subjects for remote agents).
 */
export type { AgentRequest, AgentTransport, CallContext } from './transport.ts';
export { callContext } from './transport.ts';
export { AGENT_STATUSES } from './agent-info.ts';
export type {
  AgentInfo,
  AgentRegistration,
  AgentRegistryEvents,
  AgentSnapshot,
  AgentStatus,
  AgentStatusChange,
  AgentStatusCounts,
  HeartbeatMode,
} from './agent-info.ts';
export { AgentRegistry } from './registry.ts';
export type { AgentRegistryOptions } from './registry.ts';
export { AGENT_NAME_PATTERN } from './registration.ts';
export { InprocTransport } from './inproc-transport.ts';
export type { InprocHandler } from './inproc-transport.ts';
export { HttpTransport, parseRetryAfter } from './http-transport.ts';
export type { HttpAgentRequestBody, HttpTransportOptions } from './http-transport.ts';
export { NatsTransport } from './nats-transport.ts';
export type { NatsTransportOptions } from './nats-transport.ts';
export { RemoteAgentDirectory } from './remote-agents.ts';
export type { RemoteAgentDirectoryOptions } from './remote-agents.ts';
export {
  AGENT_SUBJECTS,
  IDEMPOTENCY_HEADER,
  agentAnnouncementSchema,
  parseCallBody,
  unwrapReply,
} from './nats-protocol.ts';
export type { AgentAnnouncement, AgentCallBody, AgentCallReply } from './nats-protocol.ts';
