import { ConclaveError } from '../core/errors.ts';
import type { RoutingRuleConfig } from '../core/config.ts';

/** A compiled routing rule: where a pattern's tasks go and with which defaults. */
export interface Route {
  pattern: string;
  /** `agent`: one named agent; `capability`: any agent serving the capability. */
  kind: 'agent' | 'capability';
  /** The agent name or the capability. */
  target: string;
  /** `kind:target`: routes with the same key share agents, queues and balancer state. */
  key: string;
  /** The capability the agent is asked for (the pattern, unless the rule names one). */
  capability: string;
  endpoint: string | null;
  timeoutMs: number | null;
  priority: number | null;
  maxRetries: number | null;
}

/**
 * Pattern → route, compiled from the `routing_rules` config. A pattern with no rule is routed to
 * the capability of the same name when some agent serves it; otherwise it is `UNKNOWN_PATTERN`.
 */
export class RoutingTable {
  readonly #routes = new Map<string, Route>();
  readonly #implicit = new Map<string, Route>();

  constructor(rules: readonly RoutingRuleConfig[] = []) {
    for (const rule of rules) this.add(rule);
  }

  /** Adds a rule; a second rule for one pattern is a `CONFLICT`. */
  add(rule: RoutingRuleConfig): Route {
    if (this.#routes.has(rule.pattern)) {
      throw new ConclaveError('CONFLICT', `routing_rules: pattern '${rule.pattern}' is defined twice`, {
        details: { field: 'routing_rules.pattern', value: rule.pattern },
      });
    }
    const route: Route = {
      pattern: rule.pattern,
      kind: rule.target_agent !== undefined ? 'agent' : 'capability',
      target: rule.target_agent ?? rule.capability ?? rule.pattern,
      key:
        rule.target_agent !== undefined
          ? `agent:${rule.target_agent}`
          : `capability:${rule.capability ?? rule.pattern}`,
      capability: rule.capability ?? rule.pattern,
      endpoint: rule.endpoint ?? null,
      timeoutMs: rule.timeout === undefined ? null : Math.round(rule.timeout * 1000),
      priority: rule.priority ?? null,
      maxRetries: rule.max_retries ?? null,
    };
    this.#routes.set(rule.pattern, route);
    return route;
  }

  /** The route for `pattern`; `hasCapability` decides the implicit capability route. */
  resolve(pattern: string, hasCapability: (capability: string) => boolean): Route {
    const route = this.#routes.get(pattern);
    if (route !== undefined) return route;
    const cached = this.#implicit.get(pattern);
    if (cached !== undefined) return cached;
    if (hasCapability(pattern)) {
      const implicit: Route = {
        pattern,
        kind: 'capability',
        target: pattern,
        key: `capability:${pattern}`,
        capability: pattern,
        endpoint: null,
        timeoutMs: null,
        priority: null,
        maxRetries: null,
      };
      this.#implicit.set(pattern, implicit);
      return implicit;
    }
    const known = [...this.#routes.keys()].sort();
    throw new ConclaveError(
      'UNKNOWN_PATTERN',
      `pattern: unknown pattern '${pattern}'; no routing rule or agent capability has that name` +
        (known.length
          ? ` (known patterns: ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', …' : ''})`
          : ''),
      { details: { field: 'pattern', value: pattern, allowed: known } },
    );
  }

  /** Every configured route. */
  list(): Route[] {
    return [...this.#routes.values()];
  }
}
