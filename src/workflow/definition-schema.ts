import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../core/errors.ts';
import type { StepDefinition, WorkflowDefinition } from './model.ts';

const ID = /^[A-Za-z][A-Za-z0-9_-]*$/;
const id = z.string().regex(ID, 'must start with a letter and hold only letters, digits, _ or -');
const seconds = z
  .number()
  .positive('must be > 0 seconds')
  .max(86_400 * 7, 'must be at most 7 days');

const retrySchema = z.strictObject({
  max_retries: z.number().int().min(0, 'must be 0–20').max(20, 'must be 0–20').optional(),
  delay_seconds: z.number().min(0, 'must be >= 0').max(3600, 'must be at most 3600').optional(),
  backoff_multiplier: z.number().min(1, 'must be >= 1').max(10, 'must be at most 10').optional(),
});

const forEachSchema = z.strictObject({
  items: z.string().regex(/^(input|steps\.[A-Za-z][\w-]*\.result)(\.[\w-]+)*$/, {
    error: "must be a path like 'steps.<id>.result.<field>' or 'input.<field>'",
  }),
  join: z.enum(['fail_fast', 'continue_on_error', 'quorum']).default('fail_fast'),
  quorum: z.number().int().min(1, 'must be >= 1').optional(),
  max_concurrency: z.number().int().min(1, 'must be >= 1').optional(),
});

const stepSchema = z.strictObject({
  id,
  kind: z.enum(['task', 'builtin', 'workflow']),
  pattern: z.string().min(1).optional(),
  payload: z.unknown().optional(),
  builtin: z.string().min(1).optional(),
  params: z.unknown().optional(),
  workflow: z.string().min(1).optional(),
  input: z.unknown().optional(),
  depends_on: z.array(z.string()).default([]),
  when: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
  timeout_seconds: seconds.optional(),
  retry: retrySchema.optional(),
  for_each: forEachSchema.optional(),
});

/** The YAML/JSON form of a workflow (snake_case keys, times in seconds). */
export const workflowDocumentSchema = z.strictObject({
  name: id,
  version: z.union([z.string().min(1), z.number()]).optional(),
  description: z.string().optional(),
  tags: z.array(z.string().min(1)).optional(),
  timeout_seconds: seconds.optional(),
  steps: z.array(stepSchema).min(1, 'must hold at least one step'),
});

/** A parsed YAML/JSON workflow document. */
export type WorkflowDocument = z.infer<typeof workflowDocumentSchema>;

/** Turns a zod issue path into the field name users see, with step ids instead of indexes. */
function fieldOf(path: readonly PropertyKey[], raw: unknown): string {
  if (path[0] === 'steps' && typeof path[1] === 'number') {
    const steps = (raw as { steps?: unknown[] }).steps;
    const stepId = (steps?.[path[1]] as { id?: unknown } | undefined)?.id;
    const head = typeof stepId === 'string' ? `steps.${stepId}` : `steps[${path[1]}]`;
    return [head, ...path.slice(2).map(String)].join('.');
  }
  return path.map(String).join('.') || '(workflow)';
}

/**
 * Parses a workflow document (an object, or YAML/JSON text) into a {@link WorkflowDefinition}.
 * Shape errors throw a {@link ValidationError} naming the step and field; the DAG itself is checked
 * by `validateWorkflow`.
 */
export function parseWorkflowDocument(source: unknown): WorkflowDefinition {
  const raw: unknown = typeof source === 'string' ? parseText(source) : source;
  const parsed = workflowDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(
      issue === undefined ? '(workflow)' : fieldOf(issue.path, raw),
      issue?.message ?? 'invalid',
    );
  }
  const doc = parsed.data;
  return {
    name: doc.name,
    ...(doc.version === undefined ? {} : { version: String(doc.version) }),
    ...(doc.description === undefined ? {} : { description: doc.description }),
    ...(doc.tags === undefined ? {} : { tags: doc.tags }),
    ...(doc.timeout_seconds === undefined ? {} : { timeoutMs: doc.timeout_seconds * 1000 }),
    steps: doc.steps.map(toStep),
  };
}

function parseText(text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new ValidationError(
      '(workflow)',
      `is not valid YAML/JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function toStep(s: WorkflowDocument['steps'][number]): StepDefinition {
  const step: StepDefinition = { id: s.id, kind: s.kind, dependsOn: s.depends_on };
  const out = step;
  if (s.pattern !== undefined) out.pattern = s.pattern;
  if (s.payload !== undefined) out.payload = s.payload;
  if (s.builtin !== undefined) out.builtin = s.builtin;
  if (s.params !== undefined) out.params = s.params;
  if (s.workflow !== undefined) out.workflow = s.workflow;
  if (s.input !== undefined) out.input = s.input;
  if (s.when !== undefined) out.when = s.when;
  if (s.timeout_seconds !== undefined) out.timeoutMs = s.timeout_seconds * 1000;
  if (s.retry !== undefined) {
    out.retry = {
      ...(s.retry.max_retries === undefined ? {} : { maxRetries: s.retry.max_retries }),
      ...(s.retry.delay_seconds === undefined ? {} : { delayMs: s.retry.delay_seconds * 1000 }),
      ...(s.retry.backoff_multiplier === undefined ? {} : { backoffMultiplier: s.retry.backoff_multiplier }),
    };
  }
  if (s.for_each !== undefined) {
    const f = s.for_each;
    out.forEach = {
      items: f.items,
      join: f.join,
      ...(f.quorum === undefined ? {} : { quorum: f.quorum }),
      ...(f.max_concurrency === undefined ? {} : { maxConcurrency: f.max_concurrency }),
    };
  }
  return step;
}
