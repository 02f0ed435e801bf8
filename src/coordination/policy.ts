/** The decision policy interface: turns the signals joined for one correlation id into an outcome. */
import type { DecisionAction, Direction } from './schemas.ts';
import type { SignalSet } from './signal-set.ts';

/** What the fan-in knows about completeness when it asks for a decision. */
export interface PolicyContext {
  /** True when the decision is made without every required agent (timeout, minimum agents reached). */
  readonly partial: boolean;
  /** Required agents that did not report. */
  readonly missing: readonly string[];
}

/** A policy's verdict, before routing. */
export interface PolicyOutcome {
  readonly action: DecisionAction;
  readonly direction?: Direction;
  /** Position size, in the risk agent's units. */
  readonly size?: number;
  /** A snake_case reason code, optionally followed by a note (e.g. on renormalised weights). */
  readonly reason: string;
  /** In [0, 1]; never NaN. */
  readonly confidence: number;
}

/**
 * `base` with `reason`, `confidence` and (when given) `size` replaced, built key by key in the
 * record's order. Not `{ ...base, … }`: see `core/records.ts` on spreads and hidden classes.
 */
export function outcomeWith(
  base: Omit<PolicyOutcome, 'confidence'>,
  reason: string,
  confidence: number,
  size: number | undefined = base.size,
): PolicyOutcome {
  const o: { -readonly [K in keyof PolicyOutcome]?: PolicyOutcome[K] } = { action: base.action };
  if (base.direction !== undefined) o.direction = base.direction;
  if (size !== undefined) o.size = size;
  o.reason = reason;
  o.confidence = confidence;
  return o as PolicyOutcome;
}

/**
 * A pure decision rule.
 * @remarks Implementations never mutate `signals` (the immutability principle: the orchestrator
 * never changes an agent's output), never return NaN, and handle absent agents explicitly rather
 * than throwing; a malformed analysis is a ValidationError naming the field.
 */
export interface DecisionPolicy {
  readonly name: string;
  /** The agents a complete decision needs; the fan-in waits for these. */
  readonly requiredAgents?: readonly string[];
  decide(signals: SignalSet, context: PolicyContext): PolicyOutcome;
}
