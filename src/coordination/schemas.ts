/**
 * The coordinator's wire shapes, snake_case as the source documents write them: the normalized
 * signal agents receive, the enriched signal they emit, the orchestrated decision and its audit
 * entry. Agent analyses (what policies read) are in analyses.ts.
 */
import { z } from 'zod';
import { parseWith } from './validation.ts';

/** An ISO-8601 timestamp; with `Z`, an offset, or none (Python's `utcnow().isoformat()`, read as UTC). */
export const isoTimestamp = z.iso.datetime({
  local: true,
  offset: true,
  error: 'must be an ISO-8601 timestamp such as 2026-01-02T03:04:05.000Z',
});

/** A number in [0, 1]. */
export const unitInterval = z
  .number({ error: 'must be a number between 0 and 1' })
  .min(0, { error: 'must be between 0 and 1' })
  .max(1, { error: 'must be between 0 and 1' });

const nonEmpty = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must not be empty' });
const jsonObject = z.record(z.string(), z.unknown(), { error: 'must be an object' });

/**
 * A market event on `signals.normalized`, the input every agent analyses.
 * @remarks Unknown keys are kept, not stripped: the coordinator passes agent data on untouched.
 */
export const normalizedSignalSchema = z.looseObject({
  corr_id: nonEmpty,
  instrument: nonEmpty,
  timestamp: isoTimestamp,
  source: nonEmpty,
  signal_type: nonEmpty.optional(),
  payload: jsonObject,
});
/** A validated {@link normalizedSignalSchema}. */
export type NormalizedSignal = z.output<typeof normalizedSignalSchema>;

/** One agent's output on `signals.enriched.<agent>`: its analysis of a normalized signal. */
export const enrichedSignalSchema = z.looseObject({
  corr_id: nonEmpty,
  agent_name: nonEmpty,
  agent_version: nonEmpty,
  enriched_at: isoTimestamp,
  analysis: jsonObject,
  source_signal: normalizedSignalSchema,
});
/** A validated {@link enrichedSignalSchema}. */
export type EnrichedSignal = z.output<typeof enrichedSignalSchema>;

/** Every action a decision can carry, from most to least willing to trade (bar `insufficient_data`). */
export const DECISION_ACTIONS = [
  'trade',
  'trade_with_caution',
  'monitor',
  'no_trade',
  'insufficient_data',
] as const;
/** One of {@link DECISION_ACTIONS}. */
export type DecisionAction = (typeof DECISION_ACTIONS)[number];
/** The action enum schema. */
export const decisionActionSchema = z.enum(DECISION_ACTIONS);

/** A trade direction; a `neutral` trend never becomes a trade, so it has no direction. */
export const directionSchema = z.enum(['up', 'down']);
/** One of `up`, `down`. */
export type Direction = z.output<typeof directionSchema>;

/** Where a decision was routed (conditional routing) and the execution constraints the rule adds. */
export const routeSchema = z.strictObject({
  rule: nonEmpty,
  subject: nonEmpty,
  position_multiplier: z.number().min(0).max(1).optional(),
  additional_checks: z.array(nonEmpty).optional(),
  strategy: nonEmpty.optional(),
});
/** A validated {@link routeSchema}. */
export type Route = z.output<typeof routeSchema>;

/** The coordinator's output on `orchestrated.decision`, with its provenance. */
export const decisionSchema = z.strictObject({
  corr_id: nonEmpty,
  decision_id: nonEmpty,
  action: decisionActionSchema,
  direction: directionSchema.optional(),
  size: z.number().min(0).optional(),
  reason: nonEmpty,
  confidence: unitInterval,
  policy: nonEmpty,
  partial: z.boolean(),
  missing_agents: z.array(nonEmpty),
  contributing_agents: z.array(nonEmpty),
  route: routeSchema,
  orchestrated_at: isoTimestamp,
  timings: z.strictObject({
    first_signal_at: isoTimestamp,
    decided_at: isoTimestamp,
    latency_ms: z.number().min(0),
  }),
  /** The sequential pattern's stages, in the order they ran (absent for a policy's decision). */
  stages: z
    .array(
      z.discriminatedUnion('status', [
        z.strictObject({
          stage: nonEmpty,
          status: z.literal('passed'),
          result: z.record(z.string(), z.unknown()),
        }),
        z.strictObject({ stage: nonEmpty, status: z.literal('stopped'), reason: nonEmpty }),
      ]),
    )
    .optional(),
  /** The workflow run that carried the stages. */
  workflow_id: nonEmpty.optional(),
});
/** A validated {@link decisionSchema}. */
export type Decision = z.output<typeof decisionSchema>;

