export { ConclaveMetrics } from './metrics.ts';
export { createLogger, logCoordination, logDispatch, type Logger } from './logger.ts';
