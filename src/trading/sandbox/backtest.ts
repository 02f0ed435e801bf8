/**
 * The event-driven backtest: bar by bar, the live agents analyse, the live coordinator decides
 * and the paper broker fills at the next bar's open.
 */
import type { NormalizedSignal } from '../../coordination/index.ts';
import { ConclaveError, ValidationError } from '../../core/errors.ts';
import { PaperBroker } from '../agents/paper-broker.ts';
import { toEnrichedSignal } from '../agents/enriched.ts';
import type { Holding } from '../agents/correlation-agent.ts';
import type { Bar } from '../market-data/bar.ts';
import { DEFAULT_AGENT_FACTORIES, type SandboxAgent, type SandboxAgentFactory } from './agents.ts';
import { prepareData, type BacktestData } from './data.ts';
import { buildManifest, type RunManifest } from './manifest.ts';
import { buyAndHoldCurve, computeMetrics, type PerformanceMetrics } from './metrics.ts';
import { compileBacktestOptions, type BacktestOptions, type CompiledBacktestOptions } from './options.ts';
import { act, equityPoint, type OrderMeta } from './execution.ts';
import type { DecisionRecord, EquityPoint, TradeRecord } from './records.ts';
import { openCoordinatorRig, type CoordinatorRig } from './rig.ts';
import { isoTime } from '../../core/iso-time.ts';

/** Hooks for a run: replaced agents, pacing (paper mode), progress, cancellation. */
export interface BacktestHooks {
  /** Agents by coordinator name, over the defaults (a test wraps one to spy on it). */
  readonly agents?: Readonly<Record<string, SandboxAgentFactory>>;
  /** Awaited before each bar time is processed; paper mode sleeps here. */
  readonly pace?: (timestampMs: number) => Promise<void>;
  /** Told about each equity point as it is made. */
  readonly onStep?: (point: EquityPoint) => void;
  readonly signal?: AbortSignal;
}

/** Counters for one run. */
export interface BacktestStats {
  readonly bars: number;
  readonly signals: number;
  readonly decisions: number;
  readonly orders: number;
  readonly rejectedOrders: number;
}

/** Everything a backtest produces. */
export interface BacktestResult {
  readonly manifest: RunManifest;
  readonly options: CompiledBacktestOptions;
  readonly metrics: PerformanceMetrics;
  readonly benchmark: PerformanceMetrics;
  readonly equity: readonly EquityPoint[];
  readonly benchmarkEquity: readonly EquityPoint[];
  readonly trades: readonly TradeRecord[];
  readonly decisions: readonly DecisionRecord[];
  readonly stats: BacktestStats;
}

interface SymbolState {
  readonly symbol: string;
  readonly bars: readonly Bar[];
  readonly agents: readonly SandboxAgent[];
  readonly history: Bar[];
  cursor: number;
}

/**
 * Runs a backtest of `data` with `options`.
 * @remarks Time comes from the data: the coordinator's ManualClock is moved to each bar time before
 * the bar is processed. At each bar time t, first every symbol's bar goes to the broker (filling
 * orders placed at earlier bars, at this bar's open) and to its agents; then every symbol's agents
 * are asked for their analyses (they have seen nothing after t), the enriched signals (corr_id
 * `bt:<runId>:<symbol>:<t>`) are ingested by the coordinator, and each decision becomes an order
 * for the symbol's next bar ({@link positionChange}). Bars before `from` only warm the agents up.
 * Decisions are recorded without their random `decision_id`, so exports are reproducible.
 * @throws ValidationError naming the field for bad options or data (`options.strategy.risk.maxDrawdown`, `bars.SPX[3]`).
 */
export async function runBacktest(
  data: BacktestData,
  input?: BacktestOptions,
  hooks: BacktestHooks = {},
): Promise<BacktestResult> {
  const options = compileBacktestOptions(input);
  const prepared = prepareData(data, options.fromMs, options.toMs, options.warmupBars, options.maxGapDays);
  const rig = await openCoordinatorRig(options.policy, prepared.timeline[0] ?? 0);
  try {
    return await run(options, prepared, rig, hooks);
  } finally {
    await rig.close();
  }
}

