/** Shared helpers for benchmarks: percentiles, heap measurement, table printing, a free port. */
import { createServer } from 'node:net';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** Forces a full GC when node runs with --expose-gc (npm run bench does). */
export async function gc(): Promise<void> {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run benchmarks with node --expose-gc (npm run bench does)');
  for (let i = 0; i < 3; i++) {
    g();
    await new Promise((r) => setImmediate(r));
  }
}

export async function heapUsed(): Promise<number> {
  await gc();
  return process.memoryUsage().heapUsed;
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}
