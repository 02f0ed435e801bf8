import type { AgentInfo } from '../agents/agent-info.ts';
import type { BalanceCandidate } from './balancer.ts';
import type { CircuitBreaker } from './breaker.ts';

/** The dispatcher's per-agent state: calls in flight, its breaker, its rate-limit key. */
export class AgentSlot implements BalanceCandidate {
  inFlight = 0;
  readonly rateKey: string;

  constructor(
    readonly info: AgentInfo,
    readonly breaker: CircuitBreaker,
  ) {
    this.rateKey = `agent:${info.name}`;
  }

  get name(): string {
    return this.info.name;
  }

  get weight(): number {
    return this.info.weight;
  }

  /** Whether it can take one more call under its connection limit. */
  get hasCapacity(): boolean {
    return this.inFlight < this.info.maxConnections;
  }
}
