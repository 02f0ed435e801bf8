export { ConclaveMetrics } from './metrics.ts';
export {
  createLogger,
  logCoordination,
  logDispatch,
  logWorkflows,
  withDefaultEvent,
  type Logger,
} from './logger.ts';
export { startTracing, type TracingConfig, type TracingHandle } from './tracing.ts';
export {
  endSpan,
  extractContext,
  injectHeaders,
  runInContext,
  startTraced,
  tracingEnabled,
  withSpan,
  type Traced,
} from './spans.ts';
