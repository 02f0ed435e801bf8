import { z } from 'zod';
import type { CommandDeps, CommandModule } from './command-types.ts';

/** status_report takes no parameters. */
export const statusReportParams = z.strictObject({});

const BUILTIN = 'commands.status_report';

/** status_report: the workflow summary, dispatcher counters, agent counts and halts in force. */
export function statusReportCommand(deps: CommandDeps): CommandModule {
  return {
    definition: {
      name: 'status_report',
      description: 'Reports workflow, dispatcher and agent status',
      steps: [{ id: 'generating_status_report', kind: 'builtin', builtin: BUILTIN }],
    },
    builtins: {
      [BUILTIN]: async () => ({
        workflows: (await deps.workflows.getAllWorkflowsStatus()).summary,
        dispatcher: deps.dispatcher.stats(),
        agents: deps.registry.statusCounts(),
        halts: deps.dispatcher.halts().map((h) => ({ id: h.id, reason: h.reason, since: h.since })),
      }),
    },
  };
}
