import { performance } from 'node:perf_hooks';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestMetrics } from '../telemetry/request-metrics.ts';
import type { ConclaveServer } from './server-types.ts';
import { errorBody, toErrorReply } from './error-reply.ts';
import { countUnmatched } from './request-metrics-hook.ts';

/** Sends anything thrown as the API's error reply, logging 500s. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const out = toErrorReply(error, request);
  if (out.serverFault) {
    request.log.error(
      {
        event: 'request_failed',
        method: request.method,
        route: request.routeOptions.url ?? null,
        err: error,
      },
      'request failed',
    );
  }
  return reply.code(out.statusCode).type('application/json').send(out.body);
}

/** Answers a request no route took, and counts it under the `unmatched` route. */
function answerUnmatched(
  metrics: RequestMetrics,
  request: FastifyRequest,
  send: () => FastifyReply,
): FastifyReply {
  const started = performance.now();
  const reply = send();
  countUnmatched(metrics, request.method, reply.statusCode, (performance.now() - started) / 1000);
  return reply;
}

/**
 * For Fastify's `frameworkErrors` option: errors the router raises before any route runs (a bad
 * URL encoding, a path parameter over `maxParamLength`) get the same shape as the rest.
 */
export function frameworkErrorHandler(
  metrics: RequestMetrics,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    answerUnmatched(metrics, request, () => sendError(error, request, reply));
  };
}

/**
 * Installs the error handler and the not-found handler, so every failure — validation, domain,
 * Fastify's own, unknown routes — answers in the one `{ detail, status_code, code }` shape.
 */
export function installErrorHandlers(app: ConclaveServer, metrics: RequestMetrics): void {
  app.setErrorHandler((error, request, reply) =>
    // A request no route takes can be answered by a hook before the not-found handler (401 from
    // authentication, say): it is counted here.
    request.is404
      ? answerUnmatched(metrics, request, () => sendError(error, request, reply))
      : sendError(error, request, reply),
  );
  app.setNotFoundHandler((request, reply) =>
    answerUnmatched(metrics, request, () => {
      const body = errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`);
      return reply.code(body.status_code).type('application/json').send(body);
    }),
  );
}
