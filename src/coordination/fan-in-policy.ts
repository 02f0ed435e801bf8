/**
 * Fan-in options: which agents a correlation waits for, how long, and how long its state lives;
 * the documents' three profiles as named presets; overrides by instrument and by signal type.
 */
import { ValidationError } from '../core/errors.ts';

/** A complete, validated fan-in policy for one correlation. */
export interface FanInPolicy {
  /** Agents a complete decision needs; the decision is made the moment all of them are in. */
  readonly requiredAgents: readonly string[];
  /** At the deadline, at least this many signals make a partial decision; fewer is `insufficient_data`. */
  readonly minAgents: number;
  /** From the first signal of a correlation to its deadline. */
  readonly decisionTimeoutMs: number;
  /** How long a correlation's signals are kept (from its first signal); longer than the timeout. */
  readonly stateTtlMs: number;
}

/** The documents' configuration profiles (`ORCHESTRATOR_TYPE` with its variables). */
export const FAN_IN_PROFILES = {
  /** Momentum and risk, 60 s. */
  simple: { requiredAgents: ['momentum', 'risk'], minAgents: 2, decisionTimeoutMs: 60_000 },
  /** Momentum, risk and correlation, 300 s. */
  workflow: {
    requiredAgents: ['momentum', 'risk', 'correlation'],
    minAgents: 3,
    decisionTimeoutMs: 300_000,
  },
  /** The policy's agents, but one is enough at a 10 s deadline; state lives 60 s. */
  high_frequency: { minAgents: 1, decisionTimeoutMs: 10_000, stateTtlMs: 60_000 },
} as const satisfies Record<string, Partial<FanInPolicy>>;

/** One of the {@link FAN_IN_PROFILES} names. */
export type FanInProfile = keyof typeof FAN_IN_PROFILES;

/** A fan-in policy as written: a profile to start from and fields that replace its values. */
export interface FanInOptions {
  profile?: FanInProfile;
  requiredAgents?: readonly string[];
  minAgents?: number;
  decisionTimeoutMs?: number;
  stateTtlMs?: number;
}

/** Fan-in options with overrides; an instrument's override wins over a signal type's. */
export interface FanInConfig extends FanInOptions {
  /** By instrument (e.g. `BTC/USD`), applied over the base and the signal type's override. */
  byInstrument?: Readonly<Record<string, FanInOptions>>;
  /** By the normalized signal's `signal_type`, applied over the base. */
  bySignalType?: Readonly<Record<string, FanInOptions>>;
}

/** State outlives the deadline by this factor unless told otherwise, so the deadline can still claim it. */
const DEFAULT_TTL_FACTOR = 2;

function layer(base: FanInOptions, over: FanInOptions | undefined): FanInOptions {
  if (over === undefined) return base;
  const fromProfile = over.profile === undefined ? {} : FAN_IN_PROFILES[over.profile];
  return { ...base, ...fromProfile, ...over };
}

function positive(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ValidationError(field, `must be a positive whole number, got ${value}`);
  }
}

/**
 * Resolves and validates the fan-in policy for a signal.
 * @param defaultAgents the decision policy's required agents, used when no layer names any.
 * @throws ValidationError naming the field when minAgents is not in [1, requiredAgents.length] or
 * the TTL does not outlive the deadline.
 */
export function resolveFanIn(
  config: FanInConfig,
  defaultAgents: readonly string[],
  instrument: string | undefined,
  signalType: string | undefined,
  field = 'fan_in',
): FanInPolicy {
  let merged = layer({}, { ...config, profile: config.profile ?? 'simple' });
  if (signalType !== undefined) merged = layer(merged, config.bySignalType?.[signalType]);
  if (instrument !== undefined) merged = layer(merged, config.byInstrument?.[instrument]);
  const requiredAgents = [...(merged.requiredAgents ?? defaultAgents)];
  const decisionTimeoutMs = merged.decisionTimeoutMs ?? FAN_IN_PROFILES.simple.decisionTimeoutMs;
  const stateTtlMs = merged.stateTtlMs ?? decisionTimeoutMs * DEFAULT_TTL_FACTOR;
  const minAgents = merged.minAgents ?? requiredAgents.length;
  if (requiredAgents.length === 0) {
    throw new ValidationError(`${field}.requiredAgents`, 'must name at least one agent');
  }
  positive(`${field}.decisionTimeoutMs`, decisionTimeoutMs);
  positive(`${field}.stateTtlMs`, stateTtlMs);
  if (!Number.isSafeInteger(minAgents) || minAgents < 1 || minAgents > requiredAgents.length) {
    throw new ValidationError(
      `${field}.minAgents`,
      `must be a whole number between 1 and ${requiredAgents.length} (the required agents), got ${minAgents}`,
    );
  }
  if (stateTtlMs <= decisionTimeoutMs) {
    throw new ValidationError(
      `${field}.stateTtlMs`,
      `must be greater than decisionTimeoutMs (${decisionTimeoutMs}) so the deadline still finds the signals, got ${stateTtlMs}`,
    );
  }
  return { requiredAgents, minAgents, decisionTimeoutMs, stateTtlMs };
}
