import { compileCondition } from '../core/condition.ts';
import type { Condition, StepContext } from './model.ts';

/** A condition ready to evaluate. */
export type CompiledCondition = (ctx: StepContext) => boolean;

/**
 * Compiles a step's `when`: functions (TypeScript definitions) are used as they are; documents
 * (YAML/JSON) go through the shared condition language, which validates them (a bad one is a
 * `ValidationError` naming `steps.<id>.when…`) and evaluates them against the step context.
 */
export function compileWhen(when: Condition, field: string): CompiledCondition {
  if (typeof when === 'function') return when;
  const compiled = compileCondition(when, field);
  return (ctx) => compiled.test(ctx);
}
