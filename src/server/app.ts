import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Conclave } from '../conclave.ts';
import { frameworkErrorHandler, installErrorHandlers } from './error-handlers.ts';
import { agentsRoute } from './routes/agents.ts';
import { aggregateRoute } from './routes/aggregate.ts';
import { docsRoute } from './routes/docs.ts';
import { dlqRoutes } from './routes/dlq.ts';
import { healthRoute } from './routes/health.ts';
import { metricsRoute } from './routes/metrics.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { orchestrateRoute } from './routes/orchestrate.ts';
import { statusRoute } from './routes/status.ts';
import type { ConclaveServer } from './server-types.ts';
import { CONCLAVE_VERSION } from './version.ts';

/** The largest request body the API reads; larger ones are refused with 413. */
export const BODY_LIMIT_BYTES = 1_048_576;

/**
 * Longest path parameter the router matches. Above the ids' schema limit (200), so an over-long
 * id gets the schema's 400 naming the field; only longer paths stop at the router.
 */
const MAX_PARAM_LENGTH = 256;

/** Options for {@link buildApp}. */
export interface BuildAppOptions {
  /** Log through Conclave's logger (errors and lifecycle; no per-request lines). Default false. */
  logger?: boolean;
}

/**
 * Builds the REST API over a Conclave: zod-validated routes, an OpenAPI document at
 * GET /docs/json, and one JSON error shape. The instance is not listening; call `listen` (or use
 * `inject` in tests).
 */
export function buildApp(conclave: Conclave, options: BuildAppOptions = {}): ConclaveServer {
  // Typed as Fastify's base logger so the instance keeps the ConclaveServer type.
  const baseLogger: FastifyBaseLogger = conclave.logger;
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler,
    // Conclave's own logger, so server lines share the fields and format of every other line.
    ...(options.logger === true ? { loggerInstance: baseLogger } : { logger: false }),
    // Per-request lines off: errors are logged by the error handler, lifecycle by Fastify.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Conclave',
        description: 'Multi-agent orchestration for algorithmic trading: task routing, status, dead letters.',
        version: CONCLAVE_VERSION,
      },
    },
    transform: jsonSchemaTransform,
  });
  // Registered as a plugin so the routes load after swagger, whose onRoute hook must see them.
  void app.register((instance: ConclaveServer, _opts, done) => {
    orchestrateRoute(instance, conclave);
    statusRoute(instance, conclave);
    aggregateRoute(instance, conclave);
    healthRoute(instance, conclave);
    metricsRoute(instance, conclave);
    workflowRoutes(instance, conclave);
    agentsRoute(instance, conclave);
    dlqRoutes(instance, conclave);
    docsRoute(instance);
    done();
  });
  return app;
}
