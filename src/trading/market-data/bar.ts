/**
 * The one shape of market data every source returns and every agent, planner and backtest reads.
 */
import { z } from 'zod';

/** A positive, finite price. */
const price = z
  .number({ error: 'must be a number' })
  .refine(Number.isFinite, { error: 'must be a finite number' })
  .refine((v) => v > 0, { error: 'must be greater than 0' });

/**
 * One OHLCV bar. `timestamp` is the bar's open time in epoch milliseconds (UTC).
 * @remarks The schema checks each field; the cross-field and cross-row checks (high ≥ low, order,
 * duplicates, gaps) belong to the data validation agent, which reports them with the row.
 */
export const barSchema = z.object({
  timestamp: z
    .number({ error: 'must be epoch milliseconds' })
    .int({ error: 'must be an integer (epoch ms)' }),
  open: price,
  high: price,
  low: price,
  close: price,
  volume: z
    .number({ error: 'must be a number' })
    .refine(Number.isFinite, { error: 'must be a finite number' })
    .refine((v) => v >= 0, { error: 'must be 0 or more' }),
});

/** One validated OHLCV bar. */
export type Bar = Readonly<z.output<typeof barSchema>>;

/** The bar intervals Conclave's sources understand. */
export const BAR_INTERVALS = ['1m', '5m', '15m', '1h', '1d', '1wk', '1mo'] as const;
/** One of {@link BAR_INTERVALS}. */
export type BarInterval = (typeof BAR_INTERVALS)[number];
