/**
 * OpenTelemetry tracing: one provider per process, started from config, off by default.
 * @remarks The OpenTelemetry API is process-global (one tracer provider, one context manager, one
 * propagator), so tracing is too. Two Conclaves in one process share the provider the first one
 * started; it shuts down when the last of them closes. The SDK and its exporters (~17 MB resident)
 * are loaded only when tracing is enabled (tracing-sdk.ts).
 */
import { context, propagation, trace } from '@opentelemetry/api';
import type { InMemorySpanExporter, NodeTracerProvider, ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { setTracingEnabled } from './spans.ts';

/** The `telemetry.tracing` config section, as validated. */
export interface TracingConfig {
  enabled: boolean;
  /** `otlp`: OTLP/HTTP to `endpoint`; `console`: stdout; `memory`: kept for {@link TracingHandle.finishedSpans}. */
  exporter: 'otlp' | 'console' | 'memory';
  /** The OTLP/HTTP traces URL (e.g. `http://localhost:4318/v1/traces`). */
  endpoint: string;
  service_name: string;
  /** Fraction of new traces sampled (0–1); a trace continued from a caller follows its flag. */
  sample_ratio: number;
}

/** A started (or disabled) tracing setup. */
export interface TracingHandle {
  readonly enabled: boolean;
  /** Spans ended so far, with the `memory` exporter; empty otherwise. */
  finishedSpans(): ReadableSpan[];
  /** Forgets the spans kept by the `memory` exporter. */
  reset(): void;
  /** Exports spans still buffered. */
  forceFlush(): Promise<void>;
  /** Flushes, then stops tracing (once the last handle sharing the provider shuts down). */
  shutdown(): Promise<void>;
}

/** The provider in use, shared by every handle. */
interface Active {
  provider: NodeTracerProvider;
  memory: InMemorySpanExporter | undefined;
  users: number;
}

let active: Active | undefined;

const DISABLED: TracingHandle = {
  enabled: false,
  finishedSpans: () => [],
  reset: () => undefined,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/**
 * Starts tracing when `config.enabled`: registers a Node tracer provider (async-local context,
 * W3C trace context propagation) with the configured exporter and sampler. Disabled, it returns
 * a handle that does nothing, and the API's no-op tracer stays in place.
 */
export async function startTracing(config: TracingConfig): Promise<TracingHandle> {
  if (!config.enabled) return DISABLED;
  if (active === undefined) {
    const { registerProvider } = await import('./tracing-sdk.ts');
    active ??= { ...registerProvider(config), users: 0 };
  }
  const current = active;
  current.users++;
  let shut = false;
  return {
    enabled: true,
    finishedSpans: () => current.memory?.getFinishedSpans() ?? [],
    reset: () => current.memory?.reset(),
    forceFlush: () => current.provider.forceFlush(),
    shutdown: async () => {
      if (shut) return;
      shut = true;
      if (--current.users > 0) return;
      if (active === current) active = undefined;
      try {
        await current.provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        setTracingEnabled(false); // after disable, so the helpers hold the no-op tracer again
      }
    },
  };
}
