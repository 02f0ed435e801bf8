import type { AgentRegistry } from '../agents/registry.ts';
import type { Clock } from '../core/clock.ts';
import { ConclaveError } from '../core/errors.ts';
import { AgentSlot } from './agent-slot.ts';
import type { Balancer } from './balancer.ts';
import {
  CircuitBreaker,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerTransition,
} from './breaker.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { Route } from './routing.ts';

/** The outcome of looking for an agent for one attempt. */
export type PickResult =
  | { kind: 'slot'; slot: AgentSlot }
  /** Some agent is healthy but at its connection or rate limit: wait (`rateWaitMs` when rate-limited). */
  | { kind: 'busy'; rateWaitMs: number }
  /** No agent can take it: the attempt fails with this error (retryable). */
  | { kind: 'unavailable'; error: ConclaveError };

/** What {@link AgentPool} is built on. */
export interface AgentPoolDeps {
  registry: AgentRegistry;
  balancer: Balancer;
  limiter: RateLimiter;
  breaker: BreakerOptions;
  clock: Clock;
  onBreaker: (agent: string, transition: BreakerTransition) => void;
}

/**
 * The dispatcher's view of the agents: per-agent state (calls in flight, circuit breaker,
 * rate-limit key) and the choice of an agent for an attempt — availability, breaker, connection
 * limit, balancer, rate limit, in that order.
 */
export class AgentPool {
  readonly #d: AgentPoolDeps;
  readonly #slots = new Map<string, AgentSlot>();
  readonly #candidates = new Map<string, AgentSlot[]>();
  /** Scan state of the current pick (see #eligible). */
  #scanBusy = false;
  #scanSkipped: AgentSlot[] | null = null;

  constructor(deps: AgentPoolDeps) {
    this.#d = deps;
  }

  /** Forgets cached candidate lists (an agent registered or left). */
  invalidate(): void {
    this.#candidates.clear();
  }

  /** Drops an agent that left the registry. */
  forget(agent: string): void {
    this.#slots.delete(agent);
    this.#candidates.clear();
  }

  /** The agents that serve a route, whatever their state. */
  candidatesFor(route: Route): AgentSlot[] {
    let list = this.#candidates.get(route.key);
    if (list === undefined) {
      const infos =
        route.kind === 'agent'
          ? [this.#d.registry.get(route.target)].filter((a) => a !== undefined)
          : this.#d.registry.byCapability(route.target);
      list = infos.map((info) => this.slot(info.name));
      this.#candidates.set(route.key, list);
    }
    return list;
  }

  /** Chooses an agent for one attempt; on success the agent's rate token and breaker trial are taken. */
  pick(route: Route): PickResult {
    const candidates = this.candidatesFor(route);
    this.#scanBusy = false;
    this.#scanSkipped = null;
    let rateWaitMs = Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const slot = this.#d.balancer.pick(route.key, candidates, this.#eligible);
      if (slot === undefined) break;
      const waitMs = this.#d.limiter.tryAcquire(slot.rateKey);
      if (waitMs > 0 || !slot.breaker.tryAcquire()) {
        if (waitMs > 0) rateWaitMs = Math.min(rateWaitMs, waitMs);
        (this.#scanSkipped ??= []).push(slot);
        continue;
      }
      return { kind: 'slot', slot };
    }
    if (this.#scanBusy || rateWaitMs !== Infinity) {
      return { kind: 'busy', rateWaitMs: rateWaitMs === Infinity ? 0 : rateWaitMs };
    }
    return { kind: 'unavailable', error: this.#unavailable(route, candidates) };
  }

  /**
   * Why no agent for `route` could take a call now — each disabled, offline, or behind an open
   * circuit — or undefined when one could (agents only at their connection limit, or waiting on a
   * half-open circuit's trial call, count: they free up). `CIRCUIT_OPEN` when every breaker is
   * open, else `AGENT_UNAVAILABLE`.
   */
  unavailableNow(route: Route): ConclaveError | undefined {
    const candidates = this.candidatesFor(route);
    for (const s of candidates) {
      // A half-open circuit whose trial call is in flight is busy, not shut: it takes calls again
      // as soon as the trial succeeds.
      const shut = !s.breaker.allows && s.breaker.state !== 'half_open';
      if (this.#d.registry.isAvailable(s.name) && !shut) return undefined;
    }
    return this.#unavailable(route, candidates);
  }

  /** The agent's slot, created on first use. `AGENT_NOT_FOUND` if it is not registered. */
  slot(name: string): AgentSlot {
    let slot = this.#slots.get(name);
    if (slot === undefined) {
      const info = this.#d.registry.get(name);
      if (info === undefined) throw new ConclaveError('AGENT_NOT_FOUND', `no agent named '${name}'`);
      const breaker = new CircuitBreaker(this.#d.breaker, this.#d.clock, (t) => this.#d.onBreaker(name, t));
      slot = new AgentSlot(info, breaker);
      this.#slots.set(name, slot);
    }
    return slot;
  }

  /** Each known agent's circuit breaker. */
  breakers(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const [name, slot] of this.#slots) out[name] = slot.breaker.snapshot();
    return out;
  }

  /** Calls in flight to one agent. */
  inFlightFor(agent: string): number {
    return this.#slots.get(agent)?.inFlight ?? 0;
  }

  /**
   * Whether an agent can take a call now; notes agents that are only at their connection limit.
   * One function for the pool's life (not a closure per attempt); its scan state is in fields.
   */
  readonly #eligible = (s: AgentSlot): boolean => {
    if (!this.#d.registry.isAvailable(s.name) || !s.breaker.allows) return false;
    if (!s.hasCapacity) {
      this.#scanBusy = true;
      return false;
    }
    return this.#scanSkipped === null || !this.#scanSkipped.includes(s);
  };

  #unavailable(route: Route, candidates: readonly AgentSlot[]): ConclaveError {
    const why = candidates.map((s) => {
      const status = this.#d.registry.get(s.name)?.status ?? 'unregistered';
      const breaker = s.breaker.state;
      return breaker === 'closed' ? `${s.name} (${status})` : `${s.name} (circuit ${breaker})`;
    });
    const allOpen = candidates.length > 0 && candidates.every((s) => s.breaker.state !== 'closed');
    const retryInMs = Math.min(...candidates.map((s) => s.breaker.retryInMs));
    return new ConclaveError(
      allOpen ? 'CIRCUIT_OPEN' : 'AGENT_UNAVAILABLE',
      `no agent for ${route.kind} '${route.target}' is available: ${why.join(', ') || 'none registered'}`,
      {
        details: { target: route.target, agents: why, retryInMs: Number.isFinite(retryInMs) ? retryInMs : 0 },
      },
    );
  }
}
