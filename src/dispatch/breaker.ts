import type { Clock } from '../core/clock.ts';

/** Circuit states; the numbers are the `orchestrator_circuit_breaker_state` gauge values. */
export const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
/** A circuit state. */
export type BreakerState = keyof typeof BREAKER_STATE_VALUE;

/** Options for {@link CircuitBreaker}. */
export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before letting one trial call through. */
  resetTimeoutMs: number;
}

/** The serialisable state of a breaker (what a shared-state backend stores). */
export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  openedAt: number | null;
  /** Whether the single half-open trial call is out. */
  trialInFlight: boolean;
}

/** A transition, for events and metrics. */
export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  at: number;
  consecutiveFailures: number;
}

/**
 * A consecutive-failure circuit breaker: closed → open after `failureThreshold` failures in a
 * row; open → half-open once `resetTimeoutMs` has passed (one trial call allowed); half-open →
 * closed on the trial's success, back to open on its failure.
 * @remarks Written here rather than taken from cockatiel: cockatiel reads `Date.now()` directly,
 * so neither tests nor the backtester can drive its time, and its `execute` wrapper would hold a
 * dispatch slot. The state is plain data so it can be shared between processes.
 */
export class CircuitBreaker {
  #s: BreakerSnapshot = { state: 'closed', consecutiveFailures: 0, openedAt: null, trialInFlight: false };

  constructor(
    private readonly options: BreakerOptions,
    private readonly clock: Clock,
    private readonly onTransition?: (t: BreakerTransition) => void,
  ) {}

  /** The current state, moving open → half-open when the reset timeout has passed. */
  get state(): BreakerState {
    if (
      this.#s.state === 'open' &&
      this.clock.now() - (this.#s.openedAt ?? 0) >= this.options.resetTimeoutMs
    ) {
      this.#move('half_open');
    }
    return this.#s.state;
  }

  /** Milliseconds until an open circuit lets a trial through (0 when not open). */
  get retryInMs(): number {
    if (this.state !== 'open') return 0;
    return Math.max(0, (this.#s.openedAt ?? 0) + this.options.resetTimeoutMs - this.clock.now());
  }

  /**
   * Whether a call may go through now. In half-open only one trial at a time; taking it marks it
   * in flight, so the caller must report its outcome.
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#s.trialInFlight) return false;
    this.#s.trialInFlight = true;
    return true;
  }

  /** Whether a call could go through now, without taking the half-open trial. */
  get allows(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half_open' && !this.#s.trialInFlight);
  }

  recordSuccess(): void {
    this.#s.consecutiveFailures = 0;
    if (this.#s.state !== 'closed') this.#move('closed');
  }

  recordFailure(): void {
    this.#s.consecutiveFailures++;
    if (this.#s.state === 'half_open') this.#move('open');
    else if (this.#s.state === 'closed' && this.#s.consecutiveFailures >= this.options.failureThreshold) {
      this.#move('open');
    }
  }

  /** Releases a half-open trial whose call never happened (e.g. cancelled before sending). */
  releaseTrial(): void {
    this.#s.trialInFlight = false;
  }

  /** Forces the circuit closed (operator action). */
  reset(): void {
    this.#s.consecutiveFailures = 0;
    if (this.#s.state !== 'closed') this.#move('closed');
  }

  snapshot(): BreakerSnapshot {
    void this.state;
    return { ...this.#s };
  }

  #move(to: BreakerState): void {
    const from = this.#s.state;
    this.#s.state = to;
    this.#s.trialInFlight = false;
    this.#s.openedAt = to === 'open' ? this.clock.now() : to === 'closed' ? null : this.#s.openedAt;
    if (to === 'closed') this.#s.consecutiveFailures = 0;
    this.onTransition?.({ from, to, at: this.clock.now(), consecutiveFailures: this.#s.consecutiveFailures });
  }
}
