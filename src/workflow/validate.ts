import { ValidationError } from '../core/errors.ts';
import { compileWhen, type CompiledCondition } from './conditions.ts';
import type { StepDefinition, WorkflowDefinition } from './model.ts';
import { referencesIn } from './references.ts';

/** What validation asks about the world outside the definition. */
export interface ValidationLookups {
  hasBuiltin(name: string): boolean;
  hasWorkflow(name: string): boolean;
  hasPattern(pattern: string): boolean;
}

/** A definition that passed validation: its steps in a topological order, conditions compiled. */
export interface ValidatedWorkflow {
  definition: WorkflowDefinition;
  /** Steps, every step after all of its dependencies (ties in declaration order). */
  order: readonly StepDefinition[];
  byId: ReadonlyMap<string, StepDefinition>;
  conditions: ReadonlyMap<string, CompiledCondition>;
}

/**
 * Checks a definition before anything runs: duplicate step ids, unknown dependencies, cycles (with
 * the cycle's path), unknown builtins/sub-workflows/patterns, missing or bad parameters, references
 * to steps that are not dependencies. Throws a {@link ValidationError} naming the step.
 */
export function validateWorkflow(def: WorkflowDefinition, lookups: ValidationLookups): ValidatedWorkflow {
  if (def.steps.length === 0) throw new ValidationError('steps', 'must hold at least one step');
  if (def.timeoutMs !== undefined && !(def.timeoutMs > 0))
    throw new ValidationError('timeout_seconds', `must be > 0, got ${def.timeoutMs / 1000}`);
  const byId = new Map<string, StepDefinition>();
  for (const step of def.steps) {
    if (byId.has(step.id)) throw new ValidationError(`steps.${step.id}`, `duplicate step id '${step.id}'`);
    byId.set(step.id, step);
  }
  for (const step of def.steps) {
    for (const dep of step.dependsOn ?? []) {
      if (dep === step.id)
        throw new ValidationError(`steps.${step.id}.depends_on`, 'a step cannot depend on itself');
      if (!byId.has(dep)) throw new ValidationError(`steps.${step.id}.depends_on`, `unknown step '${dep}'`);
    }
  }
  const order = topologicalOrder(def.steps, byId);
  const ancestors = ancestorSets(order);
  const conditions = new Map<string, CompiledCondition>();
  for (const step of def.steps) {
    checkStep(step, lookups, ancestors.get(step.id) ?? new Set());
    if (step.when !== undefined) conditions.set(step.id, compileWhen(step.when, `steps.${step.id}.when`));
  }
  return { definition: def, order, byId, conditions };
}

function checkStep(step: StepDefinition, lookups: ValidationLookups, ancestors: ReadonlySet<string>): void {
  const at = `steps.${step.id}`;
  const field = (name: string): string => `${at}.${name}`;
  switch (step.kind) {
    case 'task':
      if (step.pattern === undefined || step.pattern === '')
        throw new ValidationError(field('pattern'), 'is required for a task step');
      if (!lookups.hasPattern(step.pattern))
        throw new ValidationError(
          field('pattern'),
          `unknown pattern '${step.pattern}' (no routing rule or agent capability serves it)`,
        );
      break;
    case 'builtin':
      if (step.builtin === undefined)
        throw new ValidationError(field('builtin'), 'is required for a builtin step');
      if (!lookups.hasBuiltin(step.builtin))
        throw new ValidationError(field('builtin'), `unknown builtin '${step.builtin}'`);
      break;
    case 'workflow':
      if (step.workflow === undefined)
        throw new ValidationError(field('workflow'), 'is required for a sub-workflow step');
      if (!lookups.hasWorkflow(step.workflow))
        throw new ValidationError(field('workflow'), `unknown workflow '${step.workflow}'`);
      break;
    default:
      throw new ValidationError(
        field('kind'),
        `must be task, builtin or workflow, got '${String(step.kind)}'`,
      );
  }
  if (step.timeoutMs !== undefined && !(step.timeoutMs > 0))
    throw new ValidationError(field('timeout_seconds'), `must be > 0, got ${step.timeoutMs / 1000}`);
  const r = step.retry;
  if (
    r?.maxRetries !== undefined &&
    !(Number.isInteger(r.maxRetries) && r.maxRetries >= 0 && r.maxRetries <= 20)
  )
    throw new ValidationError(field('retry.max_retries'), `must be an integer 0–20, got ${r.maxRetries}`);
  if (r?.delayMs !== undefined && !(r.delayMs >= 0))
    throw new ValidationError(field('retry.delay_seconds'), 'must be >= 0');
  if (r?.backoffMultiplier !== undefined && !(r.backoffMultiplier >= 1))
    throw new ValidationError(field('retry.backoff_multiplier'), 'must be >= 1');
  const f = step.forEach;
  if (f !== undefined) {
    checkPath(f.items, field('for_each.items'), ancestors, false);
    if (f.join === 'quorum' && (f.quorum === undefined || !Number.isInteger(f.quorum) || f.quorum < 1))
      throw new ValidationError(
        field('for_each.quorum'),
        'is required (an integer >= 1) when join is quorum',
      );
    if (f.maxConcurrency !== undefined && !(Number.isInteger(f.maxConcurrency) && f.maxConcurrency >= 1))
      throw new ValidationError(field('for_each.max_concurrency'), 'must be an integer >= 1');
  }
  const values: [string, unknown][] = [
    ['payload', step.payload],
    ['params', step.params],
    ['input', step.input],
  ];
  for (const [name, value] of values) {
    for (const path of referencesIn(value)) checkPath(path, field(name), ancestors, f !== undefined);
  }
}

