/** Shared by the tracing tests: an in-memory exporter config, a caller's trace, span lookups. */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterEach, expect } from 'vitest';
import { startTracing, type TracingConfig, type TracingHandle } from '../../src/telemetry/index.ts';

export const MEMORY: TracingConfig = {
  enabled: true,
  exporter: 'memory',
  endpoint: 'http://127.0.0.1:4318/v1/traces',
  service_name: 'conclave-test',
  sample_ratio: 1,
};

/** A caller's trace: trace id, its span id, sampled. */
export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const CALLER_SPAN = '00f067aa0ba902b7';
export const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

/** The one span called `name` (fails the test when there are none or several). */
export function named(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found, `one '${name}' span among ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
  return found[0]!;
}

export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

export function idOf(span: ReadableSpan): string {
  return span.spanContext().spanId;
}

/**
 * Tracing per test, for a test file's top level: `start` turns tracing on (in memory unless told
 * otherwise); after each test its `cleanups` run, last first, and then tracing is shut down.
 */
export function tracingPerTest(): {
  start: (config?: TracingConfig) => Promise<TracingHandle>;
  cleanups: (() => Promise<void>)[];
} {
  let handle: TracingHandle | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await handle?.shutdown();
    handle = undefined;
  });
  return { cleanups, start: async (config = MEMORY) => (handle = await startTracing(config)) };
}
