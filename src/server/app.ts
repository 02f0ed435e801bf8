import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Conclave } from '../conclave.ts';
import { frameworkErrorHandler, installErrorHandlers } from './error-handlers.ts';
import { agentsRoute } from './routes/agents.ts';
import { aggregateRoute } from './routes/aggregate.ts';
import { docsRoute } from './routes/docs.ts';
import { dlqRoutes } from './routes/dlq.ts';
import { healthRoute } from './routes/health.ts';
import { metricsRoute } from './routes/metrics.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { strategyRoutes } from './routes/strategies.ts';
import { backtestRoutes } from './routes/backtests.ts';
import { BacktestRunner, type BacktestRunnerOptions } from './backtest-runner.ts';
import { orchestrateRoute } from './routes/orchestrate.ts';
import { statusRoute } from './routes/status.ts';
import { decisionsRoute } from './routes/decisions.ts';
import { eventsRoute } from './routes/events.ts';
import { signalsRoute } from './routes/signals.ts';
import { systemRoutes } from './routes/system.ts';
import { installAuth } from './auth-hook.ts';
import { installTracing } from './tracing-hook.ts';
import { installRequestMetrics } from './request-metrics-hook.ts';
import { resolveApiKeys } from './auth.ts';
import { CallbackDelivery } from './callbacks.ts';
import { LiveEventHub } from './event-hub.ts';
import { logListening } from './listen.ts';
import { annotateRouteSecurity, openApiSecurity } from './openapi-security.ts';
import type { ConclaveServer } from './server-types.ts';
import { responseSerializerCompiler } from './serializers.ts';
import { CONCLAVE_VERSION } from './version.ts';
import { withDefaultEvent } from '../telemetry/index.ts';

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
  /**
   * Called once after POST /shutdown has answered 202, to close the server and Conclave
   * gracefully. Without it the route is not served.
   */
  onShutdown?: () => void | Promise<void>;
  /** Where `key_env`, `CONCLAVE_API_KEYS` are read from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /**
   * Check every response against its route's schema before sending it (an error when it fails,
   * or when the schema would change it). For test suites; default false: responses are sent as
   * the routes build them.
   */
  validateResponses?: boolean;
  /** Milliseconds between GET /events heartbeat comments. Default 15 000. */
  sseHeartbeatMs?: number;
  /** How many backtests run at once and wait, and where their bars come from. */
  backtests?: BacktestRunnerOptions;
}

/**
 * Builds the REST API over a Conclave: zod-validated routes, API-key authentication with roles
 * and per-key rate limits, an OpenAPI document at GET /docs/json, live events, signed task
 * callbacks, and one JSON error shape. The instance is not listening; call `listenApi` (or use
 * `inject` in tests). When it gets ready it resumes what a previous process left unfinished:
 * queued or running backtests, and callback deliveries still pending, that this instance
 * (`server.instance_id`) owns — not those of peers sharing the database. Throws `CONFIG_INVALID`
 * for a bad key setup. Without keys it listens on 127.0.0.1 only, whatever `server.host` says
 * (see `listenApi`).
 */
export function buildApp(conclave: Conclave, options: BuildAppOptions = {}): ConclaveServer {
  const server = conclave.config.server;
  const keys = resolveApiKeys(server, options.env ?? process.env);
  // Typed as Fastify's base logger so the instance keeps the ConclaveServer type. Fastify's own
  // lines ("Server listening at …") name no event: they get `http_server`.
  const baseLogger: FastifyBaseLogger = withDefaultEvent(conclave.logger, 'http_server');
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler(conclave.metrics.requests),
    // Conclave's own logger, so server lines share the fields and format of every other line.
    ...(options.logger === true ? { loggerInstance: baseLogger } : { logger: false }),
    // Per-request lines off: errors are logged by the error handler, lifecycle by Fastify.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler(options.validateResponses === true));
  installErrorHandlers(app, conclave.metrics.requests);
  installRequestMetrics(app, conclave.metrics.requests);
  app.decorate('apiKeyCount', keys.length);
  app.decorate('requestedHost', server.host);
  installTracing(app);
  installAuth(app, { keys, openEndpoints: server.open_endpoints, clock: conclave.clock });
  const hub = new LiveEventHub(conclave);
  const callbacks = new CallbackDelivery(
    {
      ...(server.callback_secret === undefined ? {} : { secret: server.callback_secret }),
      timeoutMs: server.callback_timeout_seconds * 1000,
      maxAttempts: server.callback_max_attempts,
      baseDelayMs: server.callback_retry_delay_seconds * 1000,
    },
    {
      dispatcher: conclave.dispatcher,
      clock: conclave.clock,
      logger: conclave.logger,
      store: conclave.store.callbacks,
      instanceId: server.instance_id,
      metrics: conclave.metrics,
    },
  );
  callbacks.start();
  const backtests = new BacktestRunner(
    {
      store: conclave.store,
      clock: conclave.clock,
      logger: conclave.logger,
      instanceId: server.instance_id,
      metrics: conclave.metrics,
    },
    options.backtests,
  );
  // Work a previous process accepted but did not finish resumes before the API takes requests.
  app.addHook('onReady', async () => {
    await backtests.recover();
    await callbacks.resume();
  });
  app.addHook('onListen', (done) => {
    logListening(app, conclave);
    done();
  });
  app.addHook('onClose', async () => {
    hub.close();
    await callbacks.close();
    await backtests.close();
  });
  const openEndpoints = new Set(server.open_endpoints);
  app.addHook('onRoute', (route) => annotateRouteSecurity(route, openEndpoints, keys.length > 0));
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Conclave',
        description:
          'Multi-agent orchestration for algorithmic trading: task routing, signals, decisions, workflows, strategies, backtests, live events, dead letters.',
        version: CONCLAVE_VERSION,
      },
      ...openApiSecurity(keys.length > 0),
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
    signalsRoute(instance, conclave);
    decisionsRoute(instance, conclave);
    eventsRoute(instance, { hub, heartbeatMs: options.sseHeartbeatMs ?? 15_000 });
    systemRoutes(instance, conclave, options.onShutdown);
    strategyRoutes(instance, conclave);
    backtestRoutes(instance, conclave, backtests);
    docsRoute(instance);
    done();
  });
  return app;
}