/** A reference must name the input, the current item (inside for_each) or a step this one depends on. */
function checkPath(path: string, field: string, ancestors: ReadonlySet<string>, itemAllowed: boolean): void {
  const [head, stepId] = path.split('.');
  if (head === 'input') return;
  if (head === 'item' && itemAllowed) return;
  if (head === 'steps' && stepId !== undefined) {
    if (ancestors.has(stepId)) return;
    throw new ValidationError(
      field,
      `reference '${path}' names step '${stepId}', which is not among this step's dependencies`,
    );
  }
  throw new ValidationError(
    field,
    `reference '${path}' must start with 'input.', 'steps.<id>.'${itemAllowed ? " or 'item'" : ''}`,
  );
}

/**
 * Kahn's algorithm, taking ready steps in declaration order. On a cycle, throws with its path,
 * e.g. `steps.a.depends_on: cycle a → b → c → a`.
 */
export function topologicalOrder(
  steps: readonly StepDefinition[],
  byId: ReadonlyMap<string, StepDefinition> = new Map(steps.map((s) => [s.id, s])),
): StepDefinition[] {
  const remaining = new Map(steps.map((s) => [s.id, new Set(s.dependsOn ?? [])]));
  const order: StepDefinition[] = [];
  while (remaining.size > 0) {
    const ready = steps.filter((s) => remaining.get(s.id)?.size === 0);
    if (ready.length === 0) {
      const cycle = findCycle(remaining);
      throw new ValidationError(`steps.${cycle[0] ?? '?'}.depends_on`, `cycle ${cycle.join(' → ')}`, {
        cycle,
      });
    }
    for (const s of ready) {
      remaining.delete(s.id);
      order.push(byId.get(s.id) ?? s);
      for (const deps of remaining.values()) deps.delete(s.id);
    }
  }
  return order;
}

/** Walks dependency edges among the steps left over by Kahn's algorithm until one repeats. */
function findCycle(remaining: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const start = [...remaining.keys()].sort()[0] ?? '';
  const path: string[] = [];
  const seen = new Map<string, number>();
  let current = start;
  while (!seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    const next = [...(remaining.get(current) ?? [])].find((d) => remaining.has(d));
    if (next === undefined) break;
    current = next;
  }
  const from = seen.get(current) ?? 0;
  return [...path.slice(from), current];
}

function ancestorSets(order: readonly StepDefinition[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const step of order) {
    const set = new Set<string>();
    for (const dep of step.dependsOn ?? []) {
      set.add(dep);
      for (const a of out.get(dep) ?? []) set.add(a);
    }
    out.set(step.id, set);
  }
  return out;
}
