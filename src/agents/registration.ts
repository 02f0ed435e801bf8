import { ConclaveError, ValidationError } from '../core/errors.ts';
import type { JsonObject } from '../core/task.ts';
import type { AgentRegistration, HeartbeatMode } from './agent-info.ts';
import type { AgentTransport } from './transport.ts';

/** Agent names: letters, digits, `_`, `.`, `-`. */
export const AGENT_NAME_PATTERN = /^[a-z0-9_.-]+$/i;

/** A registration with every default filled in and every field checked. */
export interface CompiledRegistration {
  name: string;
  capabilities: string[];
  dependencies: string[];
  transport: AgentTransport;
  weight: number;
  maxConnections: number;
  version: string | null;
  heartbeat: HeartbeatMode;
  metadata: JsonObject;
}

/**
 * Checks an {@link AgentRegistration} field by field and fills in defaults. Throws a
 * `ValidationError` naming the first bad field and what would be accepted.
 * @remarks Duplicate and dependency checks need the registry's state and happen there.
 */
export function compileRegistration(input: AgentRegistration): CompiledRegistration {
  const { name } = input;
  if (typeof name !== 'string' || !AGENT_NAME_PATTERN.test(name)) {
    throw new ValidationError('name', `${JSON.stringify(name)} is not a valid agent name; use [a-z0-9_.-]`, {
      value: name,
    });
  }
  const transport = compileTransport(name, input.transport);
  return {
    name,
    capabilities: compileCapabilities(name, input.capabilities),
    dependencies: compileDependencies(name, input.dependencies ?? []),
    transport,
    weight: compileWeight(name, input.weight ?? 1),
    maxConnections: compileMaxConnections(name, input.maxConnections ?? 100),
    version: compileVersion(name, input.version),
    heartbeat: compileHeartbeat(name, input.heartbeat ?? (transport.kind === 'inproc' ? 'auto' : 'required')),
    metadata: { ...(input.metadata ?? {}) },
  };
}

function compileCapabilities(agent: string, capabilities: readonly string[] | undefined): string[] {
  if (!Array.isArray(capabilities) || capabilities.length === 0) {
    throw new ValidationError('capabilities', `agent '${agent}' needs at least one capability`, { agent });
  }
  for (const c of capabilities) {
    if (typeof c !== 'string' || c.length === 0 || /\s/.test(c)) {
      throw new ValidationError(
        'capabilities',
        `agent '${agent}' has capability ${JSON.stringify(c)}; use a non-empty name without spaces, e.g. 'risk.assess'`,
        { agent, value: c },
      );
    }
  }
  return [...new Set<string>(capabilities)];
}

function compileDependencies(agent: string, dependencies: readonly string[]): string[] {
  if (!Array.isArray(dependencies)) {
    throw new ValidationError(
      'dependencies',
      `agent '${agent}': dependencies must be a list of agent names`,
      {
        agent,
      },
    );
  }
  for (const d of dependencies) {
    if (typeof d !== 'string' || !AGENT_NAME_PATTERN.test(d)) {
      throw new ValidationError(
        'dependencies',
        `agent '${agent}' lists ${JSON.stringify(d)}; use agent names`,
        {
          agent,
          value: d,
        },
      );
    }
    if (d.toLowerCase() === agent.toLowerCase()) {
      throw new ValidationError('dependencies', `agent '${agent}' cannot depend on itself`, { agent });
    }
  }
  return [...new Set<string>(dependencies)];
}

function compileTransport(agent: string, transport: AgentTransport | undefined): AgentTransport {
  if (transport === undefined || typeof transport.call !== 'function') {
    throw new ValidationError('transport', `agent '${agent}' needs a transport with a call() method`, {
      agent,
    });
  }
  return transport;
}

function compileWeight(agent: string, weight: number): number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
    throw new ValidationError('weight', `agent '${agent}' has weight ${String(weight)}; use a number > 0`, {
      agent,
      value: weight,
    });
  }
  return weight;
}

function compileMaxConnections(agent: string, max: number): number {
  if (!Number.isSafeInteger(max) || max <= 0) {
    throw new ValidationError(
      'maxConnections',
      `agent '${agent}' has maxConnections ${String(max)}; use a positive integer`,
      { agent, value: max },
    );
  }
  return max;
}

function compileVersion(agent: string, version: string | undefined): string | null {
  if (version === undefined) return null;
  if (typeof version !== 'string' || version.length === 0) {
    throw new ValidationError(
      'version',
      `agent '${agent}' has version ${JSON.stringify(version)}; use a string`,
      {
        agent,
      },
    );
  }
  return version;
}

function compileHeartbeat(agent: string, mode: HeartbeatMode): HeartbeatMode {
  if (mode !== 'auto' && mode !== 'required') {
    throw new ValidationError(
      'heartbeat',
      `agent '${agent}' has heartbeat ${JSON.stringify(mode)}; use 'auto' or 'required'`,
      {
        agent,
        value: mode,
      },
    );
  }
  return mode;
}

/** Options for `AgentRegistry`, all durations in milliseconds. */
export interface RegistryLimits {
  heartbeatIntervalMs: number;
  timeoutThresholdMs: number;
  errorThreshold: number;
  errorWindowMs: number;
}

/** Checks the registry's numeric options; throws a `ValidationError` naming the bad one. */
export function checkRegistryLimits(limits: RegistryLimits): void {
  for (const field of ['heartbeatIntervalMs', 'timeoutThresholdMs', 'errorWindowMs'] as const) {
    const v = limits[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ValidationError(field, `${String(v)} is not a duration; use milliseconds > 0`, { value: v });
    }
  }
  if (!Number.isSafeInteger(limits.errorThreshold) || limits.errorThreshold <= 0) {
    throw new ValidationError('errorThreshold', `${String(limits.errorThreshold)}; use a positive integer`, {
      value: limits.errorThreshold,
    });
  }
}

/** The error for a name nobody registered. */
export function agentNotFound(name: string): ConclaveError {
  return new ConclaveError('AGENT_NOT_FOUND', `no agent named '${name}' is registered`, {
    details: { agent: name },
  });
}
