/**
 * Conditional routing: an ordered list of rules, first match wins, a default catches the rest. A
 * rule picks the execution subject for a decision and may add constraints (a more cautious action,
 * a position multiplier, extra checks, a strategy). Rules come from config (the condition
 * language, see core/condition.ts) or from code (a predicate).
 */
import { z } from 'zod';
import { compileCondition, conditionSchema, describeCondition } from '../core/condition.ts';
import { ValidationError } from '../core/errors.ts';
import type { PolicyOutcome } from './policy.ts';
import type { DecisionAction, NormalizedSignal, Route } from './schemas.ts';
import { agentNames, getSignal, type SignalSet } from './signal-set.ts';
import { parseWith } from './validation.ts';

/**
 * What a routing condition is evaluated against; condition paths start here, e.g.
 * `signals.risk.analysis.risk_level` or `source_signal.instrument`.
 */
export interface RoutingContext {
  /** The normalized signal the agents analysed (all signals of one corr_id share it). */
  readonly source_signal: NormalizedSignal | undefined;
  readonly signals: Readonly<Record<string, { readonly analysis: unknown; readonly agent_version: string }>>;
  /** The policy's outcome, before routing. */
  readonly decision: PolicyOutcome;
}

/** Actions a rule may impose: only ones at least as cautious as `trade`. */
export const OVERRIDE_ACTIONS = ['trade_with_caution', 'monitor', 'no_trade'] as const;

const SUBJECT_RE = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const name = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must not be empty' });

/** One routing rule as written in config. */
export const routingRuleConfigSchema = z.strictObject({
  name,
  when: conditionSchema,
  subject: name.regex(SUBJECT_RE, { error: 'must be a dotted subject such as execution.order' }),
  action: z.enum(OVERRIDE_ACTIONS).optional(),
  position_multiplier: z
    .number({ error: 'must be a number between 0 and 1' })
    .min(0, { error: 'must be between 0 and 1 (a rule can only reduce a position)' })
    .max(1, { error: 'must be between 0 and 1 (a rule can only reduce a position)' })
    .optional(),
  additional_checks: z.array(name).optional(),
  strategy: name.optional(),
});
/** A routing rule as written in config (before compiling). */
export type RoutingRuleConfig = z.input<typeof routingRuleConfigSchema>;

/** A compiled rule, from config or code. */
export interface RoutingRule {
  readonly name: string;
  readonly subject: string;
  readonly action?: (typeof OVERRIDE_ACTIONS)[number];
  readonly position_multiplier?: number;
  readonly additional_checks?: readonly string[];
  readonly strategy?: string;
  /** Human-readable condition, for logs and audit. */
  readonly description: string;
  test(context: RoutingContext): boolean;
}

/** The documents' three rules, as config. */
export const DEFAULT_ROUTING_RULES: readonly RoutingRuleConfig[] = [
  {
    name: 'crypto_high_risk',
    when: {
      all: [
        { path: 'source_signal.instrument', op: 'ends_with', value: '/USD' },
        { path: 'signals.risk.analysis.risk_level', op: 'eq', value: 'high' },
      ],
    },
    subject: 'execution.crypto.high_risk',
    action: 'trade_with_caution',
    position_multiplier: 0.5,
    additional_checks: ['volatility', 'liquidity'],
  },
  {
    name: 'forex_momentum',
    when: {
      all: [
        { path: 'source_signal.instrument', op: 'len_eq', value: 6 },
        { path: 'signals.momentum.analysis.momentum_strength', op: 'gt', value: 0.7 },
      ],
    },
    subject: 'execution.forex.momentum',
    strategy: 'momentum_breakout',
  },
  { name: 'default', when: true, subject: 'execution.order' },
];

type RuleFields = Omit<RoutingRule, 'test' | 'description'>;

type LooseFields = { [K in keyof RuleFields]: RuleFields[K] | undefined } & Pick<
  RuleFields,
  'name' | 'subject'
>;

function withOptionals(base: LooseFields): RuleFields {
  const out: { -readonly [K in keyof RuleFields]: RuleFields[K] } = {
    name: base.name,
    subject: base.subject,
  };
  if (base.action !== undefined) out.action = base.action;
  if (base.position_multiplier !== undefined) out.position_multiplier = base.position_multiplier;
  if (base.additional_checks !== undefined) out.additional_checks = [...base.additional_checks];
  if (base.strategy !== undefined) out.strategy = base.strategy;
  return out;
}

/**
 * Validates and compiles config rules, in order.
 * @throws ValidationError naming the rule index and field, e.g. `rules[1].when.all[0].op: ...`,
 * `rules[0].position_multiplier: ...`, or `rules[2].name: duplicate rule name ...`.
 */
