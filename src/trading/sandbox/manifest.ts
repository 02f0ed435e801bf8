/**
 * The run manifest: what a backtest ran on and with, hashed, so a result can be reproduced and
 * two results compared.
 */
import { createHash } from 'node:crypto';
import { CONCLAVE_VERSION } from '../../core/version.ts';
import type { Bar, BarInterval } from '../market-data/bar.ts';

/** Names the manifest's own layout, so a reader can tell which fields to expect. */
export const MANIFEST_FORMAT = 'conclave.backtest.manifest/1';

/** What a run was made of. No wall-clock time: the same inputs give the same manifest. */
export interface RunManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly runId: string;
  readonly codeVersion: string;
  readonly seed: number;
  /** sha256 of the bars the run read (warm-up included), see {@link hashBars}. */
  readonly dataHash: string;
  /** sha256 of the canonical JSON of the compiled options. */
  readonly configHash: string;
  readonly policy: string;
  readonly interval: BarInterval;
  readonly symbols: readonly string[];
  readonly barCount: number;
  readonly tradeFromMs: number;
  readonly tradeToMs: number;
}

/**
 * JSON with object keys sorted at every level, so equal values always give equal bytes.
 * @remarks Numbers use JavaScript's shortest round-trip form; non-finite numbers become null, as
 * JSON.stringify makes them.
 */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

/** sha256 (hex) of a string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * sha256 of bars by symbol: symbols sorted, one `symbol` line then one
 * `timestamp,open,high,low,close,volume` line per bar.
 */
export function hashBars(bars: Readonly<Record<string, readonly Bar[]>>): string {
  const hash = createHash('sha256');
  for (const symbol of Object.keys(bars).sort()) {
    hash.update(`${symbol}\n`);
    for (const b of bars[symbol] ?? []) {
      hash.update(`${b.timestamp},${b.open},${b.high},${b.low},${b.close},${b.volume}\n`);
    }
  }
  return hash.digest('hex');
}

/** Builds a manifest; the config hash covers every compiled option. */
export function buildManifest(input: {
  runId: string;
  seed: number;
  policy: string;
  interval: BarInterval;
  bars: Readonly<Record<string, readonly Bar[]>>;
  config: unknown;
  tradeFromMs: number;
  tradeToMs: number;
}): RunManifest {
  const symbols = Object.keys(input.bars).sort();
  return {
    format: MANIFEST_FORMAT,
    runId: input.runId,
    codeVersion: CONCLAVE_VERSION,
    seed: input.seed,
    dataHash: hashBars(input.bars),
    configHash: sha256Hex(canonicalJson(input.config)),
    policy: input.policy,
    interval: input.interval,
    symbols,
    barCount: symbols.reduce((n, s) => n + (input.bars[s]?.length ?? 0), 0),
    tradeFromMs: input.tradeFromMs,
    tradeToMs: input.tradeToMs,
  };
}
