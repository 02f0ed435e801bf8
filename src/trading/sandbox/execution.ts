/**
 * The backtest's execution step: a decision becomes a paper-broker order (or none) and a record,
 * and the portfolio is read into an equity point.
 */
import type { Decision } from '../../coordination/index.ts';
import { ValidationError } from '../../core/errors.ts';
import type { PaperBroker } from '../agents/paper-broker.ts';
import type { CompiledBacktestOptions } from './options.ts';
import { positionChange } from './orders.ts';
import type { DecisionRecord, EquityPoint } from './records.ts';

/** What the backtest remembers about an order until it fills. */
export interface OrderMeta {
  readonly corrId: string;
  readonly signalTimestampMs: number;
  readonly intent: string;
}

/**
 * Turns one decision into an order for the symbol's next bar (or none) and records both.
 * @remarks An order the broker refuses at submission (margin, shorts off) is a domain outcome, not
 * a failure: it is recorded on the decision as `rejected` and the run goes on.
 */
export function act(
  decision: Decision,
  symbol: string,
  t: number,
  broker: PaperBroker,
  trend: string | undefined,
  options: CompiledBacktestOptions,
  meta: Map<string, OrderMeta>,
  stats: { orders: number },
): DecisionRecord {
  const change = positionChange(decision, broker.positionUnits(symbol), trend, {
    rebalanceBand: options.strategy.rebalanceBand,
    exitOnTrendReversal: options.strategy.exitOnTrendReversal,
    allowShort: options.allowShort,
  });
  let rejected: string | null = null;
  if (change.deltaUnits !== 0) {
    try {
      const placed = broker.place({
        symbol,
        side: change.deltaUnits > 0 ? 'buy' : 'sell',
        quantity: Math.abs(change.deltaUnits),
      });
      if ('id' in placed) {
        meta.set(placed.id, { corrId: decision.corr_id, signalTimestampMs: t, intent: change.intent });
        stats.orders++;
      } else {
        rejected = `${placed.field}: ${placed.reason}`; // as ValidationError words it
      }
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      rejected = err.message;
    }
  }
  return {
    timestampMs: t,
    symbol,
    corrId: decision.corr_id,
    action: decision.action,
    direction: decision.direction ?? null,
    size: decision.size ?? null,
    confidence: decision.confidence,
    reason: decision.reason,
    route: decision.route.rule,
    orderUnits: rejected === null ? change.deltaUnits : 0,
    intent: change.intent,
    rejected,
  };
}

/** The portfolio at the marks (the last closes): cash, positions value, equity, gross exposure. */
export function equityPoint(t: number, broker: PaperBroker): EquityPoint {
  let value = 0;
  let gross = 0;
  for (const p of broker.positions()) {
    value += p.quantity * p.markPrice;
    gross += Math.abs(p.quantity) * p.markPrice;
  }
  const cash = broker.cashMoney;
  return {
    timestampMs: t,
    cashMoney: cash,
    positionsValueMoney: value,
    equityMoney: cash + value,
    grossExposureMoney: gross,
  };
}
