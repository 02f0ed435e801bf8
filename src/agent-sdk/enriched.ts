import type { EnrichedSignal, NormalizedSignal } from '../coordination/schemas.ts';

/** Extra fields of an enriched signal. */
export interface EnrichOptions {
  /** The normalized signal analysed; default a minimal one naming `instrument`. */
  sourceSignal?: NormalizedSignal;
  /** Used when no `sourceSignal` is given. Default `UNKNOWN`. */
  instrument?: string;
  signalType?: string;
}

/**
 * An enriched signal in the documents' shape (`corr_id`, `agent_name`, `agent_version`,
 * `enriched_at`, `analysis`, `source_signal`), as the coordinator parses it.
 */
export function enrichedSignal(
  agent: string,
  version: string,
  corrId: string,
  analysis: Record<string, unknown>,
  nowMs: number,
  options: EnrichOptions = {},
): EnrichedSignal {
  const at = new Date(nowMs).toISOString();
  const source: NormalizedSignal = options.sourceSignal ?? {
    corr_id: corrId,
    instrument: options.instrument ?? 'UNKNOWN',
    timestamp: at,
    source: agent,
    ...(options.signalType === undefined ? {} : { signal_type: options.signalType }),
    payload: {},
  };
  return {
    corr_id: corrId,
    agent_name: agent,
    agent_version: version,
    enriched_at: at,
    analysis,
    source_signal: source,
  };
}