/**
 * One audit record per decision, in the Orchestration Model document's shape.
 * @remarks Named `DecisionAuditEntry` because core's `AuditEntry` is the operator audit log.
 */
export const decisionAuditEntrySchema = z.strictObject({
  corr_id: nonEmpty,
  timestamp: isoTimestamp,
  orchestrator_version: nonEmpty,
  input_signals: z.record(
    z.string(),
    z.strictObject({
      agent_version: z.string().nullable(),
      confidence: z.number().nullable(),
      timestamp: z.string().nullable(),
    }),
  ),
  decision: decisionSchema,
  metadata: z.strictObject({
    processing_time_ms: z.number().min(0),
    orchestration_pattern: nonEmpty,
    timeout_occurred: z.boolean(),
    error_count: z.number().int().min(0),
  }),
});
/** A validated {@link decisionAuditEntrySchema}. */
export type DecisionAuditEntry = z.output<typeof decisionAuditEntrySchema>;

/** Validates a normalized signal; throws ValidationError naming the field (`source_signal.instrument: ...`). */
export function parseSignal(input: unknown): NormalizedSignal {
  return parseWith(normalizedSignalSchema, input);
}

/** Validates an enriched signal; throws ValidationError naming the field (`analysis: must be an object`). */
export function parseEnriched(input: unknown): EnrichedSignal {
  return parseWith(enrichedSignalSchema, input);
}

/** The timestamp schema's own pattern, so the fast path accepts exactly the strings it accepts. */
const ISO_PATTERN = (isoTimestamp as unknown as { _zod: { def: { pattern: RegExp } } })._zod.def.pattern;

function plainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function text(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0;
}

/** The last timestamp the pattern accepted: a correlation's signals share theirs, so most checks end here. */
let lastTimestamp: string | undefined;

function timestamp(v: unknown): boolean {
  if (v === lastTimestamp && v !== undefined) return true;
  if (typeof v !== 'string' || !ISO_PATTERN.test(v)) return false;
  lastTimestamp = v;
  return true;
}

/**
 * True only for enriched signals the schema certainly accepts (plain objects throughout). On the
 * coordinator's hot path it lets a well-formed signal skip zod; anything else goes through the
 * schema, which stays the one source of truth and of error messages (property-tested to agree).
 */
export function obviouslyValidEnriched(v: unknown): v is EnrichedSignal {
  if (!plainObject(v)) return false;
  const src = v['source_signal'];
  return (
    text(v['corr_id']) &&
    text(v['agent_name']) &&
    text(v['agent_version']) &&
    timestamp(v['enriched_at']) &&
    plainObject(v['analysis']) &&
    plainObject(src) &&
    text(src['corr_id']) &&
    text(src['instrument']) &&
    timestamp(src['timestamp']) &&
    text(src['source']) &&
    (src['signal_type'] === undefined || text(src['signal_type'])) &&
    plainObject(src['payload'])
  );
}

/**
 * Validates an enriched signal without copying it when it is obviously valid (see
 * {@link obviouslyValidEnriched}); otherwise parses it with the schema (a copy).
 * @remarks The caller must treat the result as read-only: it may be the input itself.
 */
export function checkEnriched(input: unknown): EnrichedSignal {
  return obviouslyValidEnriched(input) ? input : parseEnriched(input);
}

/** Validates a decision; throws ValidationError naming the field. */
export function parseDecision(input: unknown): Decision {
  return parseWith(decisionSchema, input);
}
