/** The enriched signals joined for one correlation id, keyed by agent name, as a Map or a plain record. */
import type { EnrichedSignal } from './schemas.ts';

/** Enriched signals by agent name; policies accept either form and never write to it. */
export type SignalSet = ReadonlyMap<string, EnrichedSignal> | Readonly<Record<string, EnrichedSignal>>;

function isMap(signals: SignalSet): signals is ReadonlyMap<string, EnrichedSignal> {
  return signals instanceof Map;
}

/** The signal from `agent`, or undefined when that agent has not reported (own keys only). */
export function getSignal(signals: SignalSet, agent: string): EnrichedSignal | undefined {
  if (isMap(signals)) return signals.get(agent);
  return Object.hasOwn(signals, agent) ? signals[agent] : undefined;
}

/** The agents that reported, in insertion order. */
export function agentNames(signals: SignalSet): string[] {
  return isMap(signals) ? [...signals.keys()] : Object.keys(signals);
}

/** The signals as `[agent, signal]` pairs, in insertion order. */
export function signalEntries(signals: SignalSet): [string, EnrichedSignal][] {
  return isMap(signals) ? [...signals.entries()] : Object.entries(signals);
}
