import { z } from 'zod';
import { ConclaveError } from '../../core/errors.ts';
import type { ItemOutcome } from '../join.ts';
import type { CommandDeps, CommandModule } from './command-types.ts';
import { SETTINGS } from './command-types.ts';
import { dispatchTask, SYSTEM_BUILTINS } from './system-builtins.ts';

const SOURCE_RULE = 'must be a data source name of 1–64 letters, digits, _ . or - (e.g. polygon)';
const sourceName = z.string(SOURCE_RULE).regex(/^[A-Za-z0-9_.-]{1,64}$/, SOURCE_RULE);

/** INTEGRATE_REAL_DATA parameters; `sources` (primary first, no repeats) is derived. */
export const integrateRealDataParams = z
  .strictObject({
    primary_source: sourceName,
    fallback_sources: z.array(sourceName, 'must be a list of data source names').max(10).default([]),
  })
  .transform((p) => ({ ...p, sources: [...new Set([p.primary_source, ...p.fallback_sources])] }));

const B = { switch: 'commands.switch_data_sources', test: 'commands.test_data_flow' } as const;

/**
 * The sources whose validation task completed and did not answer `{ valid: false }`, in the
 * order given (primary first).
 */
export function validSources(sources: readonly string[], outcomes: readonly ItemOutcome[]): string[] {
  return outcomes
    .filter((o) => o.status === 'completed' && (o.result as { valid?: unknown } | null)?.valid !== false)
    .sort((a, b) => a.index - b.index)
    .flatMap((o) => (sources[o.index] === undefined ? [] : [sources[o.index] as string]));
}

function describeFailures(sources: readonly string[], outcomes: readonly ItemOutcome[]): string {
  return outcomes
    .map(
      (o) => `${sources[o.index] ?? `#${o.index}`} (${o.status === 'failed' ? o.error : 'reported invalid'})`,
    )
    .join(', ');
}

/**
 * INTEGRATE_REAL_DATA: validate every source through `market_data.validate_source`, configure the
 * valid ones as the chain (primary first), reload the algorithms on it, fetch SPY bars to prove
 * data flows, then record the chain and enable real-data trading in settings.
 */
export function integrateRealDataCommand(deps: CommandDeps): CommandModule {
  return {
    definition: {
      name: 'integrate_real_data',
      description: 'Switches the system from mock data to real market data sources',
      tags: ['trading'],
      steps: [
        {
          id: 'validating_data_connections',
          kind: 'task',
          pattern: 'market_data.validate_source',
          payload: { source: { $from: 'item' } },
          forEach: { items: 'input.sources', join: 'continue_on_error' },
        },
        {
          id: 'switching_data_sources',
          kind: 'builtin',
          builtin: B.switch,
          params: {
            sources: { $from: 'input.sources' },
            outcomes: { $from: 'steps.validating_data_connections.result' },
          },
          dependsOn: ['validating_data_connections'],
        },
        {
          id: 'updating_algorithms',
          kind: 'task',
          pattern: 'algorithms.reload',
          payload: { source_chain: { $from: 'steps.switching_data_sources.result.chain' } },
          dependsOn: ['switching_data_sources'],
        },
        { id: 'testing_data_flow', kind: 'builtin', builtin: B.test, dependsOn: ['updating_algorithms'] },
        {
          id: 'enabling_real_trading',
          kind: 'builtin',
          builtin: SYSTEM_BUILTINS.setting,
          params: {
            entries: {
              [SETTINGS.sourceChain]: { $from: 'steps.switching_data_sources.result.chain' },
              [SETTINGS.realDataEnabled]: true,
            },
            by: { $from: 'input.requested_by' },
          },
          dependsOn: ['testing_data_flow'],
        },
      ],
    },
    builtins: {
      [B.switch]: async (params, ctx) => {
        const { sources, outcomes } = params as { sources: string[]; outcomes: ItemOutcome[] };
        const chain = validSources(sources, outcomes);
        if (chain.length === 0) {
          throw new ConclaveError(
            'AGENT_ERROR',
            `no valid market data source: ${describeFailures(sources, outcomes)}`,
            { retryable: false, details: { sources } },
          );
        }
        const configured = await dispatchTask(deps, ctx, 'market_data.configure', { chain });
        return { chain, rejected: sources.filter((s) => !chain.includes(s)), configured: configured ?? null };
      },
      [B.test]: async (_params, ctx) => {
        const result = await dispatchTask(deps, ctx, 'fetch_market_data', { symbol: 'SPY', limit: 5 });
        const bars = barsOf(result);
        if (bars.length === 0) {
          throw new ConclaveError(
            'AGENT_ERROR',
            'data flow test failed: fetch_market_data returned no bars for SPY',
            {
              retryable: false,
            },
          );
        }
        return { symbol: 'SPY', bars: bars.length };
      },
    },
  };
}

/** The bars of a market data answer: `{ bars: [...] }` or a bare list. */
function barsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  const bars = (result as { bars?: unknown } | null)?.bars;
  return Array.isArray(bars) ? bars : [];
}
