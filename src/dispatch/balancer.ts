/** Load-balancing strategies, as in the Learn Your Way document. */
export const BALANCING_STRATEGIES = ['round_robin', 'least_connections', 'weighted'] as const;
/** One of {@link BALANCING_STRATEGIES}. */
export type BalancingStrategy = (typeof BALANCING_STRATEGIES)[number];

/** What a balancer needs to know of an agent. */
export interface BalanceCandidate {
  readonly name: string;
  readonly weight: number;
  /** Calls to it in flight now. */
  readonly inFlight: number;
}

/** Picks one agent among those serving a target. */
export interface Balancer {
  /**
   * Chooses among `candidates` those for which `eligible` holds; undefined when none is.
   * `key` names the target, so each target keeps its own rotation.
   */
  pick<T extends BalanceCandidate>(
    key: string,
    candidates: readonly T[],
    eligible: (c: T) => boolean,
  ): T | undefined;
}

/** Rotates through the eligible candidates in turn. */
export class RoundRobinBalancer implements Balancer {
  readonly #next = new Map<string, number>();

  pick<T extends BalanceCandidate>(
    key: string,
    candidates: readonly T[],
    eligible: (c: T) => boolean,
  ): T | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    const start = this.#next.get(key) ?? 0;
    for (let i = 0; i < n; i++) {
      const idx = (start + i) % n;
      const c = candidates[idx]!;
      if (eligible(c)) {
        this.#next.set(key, idx + 1);
        return c;
      }
    }
    return undefined;
  }
}

/** Picks the eligible candidate with the fewest calls in flight (first in rotation on ties). */
export class LeastConnectionsBalancer implements Balancer {
  readonly #rr = new RoundRobinBalancer();

  pick<T extends BalanceCandidate>(
    key: string,
    candidates: readonly T[],
    eligible: (c: T) => boolean,
  ): T | undefined {
    let min = Infinity;
    for (const c of candidates) if (c.inFlight < min && eligible(c)) min = c.inFlight;
    if (min === Infinity) return undefined;
    return this.#rr.pick(key, candidates, (c) => c.inFlight === min && eligible(c));
  }
}

/**
 * Smooth weighted round robin (as in nginx): over any window each candidate is picked in
 * proportion to its weight, interleaved rather than in bursts.
 */
export class WeightedBalancer implements Balancer {
  readonly #current = new Map<string, Map<string, number>>();

  pick<T extends BalanceCandidate>(
    key: string,
    candidates: readonly T[],
    eligible: (c: T) => boolean,
  ): T | undefined {
    let weights = this.#current.get(key);
    if (weights === undefined) this.#current.set(key, (weights = new Map<string, number>()));
    let total = 0;
    let best: T | undefined;
    let bestWeight = -Infinity;
    for (const c of candidates) {
      if (!eligible(c)) continue;
      const w = (weights.get(c.name) ?? 0) + c.weight;
      weights.set(c.name, w);
      total += c.weight;
      if (w > bestWeight) {
        bestWeight = w;
        best = c;
      }
    }
    if (best !== undefined) weights.set(best.name, bestWeight - total);
    return best;
  }
}

/** The balancer for a strategy name. */
export function createBalancer(strategy: BalancingStrategy): Balancer {
  switch (strategy) {
    case 'round_robin':
      return new RoundRobinBalancer();
    case 'least_connections':
      return new LeastConnectionsBalancer();
    case 'weighted':
      return new WeightedBalancer();
  }
}
