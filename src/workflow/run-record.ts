import { ConclaveError } from '../core/errors.ts';
import type { RunRecord } from '../core/workflow-run.ts';
import { isSerializable, versionOf } from './model.ts';
import type { ValidatedWorkflow } from './validate.ts';

/** A new run's record, `queued`, as `start` journals it. */
export function newRunRecord(
  id: string,
  wf: ValidatedWorkflow,
  input: unknown,
  requester: string | null,
  parentRunId: string | null,
  now: number,
): RunRecord {
  const def = wf.definition;
  return {
    id,
    name: def.name,
    version: versionOf(def),
    status: 'queued',
    input,
    output: null,
    error: null,
    requester,
    parentRunId,
    // A definition with functions cannot be snapshotted: it must be registered again to resume.
    definition: isSerializable(def) ? def : null,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    deadlineAt: null,
    updatedAt: now,
  };
}

/**
 * What a sub-workflow step gets from its finished child run: the output when it completed (or
 * stopped, as its definition asked), else a non-retryable error carrying the child's code.
 */
export function childOutcome(rec: RunRecord): unknown {
  if (rec.status === 'completed' || rec.status === 'stopped') return rec.output;
  const e = rec.error;
  throw new ConclaveError(
    e?.code ?? 'AGENT_ERROR',
    `sub-workflow ${rec.name} (${rec.id}) ${rec.status}: ${e?.message ?? ''}`,
    {
      retryable: false,
    },
  );
}
