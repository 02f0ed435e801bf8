/** The server layer's public face: the Fastify REST API over a Conclave. */
export { buildApp, BODY_LIMIT_BYTES } from './app.ts';
export type { BuildAppOptions } from './app.ts';
export type { ConclaveServer } from './server-types.ts';
export type { ErrorBody } from './api-schemas.ts';
export { readHealth } from './routes/health.ts';
export type { HealthReport } from './routes/health.ts';
export { CONCLAVE_VERSION } from './version.ts';
export { listenApi, bindHost, isLoopbackHost } from './listen.ts';
export type { ListenApiOptions } from './listen.ts';
export { signCallback, SIGNATURE_HEADER, CallbackDelivery } from './callbacks.ts';
export type { Role } from './auth.ts';
