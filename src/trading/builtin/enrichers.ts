/**
 * The streaming side of the momentum, risk and correlation agents: each reads bar signals from
 * `signals.normalized` and publishes its enriched signal on `signals.enriched.<agent>`.
 */
import { HEADER, type Bus, type Subscription } from '../../bus/bus.ts';
import { parseSignal, type NormalizedSignal } from '../../coordination/index.ts';
import type { Clock } from '../../core/clock.ts';
import { CONCLAVE_VERSION } from '../../core/version.ts';
import {
  assessCorrelation,
  MomentumTracker,
  RiskTracker,
  toEnrichedSignal,
  type Holding,
} from '../agents/index.ts';
import { barSchema, type Bar } from '../market-data/bar.ts';
import type { TradingDesk } from './desk.ts';

/** The subject bar signals arrive on. */
export const NORMALIZED_SUBJECT = 'signals.normalized';
/**
 * The agents enriching each bar signal, in publish order (the names the coordinator's policies read).
 * @remarks Correlation goes first: the default `simple` profile decides as soon as momentum and
 * risk are in, and a correlation signal published after them would only arrive late.
 */
export const ENRICHING_AGENTS = ['correlation', 'momentum', 'risk'] as const;

interface InstrumentState {
  momentum: MomentumTracker;
  risk: RiskTracker;
  window: Bar[];
  lastTimestamp: number;
}

/** Dependencies of {@link SignalEnrichers}. */
export interface SignalEnrichersDeps {
  bus: Bus;
  clock: Clock;
  desk: TradingDesk;
}

/**
 * Subscribes to `signals.normalized` and enriches every signal whose `payload.bar` is an OHLCV bar.
 * @remarks Incremental: one momentum and one risk tracker per instrument, O(1) per bar; a bar
 * not after the instrument's last restarts its trackers (a replay looping back to its start).
 * Risk is sized on the desk's paper book; correlation is against the book's holdings, over the
 * bars seen here. Signals without a bar (webhook events of other kinds) are left to other agents.
 */
export class SignalEnrichers {
  readonly #d: SignalEnrichersDeps;
  readonly #state = new Map<string, InstrumentState>();
  readonly #windowBars: number;
  #subscription: Subscription | undefined;
  #enriched = 0;

  constructor(deps: SignalEnrichersDeps, windowBars = 120) {
    this.#d = deps;
    this.#windowBars = windowBars;
  }

  /** Signals enriched so far (each published by every agent). */
  get enrichedCount(): number {
    return this.#enriched;
  }

  /** Starts consuming `signals.normalized` (idempotent). */
  start(): void {
    this.#subscription ??= this.#d.bus.subscribe(NORMALIZED_SUBJECT, async (msg) => {
      await this.enrich(msg.data);
    });
  }

  /** Stops consuming. */
  async close(): Promise<void> {
    const sub = this.#subscription;
    this.#subscription = undefined;
    await sub?.unsubscribe();
  }

  /**
   * Feeds history to an instrument's trackers without publishing anything, so the first live bar
   * is analysed with warmed-up indicators.
   */
  warm(instrument: string, bars: readonly Bar[]): void {
    for (const bar of bars) this.#update(this.#stateOf(instrument, bar), bar);
  }

  /**
   * Feeds one normalized signal's bar to its instrument's trackers and publishes the three
   * enriched signals; returns false when the signal carries no bar.
   */
  async enrich(raw: unknown): Promise<boolean> {
    let signal: NormalizedSignal;
    try {
      signal = parseSignal(raw);
    } catch {
      return false;
    }
    const parsed = barSchema.safeParse(signal.payload['bar']);
    if (!parsed.success) return false;
    const bar = parsed.data;
    const state = this.#stateOf(signal.instrument, bar);
    this.#update(state, bar);
    const book = this.#d.desk.broker;
    const analyses: Record<(typeof ENRICHING_AGENTS)[number], Record<string, unknown>> = {
      momentum: state.momentum.analysis(),
      risk: state.risk.assess({
        equity: book.equityMoney(),
        peakEquity: book.peakEquityMoney,
        positionUnits: book.positionUnits(signal.instrument),
      }),
      correlation: this.#correlation(signal.instrument),
    };
    const now = this.#d.clock.now();
    const headers = { [HEADER.corrId]: signal.corr_id };
    for (const agent of ENRICHING_AGENTS) {
      const enriched = toEnrichedSignal(agent, CONCLAVE_VERSION, analyses[agent], signal, now);
      await this.#d.bus.publish(`signals.enriched.${agent}`, enriched, { headers });
    }
    this.#enriched++;
    return true;
  }

  #update(state: InstrumentState, bar: Bar): void {
    state.momentum.update(bar);
    state.risk.update(bar);
    state.window.push(bar);
    if (state.window.length > this.#windowBars) state.window.shift();
    state.lastTimestamp = bar.timestamp;
  }

  #stateOf(instrument: string, bar: Bar): InstrumentState {
    const existing = this.#state.get(instrument);
    if (existing !== undefined && bar.timestamp > existing.lastTimestamp) return existing;
    const fresh: InstrumentState = {
      momentum: new MomentumTracker(),
      risk: new RiskTracker(),
      window: [],
      lastTimestamp: Number.NEGATIVE_INFINITY,
    };
    this.#state.set(instrument, fresh);
    return fresh;
  }

  #correlation(instrument: string): Record<string, unknown> {
    const barsBySymbol: Record<string, readonly Bar[]> = {};
    for (const [symbol, s] of this.#state) barsBySymbol[symbol] = s.window;
    const holdings: Holding[] = this.#d.desk.broker
      .positions()
      .filter((p) => p.quantity !== 0 && p.symbol !== instrument)
      .map((p) => ({ symbol: p.symbol, valueMoney: p.quantity * p.markPrice }));
    return assessCorrelation(instrument, barsBySymbol, holdings);
  }
}
