export { ConclaveMetrics } from './metrics.ts';
export { createLogger, logDispatch, type Logger } from './logger.ts';
