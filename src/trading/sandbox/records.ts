/**
 * What a backtest records: the equity curve, the fills and the decisions.
 */

/** The portfolio after the close of one bar time. */
export interface EquityPoint {
  readonly timestampMs: number;
  readonly cashMoney: number;
  /** Σ units × close over the positions (negative for shorts). */
  readonly positionsValueMoney: number;
  /** cash + positions value. */
  readonly equityMoney: number;
  /** Σ |units| × close. */
  readonly grossExposureMoney: number;
}

/** One fill, with the decision it came from. */
export interface TradeRecord {
  readonly orderId: string;
  readonly corrId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: number;
  /** The fill price, slippage included. */
  readonly priceMoney: number;
  readonly commissionMoney: number;
  /** The bar whose close the decision was made on. */
  readonly signalTimestampMs: number;
  /** The bar whose open it filled at: the symbol's next bar after the signal's. */
  readonly fillTimestampMs: number;
  readonly intent: string;
}

/** One coordinator decision and what the backtest did with it. */
export interface DecisionRecord {
  readonly timestampMs: number;
  readonly symbol: string;
  readonly corrId: string;
  readonly action: string;
  readonly direction: string | null;
  readonly size: number | null;
  readonly confidence: number;
  readonly reason: string;
  readonly route: string;
  /** The signed units ordered (0 for none). */
  readonly orderUnits: number;
  readonly intent: string;
  /** Why the broker refused the order, when it did. */
  readonly rejected: string | null;
}
