import { z } from 'zod';
import { ConclaveError } from '../../core/errors.ts';
import type { CommandDeps, CommandModule } from './command-types.ts';
import { SETTINGS } from './command-types.ts';
import {
  discoveryAgents,
  discoverySelector,
  dispatchTask,
  drain,
  SYSTEM_BUILTINS,
} from './system-builtins.ts';

/** Strategy names: what discovery agents are told to run. */
const STRATEGY_RULE = 'must be a strategy name of 1–64 letters, digits, _ . or - (e.g. hybrid_v1)';
export const strategyName = z.string(STRATEGY_RULE).regex(/^[A-Za-z0-9_.-]{1,64}$/, STRATEGY_RULE);

/** RESTART_DISCOVERY_SYSTEM parameters. */
export const restartDiscoveryParams = z.strictObject({
  force_stop: z.boolean('must be true or false').default(false),
  strategy: strategyName,
});

const B = {
  stop: 'commands.stop_discovery_workers',
  clear: 'commands.clear_discovery_queue',
  restart: 'commands.restart_discovery_service',
  validate: 'commands.validate_discovery_health',
} as const;

/**
 * RESTART_DISCOVERY_SYSTEM: stop the discovery workers (disable them; cancel their tasks with
 * `force_stop`, else drain them), clear their queue, restart the service through the dispatcher
 * and bring the workers back, check their health, persist the strategy.
 */
export function restartDiscoveryCommand(deps: CommandDeps): CommandModule {
  const reason = (runId: string): string => `restart_discovery_system ${runId}`;
  return {
    definition: {
      name: 'restart_discovery_system',
      description: 'Restarts the discovery workers and service with a strategy',
      steps: [
        {
          id: 'stopping_rq_workers',
          kind: 'builtin',
          builtin: B.stop,
          params: { force_stop: { $from: 'input.force_stop' } },
        },
        { id: 'clearing_job_queue', kind: 'builtin', builtin: B.clear, dependsOn: ['stopping_rq_workers'] },
        {
          id: 'restarting_discovery_service',
          kind: 'builtin',
          builtin: B.restart,
          params: {
            strategy: { $from: 'input.strategy' },
            agents: { $from: 'steps.stopping_rq_workers.result.agents' },
          },
          dependsOn: ['clearing_job_queue'],
        },
        {
          id: 'validating_system_health',
          kind: 'builtin',
          builtin: B.validate,
          params: { agents: { $from: 'steps.stopping_rq_workers.result.agents' } },
          dependsOn: ['restarting_discovery_service'],
        },
        {
          id: 'updating_configuration',
          kind: 'builtin',
          builtin: SYSTEM_BUILTINS.setting,
          params: {
            entries: { [SETTINGS.discoveryStrategy]: { $from: 'input.strategy' } },
            by: { $from: 'input.requested_by' },
          },
          dependsOn: ['validating_system_health'],
        },
      ],
    },
    builtins: {
      [B.stop]: async (params, ctx) => {
        const force = (params as { force_stop?: boolean }).force_stop === true;
        const agents = discoveryAgents(deps);
        if (agents.length === 0) {
          throw new ConclaveError(
            'AGENT_UNAVAILABLE',
            `no agent serves '${deps.options.discoveryCapability}'`,
            {
              retryable: false,
            },
          );
        }
        for (const name of agents) deps.registry.disable(name, reason(ctx.runId));
        if (force) {
          const cancelled = deps.dispatcher.cancelMatching(discoverySelector(deps), reason(ctx.runId));
          return { agents, force_stop: true, cancelled };
        }
        try {
          await drain(deps, agents, deps.options.drainTimeoutMs, ctx.signal);
        } catch (err) {
          // Nothing was restarted: the workers go back to work as they were.
          for (const name of agents) deps.registry.enable(name);
          throw err;
        }
        return { agents, force_stop: false, cancelled: 0 };
      },
      [B.clear]: (_params, ctx) =>
        Promise.resolve({
          cancelled: deps.dispatcher.cancelMatching(discoverySelector(deps), reason(ctx.runId)),
        }),
      [B.restart]: async (params, ctx) => {
        const { strategy, agents } = params as { strategy: string; agents: string[] };
        const result = await dispatchTask(deps, ctx, 'discovery.restart', { strategy });
        for (const name of agents) deps.registry.enable(name);
        return { restarted: result ?? null, enabled: agents };
      },
      [B.validate]: async (params) => {
        const { agents } = params as { agents: string[] };
        const breakers = deps.dispatcher.breakers();
        const problems = agents.flatMap((name) => {
          const out: string[] = [];
          if (!deps.registry.isAvailable(name)) out.push(`${name} is not available`);
          const state = breakers[name]?.state ?? 'closed';
          if (state !== 'closed') out.push(`${name}'s circuit is ${state}`);
          return out;
        });
        const store = await deps.store.ping();
        if (!store) problems.push('the store does not answer');
        if (problems.length > 0) {
          throw new ConclaveError('AGENT_UNAVAILABLE', `discovery system unhealthy: ${problems.join('; ')}`, {
            retryable: false,
            details: { problems },
          });
        }
        return { agents, store };
      },
    },
  };
}
