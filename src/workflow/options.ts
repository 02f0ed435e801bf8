import type { WorkflowEngineOptions } from './engine-types.ts';

/** The `workflows:` configuration section (AMC document names and defaults, in seconds); see `config-schema.ts`. */
export interface WorkflowsConfig {
  max_concurrent_workflows: number;
  max_queued_workflows: number;
  workflow_timeout_seconds: number;
  progress_update_interval_seconds: number;
  /** Retries of a step that sets none (AMC `max_retries`, 3). */
  step_max_retries: number;
  step_retry_delay_seconds: number;
  step_timeout_seconds: number;
}

/** The AMC document's defaults. */
export const DEFAULT_WORKFLOWS_CONFIG: WorkflowsConfig = {
  max_concurrent_workflows: 5,
  max_queued_workflows: 1000,
  workflow_timeout_seconds: 900,
  progress_update_interval_seconds: 5,
  step_max_retries: 3,
  step_retry_delay_seconds: 1,
  step_timeout_seconds: 300,
};

/** Turns the config section (seconds, snake_case) into complete engine options (ms). */
export function compileWorkflowEngineOptions(config: Partial<WorkflowsConfig> = {}): WorkflowEngineOptions {
  const c = { ...DEFAULT_WORKFLOWS_CONFIG, ...config };
  return {
    maxConcurrentWorkflows: c.max_concurrent_workflows,
    maxQueuedWorkflows: c.max_queued_workflows,
    workflowTimeoutMs: c.workflow_timeout_seconds * 1000,
    progressUpdateIntervalMs: c.progress_update_interval_seconds * 1000,
    defaultRetry: {
      maxRetries: c.step_max_retries,
      delayMs: c.step_retry_delay_seconds * 1000,
      backoffMultiplier: 2,
    },
    defaultStepTimeoutMs: c.step_timeout_seconds * 1000,
  };
}
