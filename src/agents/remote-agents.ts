import type { Bus, BusMessage, Subscription } from '../bus/bus.ts';
import { isConclaveError } from '../core/errors.ts';
import type { JsonObject } from '../core/task.ts';
import { AGENT_SUBJECTS, agentAnnouncementSchema, type AgentAnnouncement } from './nats-protocol.ts';
import { NatsTransport } from './nats-transport.ts';
import type { AgentRegistry } from './registry.ts';

/** Options for {@link RemoteAgentDirectory}. */
export interface RemoteAgentDirectoryOptions {
  bus: Bus;
  registry: AgentRegistry;
  /** Connection limit of a remote agent that does not announce its concurrency. */
  maxConnections: number;
  /** Told about announcements it ignored (malformed, or a name taken by a local agent). */
  onIgnored?: (reason: string, subject: string) => void;
  /** Told about each remote agent it registered. */
  onRegistered?: (announcement: AgentAnnouncement) => void;
}

/**
 * Keeps the registry in step with remote agents: an announcement on `agents.register` or
 * `agents.heartbeat.<name>` registers an unknown agent with a {@link NatsTransport}, and records a
 * heartbeat for a known one; the registry's heartbeat monitor takes silent ones offline.
 * @remarks Every orchestrator subscribes without a queue group, so each one's registry sees every
 * agent. A heartbeat carries the full announcement, so an orchestrator started after an agent
 * learns of it at the next heartbeat. Copies of an agent share a name: the registry entry stands
 * for all of them, and any copy's heartbeat keeps it online; a copy's connection limit adds to it
 * only at first registration (the registry has one limit per name).
 */
export class RemoteAgentDirectory {
  readonly #o: RemoteAgentDirectoryOptions;
  readonly #remote = new Set<string>();
  #subs: Subscription[] = [];

  constructor(options: RemoteAgentDirectoryOptions) {
    this.#o = options;
  }

  /** Names of the agents this directory registered. */
  get agents(): readonly string[] {
    return [...this.#remote];
  }

  /** Starts listening for announcements. */
  start(): void {
    if (this.#subs.length > 0) return;
    const handler = (msg: BusMessage): void => this.#onAnnouncement(msg);
    this.#subs = [
      this.#o.bus.subscribe(AGENT_SUBJECTS.register, handler),
      this.#o.bus.subscribe(AGENT_SUBJECTS.heartbeats, handler),
    ];
  }

  /** Stops listening; registered agents stay in the registry (it closes their transports). */
  async close(): Promise<void> {
    const subs = this.#subs;
    this.#subs = [];
    await Promise.all(subs.map((s) => s.unsubscribe()));
  }

  #onAnnouncement(msg: BusMessage): void {
    const parsed = agentAnnouncementSchema.safeParse(msg.data);
    if (!parsed.success) {
      this.#o.onIgnored?.(`malformed announcement: ${parsed.error.message}`, msg.subject);
      return;
    }
    const a = parsed.data;
    if (msg.subject.startsWith('agents.heartbeat.') && msg.subject !== AGENT_SUBJECTS.heartbeat(a.name)) {
      this.#o.onIgnored?.(`heartbeat for '${a.name}' on another agent's subject`, msg.subject);
      return;
    }
    const { registry } = this.#o;
    if (registry.get(a.name) !== undefined) {
      if (this.#remote.has(a.name)) registry.heartbeat(a.name);
      else this.#o.onIgnored?.(`'${a.name}' is taken by a local agent`, msg.subject);
      return;
    }
    try {
      registry.register({
        name: a.name,
        capabilities: a.capabilities,
        transport: new NatsTransport({ bus: this.#o.bus, agent: a.name }),
        maxConnections: a.concurrency ?? this.#o.maxConnections,
        heartbeat: 'required',
        ...(a.version === undefined ? {} : { version: a.version }),
        metadata: { ...((a.metadata ?? {}) as JsonObject), transport: 'nats', instance: a.instance },
      });
      this.#remote.add(a.name);
      this.#o.onRegistered?.(a);
    } catch (err) {
      const reason = isConclaveError(err) ? `${err.code}: ${err.message}` : String(err);
      this.#o.onIgnored?.(`registering '${a.name}' failed: ${reason}`, msg.subject);
    }
  }
}
