import { configSchema, type ConclaveConfig } from '../core/config.ts';
import type { WorkflowEngineOptions } from './engine-types.ts';

/** The `workflows:` configuration section (AMC document names, in seconds), as validated. */
export type WorkflowsConfig = ConclaveConfig['workflows'];

/** The AMC document's defaults: the schema's own, so the two can never disagree. */
export const DEFAULT_WORKFLOWS_CONFIG: WorkflowsConfig = configSchema.shape.workflows.parse(undefined);

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
