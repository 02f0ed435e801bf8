/**
 * Wraps an agent's analysis in the coordinator's enriched-signal shape, for `signals.enriched.<agent>`.
 */
import { checkEnriched, type EnrichedSignal, type NormalizedSignal } from '../../coordination/index.ts';
import { ValidationError } from '../../core/index.ts';
import { copyRecord } from '../../core/records.ts';

/**
 * Builds and validates the enriched signal for `analysis` of `sourceSignal`.
 * @remarks `enrichedAt` is passed in (a bar time in a backtest, the injected clock live) so the
 * function stays pure; epoch milliseconds and Dates become ISO-8601 strings. The `corr_id` is the
 * source signal's, which is what lets the coordinator join the agents' outputs.
 * @throws ValidationError naming the field when the result does not parse with the coordinator's schema.
 */
export function toEnrichedSignal(
  agentName: string,
  agentVersion: string,
  analysis: Readonly<Record<string, unknown>>,
  sourceSignal: NormalizedSignal,
  enrichedAt: Date | number | string,
): EnrichedSignal {
  return checkEnriched({
    corr_id: sourceSignal.corr_id,
    agent_name: agentName,
    agent_version: agentVersion,
    enriched_at: isoOf(enrichedAt),
    analysis: copyRecord(analysis),
    source_signal: sourceSignal,
  });
}

function isoOf(value: Date | number | string): string {
  if (typeof value === 'string') return value;
  const date = typeof value === 'number' ? new Date(value) : value;
  if (Number.isNaN(date.getTime()))
    throw new ValidationError('enriched_at', `must be a valid time (got ${String(value)})`);
  return date.toISOString();
}
