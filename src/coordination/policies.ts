/** The registry of built-in decision policies, by name. */
import { ValidationError } from '../core/errors.ts';
import type { DecisionPolicy } from './policy.ts';
import { createRulePolicy } from './rule-policy.ts';
import { createWeightedPolicy } from './weighted-policy.ts';

const FACTORIES: Readonly<Record<string, () => DecisionPolicy>> = {
  rule_based: createRulePolicy,
  weighted_average: createWeightedPolicy,
};

/** The names {@link policyByName} accepts. */
export const POLICY_NAMES: readonly string[] = Object.keys(FACTORIES);

/**
 * A new instance of the built-in policy called `name`.
 * @throws ValidationError (field `policy`) listing the known names when `name` is unknown.
 */
export function policyByName(name: string): DecisionPolicy {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (factory === undefined) {
    throw new ValidationError('policy', `unknown policy '${name}'; known: ${POLICY_NAMES.join(', ')}`, {
      value: name,
      allowed: POLICY_NAMES,
    });
  }
  return factory();
}