async function run(
  options: CompiledBacktestOptions,
  prepared: ReturnType<typeof prepareData>,
  rig: CoordinatorRig,
  hooks: BacktestHooks,
): Promise<BacktestResult> {
  const factories = { ...DEFAULT_AGENT_FACTORIES, ...hooks.agents };
  const agentNames = rig.policy.requiredAgents ?? [];
  const states: SymbolState[] = prepared.symbols.map((symbol) => ({
    symbol,
    bars: prepared.bars[symbol] ?? [],
    agents: agentNames.map((name) => {
      const factory = factories[name];
      if (factory === undefined) throw new ValidationError('agents', `no agent for '${name}'`);
      return factory(symbol, options);
    }),
    history: [],
    cursor: 0,
  }));
  const history: Record<string, readonly Bar[]> = Object.fromEntries(
    states.map((s) => [s.symbol, s.history]),
  );
  const broker = new PaperBroker({
    initialCashMoney: options.initialCashMoney,
    ...options.costs,
    maxGrossLeverage: options.maxGrossLeverage,
    allowShort: options.allowShort,
    symbols: [...prepared.symbols],
  });
  const meta = new Map<string, OrderMeta>();
  const equity: EquityPoint[] = [];
  const trades: TradeRecord[] = [];
  const decisions: DecisionRecord[] = [];
  const closes: Record<string, Map<number, number>> = {};
  const stats = { bars: 0, signals: 0, decisions: 0, orders: 0, rejectedOrders: 0 };
  const runId = options.runId;

  for (const t of prepared.timeline) {
    if (hooks.signal?.aborted) throw new ConclaveError('CANCELLED', `backtest ${runId} cancelled`);
    if (t > rig.clock.now()) await rig.clock.advance(t - rig.clock.now());
    const trading = t >= prepared.tradeFromMs;
    if (trading && hooks.pace) await hooks.pace(t);
    const active: SymbolState[] = [];
    for (const s of states) {
      const bar = s.bars[s.cursor];
      if (bar === undefined || bar.timestamp !== t) continue;
      s.cursor++;
      s.history.push(bar);
      for (const agent of s.agents) agent.update(bar);
      if (!trading) continue;
      stats.bars++;
      (closes[s.symbol] ??= new Map()).set(t, bar.close);
      const report = broker.onBar(s.symbol, bar);
      stats.rejectedOrders += report.rejected.length;
      for (const fill of report.fills) {
        const m = meta.get(fill.orderId);
        trades.push({
          orderId: fill.orderId,
          corrId: m?.corrId ?? '',
          symbol: fill.symbol,
          side: fill.side,
          quantity: fill.quantity,
          priceMoney: fill.price,
          commissionMoney: fill.commissionMoney,
          signalTimestampMs: m?.signalTimestampMs ?? Number.NaN,
          fillTimestampMs: fill.timestampMs,
          intent: m?.intent ?? '',
        });
      }
      active.push(s);
    }
    if (!trading || active.length === 0) continue;

    const holdings: Holding[] = broker
      .positions()
      .filter((p) => p.quantity !== 0)
      .map((p) => ({ symbol: p.symbol, valueMoney: p.quantity * p.markPrice }));
    const equityMoney = broker.equityMoney();
    const trends = new Map<string, string | undefined>();
    const ingests: Promise<unknown>[] = [];
    const iso = isoTime(t);
    const corrIds = active.map((s) => `bt:${runId}:${s.symbol}:${t}`);
    for (let i = 0; i < active.length; i++) {
      const s = active[i]!;
      const corrId = corrIds[i]!;
      const context = {
        symbol: s.symbol,
        timestampMs: t,
        equityMoney,
        peakEquityMoney: broker.peakEquityMoney,
        positionUnits: broker.positionUnits(s.symbol),
        history,
        holdings,
      };
      const bar = s.bars[s.cursor - 1] as Bar;
      const source: NormalizedSignal = {
        corr_id: corrId,
        instrument: s.symbol,
        timestamp: iso,
        source: 'backtest',
        signal_type: 'bar_close',
        payload: { close: bar.close, volume: bar.volume },
      };
      for (const agent of s.agents) {
        const analysis = agent.analyze(context);
        if (agent.name === 'momentum') trends.set(s.symbol, String(analysis['trend_direction']));
        stats.signals++;
        ingests.push(
          rig.coordinator.ingest(toEnrichedSignal(agent.name, agent.version, analysis, source, iso)),
        );
      }
    }
    await Promise.all(ingests);

    for (let i = 0; i < active.length; i++) {
      const s = active[i]!;
      const corrId = corrIds[i]!;
      const decision = rig.takeDecision(corrId);
      if (decision === undefined) {
        throw new ConclaveError('INTERNAL', `the coordinator made no decision for ${corrId}`);
      }
      stats.decisions++;
      decisions.push(act(decision, s.symbol, t, broker, trends.get(s.symbol), options, meta, stats));
    }
    const point = equityPoint(t, broker);
    equity.push(point);
    hooks.onStep?.(point);
  }

  const metricsOptions = { barsPerYear: options.barsPerYear, riskFreeRateAnnual: options.riskFreeRateAnnual };
  const benchmarkEquity = buyAndHoldCurve(
    equity.map((p) => p.timestampMs),
    closes,
    options.initialCashMoney,
  );
  return {
    manifest: buildManifest({
      runId,
      seed: options.seed,
      policy: rig.policy.name,
      interval: prepared.interval,
      bars: prepared.bars,
      config: options,
      tradeFromMs: prepared.tradeFromMs,
      tradeToMs: prepared.tradeToMs,
    }),
    options,
    metrics: computeMetrics(equity, trades, metricsOptions),
    benchmark: computeMetrics(benchmarkEquity, [], metricsOptions),
    equity,
    benchmarkEquity,
    trades,
    decisions,
    stats,
  };
}
