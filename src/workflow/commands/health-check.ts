import { z } from 'zod';
import type { CommandDeps, CommandModule } from './command-types.ts';
import { SYSTEM_BUILTINS } from './system-builtins.ts';

/** health_check takes no parameters. */
export const healthCheckParams = z.strictObject({});

/**
 * health_check: one step reporting agent status counts, open breakers, queue sizes, active and
 * queued workflows and the store ping, as `healthy`, `degraded` or `unhealthy`.
 */
export function healthCheckCommand(_deps: CommandDeps): CommandModule {
  return {
    definition: {
      name: 'health_check',
      description: 'Reports the health of agents, dispatcher, workflows and store',
      steps: [{ id: 'checking_system_health', kind: 'builtin', builtin: SYSTEM_BUILTINS.health }],
    },
    builtins: {},
  };
}
