import { z } from 'zod';
import { ConclaveError, ERROR_CODES, type ErrorCode } from '../core/errors.ts';
import type { JsonObject } from '../core/task.ts';

/**
 * The wire protocol between orchestrators and remote agents on NATS: subjects, the announcement
 * an agent publishes to register and heartbeat, and the call and reply bodies.
 * @remarks Plain JSON on plain subjects, so an agent in any language that speaks NATS can take
 * part; field names are snake_case like the documents' other wire shapes.
 */

/** Subjects of the remote-agent protocol. */
export const AGENT_SUBJECTS = {
  /** Where an agent announces itself when it starts. */
  register: 'agents.register',
  /** Pattern for every agent's heartbeat (`agents.heartbeat.<name>`). */
  heartbeats: 'agents.heartbeat.*',
  heartbeat: (name: string): string => `agents.heartbeat.${name}`,
  /** Where tasks for agent `name` are requested; every copy of the agent serves it in one queue group. */
  call: (name: string): string => `agents.${name}.call`,
  /** The queue group the copies of agent `name` share. */
  queue: (name: string): string => `agent-${name}`,
  /**
   * Where any agent serving `capability` can be requested: every copy of every agent with it
   * serves this subject in one queue group, so NATS spreads calls across agents (a
   * `NatsTransport` with this `subject` reaches them as one pool).
   */
  capability: (capability: string): string => `agents.cap.${capability}`,
  capabilityQueue: (capability: string): string => `cap-${capability}`,
} as const;

/** Header carrying the attempt's idempotency key, besides corr id and trace context. */
export const IDEMPOTENCY_HEADER = 'conclave-idempotency-key';

/** What an agent publishes on `agents.register` and on every heartbeat. */
export const agentAnnouncementSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_.-]+$/i, 'an agent name: letters, digits, _ . -'),
  capabilities: z.array(z.string().min(1)).min(1),
  /** This copy of the agent (several copies share one name and one queue group). */
  instance: z.string().min(1),
  version: z.string().min(1).optional(),
  /** Calls this copy runs at once. */
  concurrency: z.number().int().positive().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** A validated {@link agentAnnouncementSchema}. */
export type AgentAnnouncement = z.infer<typeof agentAnnouncementSchema>;

/** The body of a call request on `agents.<name>.call`. */
export interface AgentCallBody {
  task_id: string;
  pattern: string;
  capability: string;
  payload: JsonObject;
  metadata: JsonObject;
  attempt: number;
  idempotency_key: string;
  corr_id: string | null;
  timeout_ms: number;
}

/** The reply to a call: the handler's result, or the error it failed with. */
export type AgentCallReply =
  { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; retryable: boolean } };

const replySchema = z.union([
  z.strictObject({ ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    ok: z.literal(false),
    error: z.strictObject({ code: z.string(), message: z.string(), retryable: z.boolean() }),
  }),
]);

const callSchema = z.strictObject({
  task_id: z.string().min(1),
  pattern: z.string().min(1),
  capability: z.string().min(1),
  payload: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  attempt: z.number().int().positive(),
  idempotency_key: z.string().min(1),
  corr_id: z.string().nullable(),
  timeout_ms: z.number().positive(),
});

/** Parses a call body; a malformed one is a non-retryable `VALIDATION_FAILED`. */
export function parseCallBody(data: unknown): AgentCallBody {
  const parsed = callSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ConclaveError('VALIDATION_FAILED', `malformed agent call: ${parsed.error.message}`, {
    retryable: false,
  });
}

function isErrorCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

/**
 * Turns a reply into the handler's result, or throws the agent's error as a `ConclaveError`
 * (codes outside the closed set become `AGENT_ERROR`; `retryable` is the agent's word).
 */
export function unwrapReply(agent: string, data: unknown): unknown {
  const parsed = replySchema.safeParse(data);
  if (!parsed.success) {
    throw new ConclaveError('AGENT_ERROR', `agent '${agent}' sent a reply that is not {ok, result|error}`, {
      retryable: false,
      details: { agent },
    });
  }
  const reply = parsed.data;
  if (reply.ok) return reply.result;
  const { code, message, retryable } = reply.error;
  throw new ConclaveError(isErrorCode(code) ? code : 'AGENT_ERROR', `agent '${agent}': ${message}`, {
    retryable,
    details: { agent, agentCode: code },
  });
}
