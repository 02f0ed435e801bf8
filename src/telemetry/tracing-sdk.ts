/**
 * The OpenTelemetry SDK half of tracing.ts, imported only when tracing is enabled.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { setTracingEnabled } from './spans.ts';
import type { TracingConfig } from './tracing.ts';

/**
 * Registers a Node tracer provider (async-local context, W3C trace context propagation) with the
 * configured exporter and sampler, and switches the span helpers on.
 */
export function registerProvider(config: TracingConfig): {
  provider: NodeTracerProvider;
  memory: InMemorySpanExporter | undefined;
} {
  let memory: InMemorySpanExporter | undefined;
  let processor: SpanProcessor;
  switch (config.exporter) {
    case 'otlp':
      processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: config.endpoint }));
      break;
    case 'console':
      processor = new SimpleSpanProcessor(new ConsoleSpanExporter());
      break;
    case 'memory':
      memory = new InMemorySpanExporter();
      processor = new SimpleSpanProcessor(memory);
      break;
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.service_name }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sample_ratio) }),
    spanProcessors: [processor],
  });
  provider.register();
  setTracingEnabled(true);
  return { provider, memory };
}
