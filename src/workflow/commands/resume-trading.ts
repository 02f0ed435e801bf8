import { z } from 'zod';
import { ConclaveError } from '../../core/errors.ts';
import type { CommandDeps, CommandModule } from './command-types.ts';
import { SETTINGS } from './command-types.ts';
import { activeEmergencyStop, reasonText, type EmergencyStopSetting } from './emergency-stop.ts';
import { auditOnce } from './system-builtins.ts';

/** resume_trading parameters. */
export const resumeTradingParams = z.strictObject({ reason: reasonText });

const BUILTIN = 'commands.resume_trading';

/**
 * resume_trading: lifts the halts recorded by the emergency stop in force, marks it inactive and
 * audits it (`trading_resumed`); fails with `CONFLICT` when no stop is in force.
 */
export function resumeTradingCommand(deps: CommandDeps): CommandModule {
  return {
    definition: {
      name: 'resume_trading',
      description: 'Lifts an emergency stop',
      steps: [
        {
          id: 'resuming_trading',
          kind: 'builtin',
          builtin: BUILTIN,
          params: { reason: { $from: 'input.reason' }, requested_by: { $from: 'input.requested_by' } },
        },
      ],
    },
    builtins: {
      [BUILTIN]: async (p, ctx) => {
        const { reason: why, requested_by: requester } = p as { reason: string; requested_by: string | null };
        const stop = await activeEmergencyStop(deps);
        if (stop === undefined) {
          throw new ConclaveError('CONFLICT', 'no emergency stop is in force', { retryable: false });
        }
        const inForce = new Set(deps.dispatcher.halts().map((h) => h.id));
        const lifted = stop.haltIds.filter((id) => inForce.has(id));
        for (const id of lifted) deps.dispatcher.resume(id);
        const at = deps.clock.now();
        const setting: EmergencyStopSetting = { ...stop, active: false, haltId: null, haltIds: [], at };
        await deps.store.settings.set(SETTINGS.emergencyStop, setting, requester, at);
        const data = { reason: why, requester, stop_reason: stop.reason, lifted_halts: lifted };
        const auditId = await auditOnce(deps, ctx, 'trading_resumed', requester, data);
        return { ...data, audit_id: auditId };
      },
    },
  };
}
