/** Assembles a {@link Decision} and its {@link DecisionAuditEntry} from pure inputs (the caller supplies ids and times). */
import type { PolicyOutcome } from './policy.ts';
import type { Decision, DecisionAuditEntry, Route } from './schemas.ts';
import { agentNames, getSignal, type SignalSet } from './signal-set.ts';
import type { StageTrace } from './stages.ts';
import { isoTime } from '../core/iso-time.ts';

/** Everything a decision records besides the policy's outcome. */
export interface DecisionInput {
  readonly corrId: string;
  readonly decisionId: string;
  readonly policy: string;
  /** The outcome after routing (see `applyRoute`). */
  readonly outcome: PolicyOutcome;
  readonly route: Route;
  readonly partial: boolean;
  readonly missingAgents: readonly string[];
  readonly contributingAgents: readonly string[];
  /** Epoch ms of the first signal for this corr_id. */
  readonly firstSignalAtMs: number;
  /** Epoch ms of the decision. */
  readonly decidedAtMs: number;
  /** The sequential pattern's stages, when they made the decision. */
  readonly stages?: readonly StageTrace[] | undefined;
  readonly workflowId?: string | undefined;
}

/**
 * Builds the decision record; `latency_ms` is decided − first signal, never negative.
 * @remarks The decision takes `route` and `stages` as they are (the router builds a route per
 * call); the coordinator freezes the decision before anyone else sees it.
 */
export function buildDecision(input: DecisionInput): Decision {
  const decidedAt = isoTime(input.decidedAtMs);
  const { outcome } = input;
  // Assigned in the record's key order; optional keys only when present (no spreads of temporaries).
  const d: Mutable<Decision> = {
    corr_id: input.corrId,
    decision_id: input.decisionId,
    action: outcome.action,
  };
  if (outcome.direction !== undefined) d.direction = outcome.direction;
  if (outcome.size !== undefined) d.size = outcome.size;
  d.reason = outcome.reason;
  d.confidence = outcome.confidence;
  d.policy = input.policy;
  d.partial = input.partial;
  d.missing_agents = [...input.missingAgents];
  d.contributing_agents = [...input.contributingAgents];
  d.route = input.route;
  d.orchestrated_at = decidedAt;
  d.timings = {
    first_signal_at: isoTime(input.firstSignalAtMs),
    decided_at: decidedAt,
    latency_ms: Math.max(0, input.decidedAtMs - input.firstSignalAtMs),
  };
  if (input.stages !== undefined) d.stages = [...input.stages];
  if (input.workflowId !== undefined) d.workflow_id = input.workflowId;
  return d as Decision;
}

/** `T` with its keys writable and, until assigned, absent (a record built key by key). */
type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** The audit metadata the caller knows (the document's `metadata` block). */
export interface AuditMetadata {
  readonly processingTimeMs: number;
  /** e.g. `fan_in`, `conditional_routing`. */
  readonly pattern: string;
  readonly timeoutOccurred: boolean;
  readonly errorCount?: number;
}

/**
 * Builds the audit entry in the Orchestration Model document's shape: per agent, its version,
 * its analysis' `confidence` (null when it has none) and its `enriched_at`.
 */
export function buildAuditEntry(
  decision: Decision,
  signals: SignalSet,
  orchestratorVersion: string,
  metadata: AuditMetadata,
): DecisionAuditEntry {
  const inputs: DecisionAuditEntry['input_signals'] = {};
  for (const agent of agentNames(signals)) {
    const signal = getSignal(signals, agent)!;
    const confidence = signal.analysis['confidence'];
    inputs[agent] = {
      agent_version: signal.agent_version,
      confidence: typeof confidence === 'number' && Number.isFinite(confidence) ? confidence : null,
      timestamp: signal.enriched_at,
    };
  }
  return {
    corr_id: decision.corr_id,
    timestamp: decision.orchestrated_at,
    orchestrator_version: orchestratorVersion,
    input_signals: inputs,
    // Shared, not copied: decisions are frozen once built.
    decision,
    metadata: {
      processing_time_ms: metadata.processingTimeMs,
      orchestration_pattern: metadata.pattern,
      timeout_occurred: metadata.timeoutOccurred,
      error_count: metadata.errorCount ?? 0,
    },
  };
}