export function compileRoutingRules(input: unknown, field = 'rules'): RoutingRule[] {
  const configs = parseWith(
    z.array(routingRuleConfigSchema, { error: 'must be an array of rules' }),
    input,
    field,
  );
  const seen = new Map<string, number>();
  return configs.map((config, index) => {
    const previous = seen.get(config.name);
    if (previous !== undefined) {
      throw new ValidationError(
        `${field}[${index}].name`,
        `duplicate rule name '${config.name}' (also ${field}[${previous}].name); names identify rules in the audit`,
      );
    }
    seen.set(config.name, index);
    const condition = compileCondition(config.when, `${field}[${index}].when`);
    return {
      ...withOptionals(config),
      description: describeCondition(condition.source),
      test: (context: RoutingContext) => condition.test(context),
    };
  });
}

/** A rule written in code: the same fields as config, with a TypeScript predicate. */
export function codeRule(
  fields: RuleFields & { readonly description?: string },
  predicate: (context: RoutingContext) => boolean,
): RoutingRule {
  return {
    ...withOptionals(fields),
    description: fields.description ?? `code rule ${fields.name}`,
    test: (context) => {
      try {
        return predicate(context);
      } catch {
        return false; // like config conditions, a rule that cannot evaluate does not match
      }
    },
  };
}

/** The rule that matched and what it adds to the decision. */
export interface RouteMatch {
  readonly rule: RoutingRule;
  readonly route: Route;
}

/** Picks the first matching rule; when none matches, the catch-all `default` → `defaultSubject`. */
export interface Router {
  readonly rules: readonly RoutingRule[];
  route(context: RoutingContext): RouteMatch;
}

/**
 * Creates a router over `rules` (in order), ending with a catch-all to `defaultSubject`
 * (`execution.order`) unless the rules already end in one named `default`.
 */
export function createRouter(rules: readonly RoutingRule[], defaultSubject = 'execution.order'): Router {
  const own = rules.at(-1)?.name === 'default' ? rules.at(-1) : undefined;
  const fallback =
    own ?? codeRule({ name: 'default', subject: defaultSubject, description: 'true' }, () => true);
  const all = own === undefined ? [...rules, fallback] : [...rules];
  return {
    rules: all,
    route(context) {
      const rule = all.find((r) => r.test(context)) ?? fallback;
      const route: { -readonly [K in keyof Route]: Route[K] } = { rule: rule.name, subject: rule.subject };
      if (rule.position_multiplier !== undefined) route.position_multiplier = rule.position_multiplier;
      if (rule.additional_checks !== undefined) route.additional_checks = [...rule.additional_checks];
      if (rule.strategy !== undefined) route.strategy = rule.strategy;
      return { rule, route };
    },
  };
}

/**
 * The context routing conditions see. `source_signal` is the momentum agent's (as in the
 * document), else the first reporting agent's. Nothing is copied: conditions only read.
 */
export function buildRoutingContext(signals: SignalSet, decision: PolicyOutcome): RoutingContext {
  const agents = agentNames(signals);
  const byAgent: Record<string, { analysis: unknown; agent_version: string }> = {};
  for (const agent of agents) {
    const signal = getSignal(signals, agent)!;
    byAgent[agent] = { analysis: signal.analysis, agent_version: signal.agent_version };
  }
  const first = agents[0];
  const source = (
    getSignal(signals, 'momentum') ?? (first === undefined ? undefined : getSignal(signals, first))
  )?.source_signal;
  return { source_signal: source, signals: byAgent, decision };
}

const CAUTION: Readonly<Record<DecisionAction, number>> = {
  trade: 0,
  trade_with_caution: 1,
  monitor: 2,
  no_trade: 3,
  insufficient_data: 4,
};

/**
 * Applies a route's constraints to a policy outcome, returning a new outcome.
 * @remarks A rule's action only ever makes a decision more cautious: `crypto_high_risk` turns a
 * `trade` into `trade_with_caution` but never turns a `monitor` or `no_trade` into a trade (the
 * document's handler ignores the decision; a trading team would not let routing open positions).
 * The position multiplier scales the size of a decision that still trades; a decision that no
 * longer trades carries no direction or size.
 */
export function applyRoute(outcome: PolicyOutcome, match: RouteMatch): PolicyOutcome {
  const override = match.rule.action;
  const action =
    override !== undefined && CAUTION[override] > CAUTION[outcome.action] ? override : outcome.action;
  const routed: { -readonly [K in keyof PolicyOutcome]: PolicyOutcome[K] } = {
    action,
    reason: outcome.reason,
    confidence: outcome.confidence,
  };
  if (action !== 'trade' && action !== 'trade_with_caution') return routed;
  if (outcome.direction !== undefined) routed.direction = outcome.direction;
  if (outcome.size !== undefined) routed.size = outcome.size * (match.route.position_multiplier ?? 1);
  return routed;
}
