/**
 * Workflow definitions as the engine runs them (camelCase, times in ms). YAML/JSON definitions are
 * parsed into this shape by `definition-schema.ts`; TypeScript callers may write it directly and
 * use functions for payloads and conditions.
 */

/** What a step does: call an agent pattern through the dispatcher, run a builtin, or a sub-workflow. */
export type StepKind = 'task' | 'builtin' | 'workflow';

/**
 * How a fanned-out step's results are joined. `fail_fast`: the first failed item fails the step
 * and cancels the others; `continue_on_error`: every item runs, the step completes with each
 * item's outcome; `quorum`: the step completes as soon as `quorum` items have completed, and fails
 * as soon as that can no longer happen.
 */
export type JoinMode = 'fail_fast' | 'continue_on_error' | 'quorum';

/** Lifecycle of a step within a run. */
export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

/** Retries after the first attempt, and the pause before each (growing by the multiplier). */
export interface RetryPolicy {
  maxRetries: number;
  delayMs: number;
  backoffMultiplier: number;
}

/** What conditions and value functions see: the run's input and every earlier step's outcome. */
export interface StepContext {
  input: unknown;
  steps: Record<string, { status: StepStatus; result: unknown; error: string | null }>;
  /** The current item, inside a `forEach` step. */
  item?: unknown;
}

/**
 * A condition on earlier results: a function (TypeScript) or a condition-language document
 * (`src/core/condition.ts`: `{ path, op, value }`, `{ all: [...] }`, …) evaluated against the
 * {@link StepContext}.
 */
export type Condition = ((ctx: StepContext) => boolean) | { readonly [key: string]: unknown } | boolean;

/** A payload, params or input: JSON with `{ $from: "<path>" }` references, or a function of the context. */
export type ValueSpec = unknown;

/** Fan-out over a list produced earlier. */
export interface ForEach {
  /** Path of the list: `steps.<id>.result.<…>` or `input.<…>`. */
  items: string;
  join: JoinMode;
  /** Items that must complete, for `quorum`. */
  quorum?: number;
  /** Items running at once (default: all). */
  maxConcurrency?: number;
}

/** One step of a workflow. */
export interface StepDefinition {
  id: string;
  kind: StepKind;
  /** Routing pattern or capability (task steps). */
  pattern?: string;
  /** Task payload (task steps). */
  payload?: ValueSpec;
  /** Registered builtin name (builtin steps). */
  builtin?: string;
  /** Builtin parameters. */
  params?: ValueSpec;
  /** Registered workflow name (sub-workflow steps). */
  workflow?: string;
  /** Sub-workflow input. */
  input?: ValueSpec;
  dependsOn?: readonly string[];
  /**
   * Skip the step when false.
   * @remarks A skipped step counts as done for its dependents: they still run if their own
   * conditions allow (and see the skipped step's status as `skipped`, with no result).
   */
  when?: Condition;
  /** Per attempt. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  forEach?: ForEach;
}

/** A workflow: a DAG of steps plus run-wide settings. */
export interface WorkflowDefinition {
  name: string;
  /** Default `'1'`. */
  version?: string;
  description?: string;
  /**
   * Free labels for operators, e.g. `trading`: the emergency stop cancels every active run of a
   * definition tagged `trading`.
   */
  tags?: readonly string[];
  /** Whole-run timeout (default: the engine's). */
  timeoutMs?: number;
  steps: readonly StepDefinition[];
}

/** What a builtin may return to end the workflow early, as `stopped`, with a reason. */
export interface StopResult {
  stop: true;
  reason: string;
  /** Kept in the run's output as `details`, for whoever reads the stopped run. */
  details?: Record<string, unknown>;
}

/** True when a step result asks the workflow to stop. */
export function isStopResult(value: unknown): value is StopResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { stop?: unknown }).stop === true &&
    typeof (value as { reason?: unknown }).reason === 'string'
  );
}

/** The version a definition runs as. */
export function versionOf(def: WorkflowDefinition): string {
  return def.version ?? '1';
}

/** True when the definition holds no functions, so its JSON form can be snapshotted for resume. */
export function isSerializable(value: unknown): boolean {
  if (typeof value === 'function') return false;
  if (Array.isArray(value)) return value.every(isSerializable);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(isSerializable);
  return true;
}
