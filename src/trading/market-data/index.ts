/**
 * Market data: the bar shape, the source interface and its implementations (CSV files, the bundled
 * vega-datasets data, a seeded generator, Polygon, Yahoo, Alpha Vantage, a fallback chain), and the
 * data validation agent's checks.
 */
export { BAR_INTERVALS, barSchema } from './bar.ts';
export type { Bar, BarInterval } from './bar.ts';
export {
  barRequestSchema,
  inRange,
  INTERVAL_MS,
  isDateInterval,
  resolveBarRequest,
  toTradingDate,
} from './source.ts';
export type { BarRequest, BarSeries, MarketDataSource, ResolvedBarRequest, TimeInput } from './source.ts';
export { parseBarsCsv, parseTimeCell, splitCsvLine } from './csv-bars.ts';
export type { CsvBarsResult, CsvRowError } from './csv-bars.ts';
export { CsvSource } from './csv-source.ts';
export type { CsvSourceOptions } from './csv-source.ts';
export { locateVegaData, VEGA_SPX, VEGA_STOCKS, VegaDatasetsSource } from './vega-source.ts';
export type { VegaDatasetsSourceOptions } from './vega-source.ts';
export { DEFAULT_SYNTHETIC_MODEL, generateSyntheticPath, symbolSeed } from './synthetic-model.ts';
export type { Regime, SyntheticModel, SyntheticPath } from './synthetic-model.ts';
export { SyntheticSource } from './synthetic-source.ts';
export type { SyntheticSourceOptions } from './synthetic-source.ts';
export type { HttpSourceOptions } from './http-json.ts';
export { PolygonSource } from './polygon-source.ts';
export type { PolygonSourceOptions } from './polygon-source.ts';
export { YahooSource } from './yahoo-source.ts';
export type { YahooSourceOptions } from './yahoo-source.ts';
export { AlphaVantageSource } from './alpha-vantage-source.ts';
export type { AlphaVantageSourceOptions } from './alpha-vantage-source.ts';
export { FallbackSource, fallsThroughByDefault } from './fallback-source.ts';
export type { FallbackBarSeries, FallbackSourceOptions, SourceAttempt } from './fallback-source.ts';
export { REJECTION_REASONS, validateBars } from './validate-bars.ts';
export type {
  BarCandidate,
  BarRejection,
  BarsToValidate,
  BarValidation,
  RejectionReason,
  ValidateBarsOptions,
} from './validate-bars.ts';
