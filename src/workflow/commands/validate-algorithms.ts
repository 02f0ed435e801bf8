import { z } from 'zod';
import { ConclaveError } from '../../core/errors.ts';
import type { ItemOutcome } from '../join.ts';
import type { CommandDeps, CommandModule } from './command-types.ts';
import { SETTINGS } from './command-types.ts';
import { strategyName } from './restart-discovery.ts';
import { auditOnce } from './system-builtins.ts';

/** VALIDATE_ALGORITHMS parameters. */
export const validateAlgorithmsParams = z.strictObject({
  strategies: z
    .array(strategyName, 'must be a list of strategy names')
    .min(1, 'must name at least one strategy')
    .max(20, 'must name at most 20 strategies')
    .refine((s) => new Set(s).size === s.length, 'must not repeat a strategy'),
  validation_period: z
    .string('must be a period like 30D, 12W, 6M or 1Y')
    .regex(/^[1-9][0-9]{0,2}[DWMY]$/, 'must be a period like 30D, 12W, 6M or 1Y'),
});

/** One strategy's backtest figures, as ranked. */
export interface RankedStrategy {
  strategy: string;
  sharpe_ratio: number;
  total_return: number;
}

/** The performance analysis: succeeded strategies best first, failed ones with their error. */
export interface PerformanceAnalysis {
  ranking: RankedStrategy[];
  failed: { strategy: string; error: string }[];
  best: string;
}

function figure(result: unknown, key: 'sharpe_ratio' | 'total_return'): number {
  const v = (result as Record<string, unknown> | null)?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : Number.NEGATIVE_INFINITY;
}

/** Ranks backtest outcomes by Sharpe ratio, then total return; fails when every backtest failed. */
export function analyzePerformance(
  strategies: readonly string[],
  outcomes: readonly ItemOutcome[],
): PerformanceAnalysis {
  const ranking: RankedStrategy[] = [];
  const failed: PerformanceAnalysis['failed'] = [];
  for (const o of outcomes) {
    const strategy = strategies[o.index] ?? `#${o.index}`;
    if (o.status === 'failed') failed.push({ strategy, error: o.error });
    else
      ranking.push({
        strategy,
        sharpe_ratio: figure(o.result, 'sharpe_ratio'),
        total_return: figure(o.result, 'total_return'),
      });
  }
  ranking.sort((a, b) => b.sharpe_ratio - a.sharpe_ratio || b.total_return - a.total_return);
  const best = ranking[0];
  if (best === undefined) {
    const why = failed.map((f) => `${f.strategy}: ${f.error}`).join('; ');
    throw new ConclaveError('AGENT_ERROR', `every backtest failed (${why})`, {
      retryable: false,
      details: { failed },
    });
  }
  return { ranking, failed, best: best.strategy };
}

const B = {
  analyze: 'commands.analyze_performance',
  recommend: 'commands.generate_recommendations',
} as const;

/**
 * VALIDATE_ALGORITHMS: fetch the validation period's data, backtest every strategy, rank them,
 * optimize the best one's parameters, then store the report (settings `validation.last_report`)
 * and audit it (`algorithm_validation`).
 */
export function validateAlgorithmsCommand(deps: CommandDeps): CommandModule {
  const period = { $from: 'input.validation_period' };
  return {
    definition: {
      name: 'validate_algorithms',
      description: 'Backtests, ranks and optimizes trading strategies',
      steps: [
        { id: 'preparing_validation_data', kind: 'task', pattern: 'fetch_market_data', payload: { period } },
        {
          id: 'running_backtests',
          kind: 'task',
          pattern: 'backtest.run',
          payload: { strategy: { $from: 'item' }, period },
          forEach: { items: 'input.strategies', join: 'continue_on_error' },
          dependsOn: ['preparing_validation_data'],
        },
        {
          id: 'analyzing_performance',
          kind: 'builtin',
          builtin: B.analyze,
          params: {
            strategies: { $from: 'input.strategies' },
            outcomes: { $from: 'steps.running_backtests.result' },
          },
          dependsOn: ['running_backtests'],
        },
        {
          id: 'optimizing_parameters',
          kind: 'task',
          pattern: 'strategy.optimize',
          payload: { strategy: { $from: 'steps.analyzing_performance.result.best' }, period },
          dependsOn: ['analyzing_performance'],
        },
        {
          id: 'generating_recommendations',
          kind: 'builtin',
          builtin: B.recommend,
          params: {
            period,
            analysis: { $from: 'steps.analyzing_performance.result' },
            optimization: { $from: 'steps.optimizing_parameters.result' },
            requested_by: { $from: 'input.requested_by' },
          },
          dependsOn: ['optimizing_parameters'],
        },
      ],
    },
    builtins: {
      [B.analyze]: (params) => {
        const { strategies, outcomes } = params as { strategies: string[]; outcomes: ItemOutcome[] };
        return Promise.resolve(analyzePerformance(strategies, outcomes));
      },
      [B.recommend]: async (params, ctx) => {
        const p = params as {
          period: string;
          analysis: PerformanceAnalysis;
          optimization: unknown;
          requested_by: string | null;
        };
        const { ranking, failed, best } = p.analysis;
        const recommendations = [
          `deploy ${best} with the optimized parameters`,
          ...ranking.slice(1).map((r) => `keep ${r.strategy} as an alternative (sharpe ${r.sharpe_ratio})`),
          ...failed.map((f) => `investigate ${f.strategy}: its backtest failed`),
        ];
        const report = {
          run_id: ctx.runId,
          period: p.period,
          generated_at: new Date(deps.clock.now()).toISOString(),
          best,
          ranking,
          failed,
          optimization: p.optimization,
          recommendations,
        };
        await deps.store.settings.set(
          SETTINGS.lastValidationReport,
          report,
          p.requested_by,
          deps.clock.now(),
        );
        const auditId = await auditOnce(deps, ctx, 'algorithm_validation', p.requested_by, report);
        return { ...report, audit_id: auditId };
      },
    },
  };
}
