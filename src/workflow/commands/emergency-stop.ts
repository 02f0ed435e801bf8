import { z } from 'zod';
import type { Halt } from '../../dispatch/dispatcher-types.ts';
import type { CommandDeps, CommandModule } from './command-types.ts';
import { SETTINGS, TRADING_TAG } from './command-types.ts';
import { auditOnce } from './system-builtins.ts';

/** A reason is required to stop or resume trading: it goes into the audit log. */
export const reasonText = z
  .string('must be a non-empty text of at most 500 characters')
  .trim()
  .min(1, 'must be a non-empty text of at most 500 characters')
  .max(500, 'must be a non-empty text of at most 500 characters');

/** emergency_stop parameters. */
export const emergencyStopParams = z.strictObject({ reason: reasonText });

/** The `trading.emergency_stop` setting. */
export interface EmergencyStopSetting {
  active: boolean;
  reason: string;
  /** The latest halt placed for it. */
  haltId: string | null;
  /** Every halt placed for it (a repeated stop adds one). */
  haltIds: string[];
  /** What the halts select. */
  targets: string[];
  /** Epoch ms of the stop (or of the resume, once inactive). */
  at: number;
}

/** The emergency stop in force, if any. */
export async function activeEmergencyStop(
  deps: Pick<CommandDeps, 'store'>,
): Promise<EmergencyStopSetting | undefined> {
  const rec = await deps.store.settings.get(SETTINGS.emergencyStop);
  const value = rec?.value as EmergencyStopSetting | undefined;
  return value?.active === true ? value : undefined;
}

/**
 * Re-places the halt of an emergency stop recorded as active (a halt lives in the dispatcher's
 * memory, so a restart would otherwise lift it). Called on start; returns the new halt, if any.
 */
export async function reinstateEmergencyStop(deps: CommandDeps): Promise<Halt | undefined> {
  const stop = await activeEmergencyStop(deps);
  if (stop === undefined) return undefined;
  const targets = stop.targets.length > 0 ? stop.targets : [...deps.options.orderTargets];
  const { halt } = deps.dispatcher.halt({ patterns: targets, targets }, `emergency stop: ${stop.reason}`);
  const setting: EmergencyStopSetting = { ...stop, haltId: halt.id, haltIds: [halt.id], targets };
  await deps.store.settings.set(SETTINGS.emergencyStop, setting, 'system', deps.clock.now());
  return halt;
}

/** What the stop did before its run started (it must not wait for a workflow slot). */
export interface ImmediateStop {
  halt_id: string;
  cancelled_tasks: number;
  cancelled_workflows: string[];
}

/** Cancels every active top-level run tagged `trading` (but `exceptRunId`); returns their ids. */
async function cancelTradingRuns(deps: CommandDeps, why: string, exceptRunId?: string): Promise<string[]> {
  const runs = deps.workflows
    .activeRuns()
    .filter((r) => r.parentRunId === null && r.id !== exceptRunId && r.tags.includes(TRADING_TAG));
  const cancelled: string[] = [];
  for (const run of runs) {
    if (await deps.workflows.cancel(run.id, `emergency stop: ${why}`)) cancelled.push(run.id);
  }
  return cancelled;
}

/** Halts the order targets and records the stop as active (adding to a stop already in force). */
async function haltAndPersist(
  deps: CommandDeps,
  why: string,
  by: string | null,
): Promise<{ haltId: string; cancelled: number }> {
  const targets = [...deps.options.orderTargets];
  const { halt, cancelled } = deps.dispatcher.halt({ patterns: targets, targets }, `emergency stop: ${why}`);
  const previous = await activeEmergencyStop(deps);
  const at = deps.clock.now();
  const setting: EmergencyStopSetting = {
    active: true,
    reason: why,
    haltId: halt.id,
    haltIds: [...(previous?.haltIds ?? []), halt.id],
    targets,
    at,
  };
  await deps.store.settings.set(SETTINGS.emergencyStop, setting, by, at);
  return { haltId: halt.id, cancelled };
}

/**
 * The part of an emergency stop that happens when the command is received, before its run is
 * journaled: halt order dispatch, cancel trading runs, persist the stop. A run waiting for a
 * workflow slot behind busy trading runs must not delay the halt.
 */
export async function stopTradingNow(
  deps: CommandDeps,
  why: string,
  by: string | null,
): Promise<ImmediateStop> {
  const { haltId, cancelled } = await haltAndPersist(deps, why, by);
  return {
    halt_id: haltId,
    cancelled_tasks: cancelled,
    cancelled_workflows: await cancelTradingRuns(deps, why),
  };
}

const BUILTIN = 'commands.emergency_stop';

/**
 * emergency_stop: halts order dispatch and cancels every active run tagged `trading` at once (see
 * {@link stopTradingNow}); its run then makes sure the halt is in force (placing it again after a
 * restart), cancels trading runs started since, and audits the stop.
 */
export function emergencyStopCommand(deps: CommandDeps): CommandModule {
  return {
    definition: {
      name: 'emergency_stop',
      description: 'Halts order dispatch and cancels trading workflows',
      steps: [
        {
          id: 'halting_trading',
          kind: 'builtin',
          builtin: BUILTIN,
          params: {
            reason: { $from: 'input.reason' },
            requested_by: { $from: 'input.requested_by' },
            immediate: { $from: 'input.immediate' },
          },
        },
      ],
    },
    prepare: async (input) => {
      const { reason: why, requested_by: by } = input as { reason: string; requested_by: string | null };
      return { ...input, immediate: await stopTradingNow(deps, why, by) };
    },
    builtins: {
      [BUILTIN]: async (p, ctx) => {
        const {
          reason: why,
          requested_by: requester,
          immediate,
        } = p as {
          reason: string;
          requested_by: string | null;
          immediate: ImmediateStop;
        };
        let haltId = immediate.halt_id;
        let cancelledTasks = immediate.cancelled_tasks;
        if (!deps.dispatcher.halts().some((h) => h.id === haltId)) {
          // Resumed after a restart that lost the halt (or it was lifted meanwhile): halt again.
          const again = await haltAndPersist(deps, why, requester);
          haltId = again.haltId;
          cancelledTasks += again.cancelled;
        }
        const late = await cancelTradingRuns(deps, why, ctx.runId);
        const data = {
          reason: why,
          requester,
          halt_id: haltId,
          cancelled_tasks: cancelledTasks,
          cancelled_workflows: [...immediate.cancelled_workflows, ...late],
        };
        const auditId = await auditOnce(deps, ctx, 'emergency_stop', requester, data);
        return { ...data, audit_id: auditId };
      },
    },
  };
}
