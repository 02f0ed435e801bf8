/**
 * The workflow layer's public face: DAG model, validation, durable engine, journal.
 *
 * Semantics chosen (and why):
 * - A step runs once all its dependencies are `completed` or `skipped`. A skipped step (its `when`
 *   was false) counts as done: its dependents still run if their own conditions allow, and see it
 *   as `skipped` with no result (a `$from` into its result is then a step failure naming the path).
 *   Trading runbooks branch ("hedge if risk is high, else trade"), then join again.
 * - A step that fails after its retries fails the run; the steps still running are aborted. Only a
 *   `for_each` step with `continue_on_error` or `quorum` absorbs item failures.
 * - Retries: any error but a non-retryable `ConclaveError` (validation, cancel, …) is retried.
 * - A builtin returning `{ stop: true, reason }` ends the run `stopped` (a success: it ended as its
 *   workflow asked), aborting parallel branches.
 * - Every transition is committed to the journal before it is acted on. On restart, completed and
 *   skipped steps are kept; an in-flight attempt runs again under the same attempt number, so a
 *   task step rejoins its dispatcher task (deterministic id) instead of submitting a new one.
 * - Sub-workflow runs do not take a concurrency slot (their parent holds one): making children
 *   queue behind slots their parents occupy could deadlock.
 */
export { WorkflowEngine } from './engine.ts';
export type { StartOptions } from './engine.ts';
export type {
  ActiveRun,
  AllWorkflowsStatus,
  BuiltinContext,
  BuiltinFn,
  ProgressUpdate,
  WorkflowEngineDeps,
  WorkflowEngineEvents,
  WorkflowEngineOptions,
  WorkflowEngineStats,
  WorkflowErrorReport,
  WorkflowStatus,
} from './engine-types.ts';
export { compileWorkflowEngineOptions, DEFAULT_WORKFLOWS_CONFIG } from './options.ts';
export type { WorkflowsConfig } from './options.ts';
export { parseWorkflowDocument, workflowDocumentSchema } from './definition-schema.ts';
export type { WorkflowDocument } from './definition-schema.ts';
export { validateWorkflow, topologicalOrder } from './validate.ts';
export type { ValidatedWorkflow, ValidationLookups } from './validate.ts';
export { WorkflowJournal } from './journal.ts';
export { RUN_STATUSES, FINAL_RUN_STATUSES } from '../core/workflow-run.ts';
export type { RunRecord, RunStatus, WorkflowEvent, WorkflowEventType } from '../core/workflow-run.ts';
export { isStopResult } from './model.ts';
export type {
  Condition,
  ForEach,
  JoinMode,
  RetryPolicy,
  StepContext,
  StepDefinition,
  StepKind,
  StepStatus,
  StopResult,
  WorkflowDefinition,
} from './model.ts';
