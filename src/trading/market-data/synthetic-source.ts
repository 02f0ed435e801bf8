/**
 * A seeded source of synthetic bars for any symbol: for tests, demos and stress scenarios.
 */
import { z } from 'zod';
import { ValidationError } from '../../core/errors.ts';
import type { BarInterval } from './bar.ts';
import { resolveBarRequest, seriesOf } from './source.ts';
import type { BarRequest, BarSeries, MarketDataSource } from './source.ts';
import {
  DEFAULT_SYNTHETIC_MODEL,
  alignBarTime,
  generateSyntheticPath,
  nextBarTime,
} from './synthetic-model.ts';
import type { SyntheticModel } from './synthetic-model.ts';

/** Options for {@link SyntheticSource}. */
export interface SyntheticSourceOptions {
  /** The generator seed; with the symbol it fixes every bar. */
  seed: number;
  /** Where every series starts (epoch ms). Default 2010-01-04. */
  startMs?: number;
  /** Bars per series when a request has no `to`. Default 2520 (ten years of trading days). */
  barCount?: number;
  /** Refuses requests that would need more bars than this. Default 2,000,000. */
  maxBars?: number;
  /** Regimes and switch probabilities. Default {@link DEFAULT_SYNTHETIC_MODEL}. */
  model?: SyntheticModel;
  /** What {@link SyntheticSource.listSymbols} reports; any symbol can be fetched. Default none. */
  symbols?: readonly string[];
  /** Default `synthetic`. */
  name?: string;
}

const modelSchema = z
  .object({
    regimes: z
      .array(
        z.object({
          name: z.string().min(1),
          annualDrift: z.number().refine(Number.isFinite),
          annualVolatility: z.number().nonnegative(),
          volumeMultiplier: z.number().positive(),
        }),
      )
      .min(1),
    transitions: z.array(z.array(z.number().min(0).max(1))),
    stepsPerBar: z.number().int().min(1).max(1000),
  })
  .refine((m) => m.transitions.length === m.regimes.length, {
    error: 'needs one transitions row per regime',
    path: ['transitions'],
  })
  .refine(
    (m) =>
      m.transitions.every(
        (row) => row.length === m.regimes.length && Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9,
      ),
    { error: 'each transitions row needs one probability per regime, summing to 1', path: ['transitions'] },
  );

const optionsSchema = z.object({
  seed: z.number().int(),
  startMs: z
    .number()
    .int()
    .default(Date.UTC(2010, 0, 4)),
  barCount: z.number().int().min(1).default(2520),
  maxBars: z.number().int().min(1).default(2_000_000),
  model: modelSchema.optional(),
  symbols: z.array(z.string()).default([]),
  name: z.string().min(1).default('synthetic'),
});

/**
 * Generates bars with {@link generateSyntheticPath}: deterministic per (seed, symbol, interval).
 * @remarks Every series starts at `startMs` and a request only selects a window of it, so the bar
 * for a given date is the same whatever range is asked for. Daily bars fall on weekdays.
 */
export class SyntheticSource implements MarketDataSource {
  readonly name: string;
  readonly #options: z.output<typeof optionsSchema>;
  readonly #model: SyntheticModel;

  constructor(options: SyntheticSourceOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ValidationError(
        ['options', ...(issue?.path ?? []).map(String)].join('.'),
        issue?.message ?? 'is invalid',
      );
    }
    this.#options = parsed.data;
    this.#model = parsed.data.model ?? DEFAULT_SYNTHETIC_MODEL;
    this.name = parsed.data.name;
  }

  listSymbols(): Promise<readonly string[]> {
    return Promise.resolve([...this.#options.symbols]);
  }

  fetchBars(request: BarRequest): Promise<BarSeries> {
    try {
      const req = resolveBarRequest(request);
      const count =
        req.toMs === undefined ? this.#options.barCount : this.#countUntil(req.interval, req.toMs);
      const { bars } = generateSyntheticPath(
        this.#model,
        this.#options.seed,
        req.symbol,
        req.interval,
        this.#options.startMs,
        count,
      );
      return Promise.resolve(seriesOf(req, this.name, bars));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new ValidationError('request', String(err)));
    }
  }

  /** How many bars from the start reach `toMs`. */
  #countUntil(interval: BarInterval, toMs: number): number {
    let count = 0;
    for (let t = alignBarTime(interval, this.#options.startMs); t <= toMs; t = nextBarTime(interval, t)) {
      if (++count > this.#options.maxBars) {
        throw new ValidationError(
          'request.to',
          `needs more than ${this.#options.maxBars} ${interval} bars from the start`,
        );
      }
    }
    return count;
  }
}
