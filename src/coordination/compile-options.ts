import type { ConclaveConfig } from '../core/config.ts';
import type { CoordinatorOptions } from './coordinator-types.ts';
import type { FanInConfig, FanInOptions } from './fan-in-policy.ts';
import { policyByName } from './policies.ts';
import type { DecisionPolicy } from './policy.ts';
import { DEFAULT_ROUTING_RULES, compileRoutingRules, createRouter, type Router } from './routing-rules.ts';
import type { StageOptions } from './stages.ts';

type CoordinationConfig = ConclaveConfig['coordination'];
type FanInOverride = CoordinationConfig['by_instrument'][string];

function fanInOptions(o: FanInOverride): FanInOptions {
  return {
    ...(o.profile === undefined ? {} : { profile: o.profile }),
    ...(o.required_agents === undefined ? {} : { requiredAgents: o.required_agents }),
    ...(o.min_agents === undefined ? {} : { minAgents: o.min_agents }),
    ...(o.decision_timeout_seconds === undefined
      ? {}
      : { decisionTimeoutMs: o.decision_timeout_seconds * 1000 }),
    ...(o.state_ttl_seconds === undefined ? {} : { stateTtlMs: o.state_ttl_seconds * 1000 }),
  };
}

function mapValues(record: Record<string, FanInOverride>): Record<string, FanInOptions> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fanInOptions(v)]));
}

/**
 * Turns the `coordination` config section into the coordinator's options, its decision policy and
 * its router. Routing rules are compiled here, so a bad rule stops start-up naming it.
 */
export function compileCoordination(
  config: CoordinationConfig,
  version: string,
): {
  options: CoordinatorOptions;
  policy: DecisionPolicy;
  router: Router;
  /** Set when `pattern` is `sequential`: the stage thresholds. */
  stages: StageOptions | undefined;
} {
  const fanIn: FanInConfig = {
    ...fanInOptions(config),
    byInstrument: mapValues(config.by_instrument),
    bySignalType: mapValues(config.by_signal_type),
  };
  const rules = compileRoutingRules(
    config.routing_rules ?? DEFAULT_ROUTING_RULES,
    'coordination.routing_rules',
  );
  return {
    options: {
      fanIn,
      idempotencyTtlMs: config.idempotency_ttl_seconds * 1000,
      ...(config.rate_limit_rps === undefined ? {} : { rateLimitRps: config.rate_limit_rps }),
      version,
    },
    policy: policyByName(config.policy),
    router: createRouter(rules, config.default_subject),
    stages:
      config.pattern === 'sequential'
        ? {
            minSignalQuality: config.stages.min_signal_quality,
            maxOverallRisk: config.stages.max_overall_risk,
            urgentMomentum: config.stages.urgent_momentum,
            ...(config.stages.max_position_size === undefined
              ? {}
              : { maxPositionSize: config.stages.max_position_size }),
          }
        : undefined,
  };
}
