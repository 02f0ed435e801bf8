import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import {
  endSpan,
  extractContext,
  runInContext,
  startTraced,
  tracingEnabled,
  type Traced,
} from '../telemetry/index.ts';
import type { ConclaveServer } from './server-types.ts';

/**
 * Installs a span per HTTP request (`<METHOD> <route>`, with method, route and status), continuing
 * the caller's trace when the request carries `traceparent`. The route handler runs with the span
 * active, so a task it submits gets its `dispatch` span as a child.
 * @remarks Installs nothing when tracing is off, so requests then pay no hook at all. The span is
 * activated in `preHandler`, not `onRequest`: the body is read in between, on the socket's events,
 * outside any context set earlier; a callback-style hook runs the handler synchronously inside.
 */
export function installTracing(app: ConclaveServer): void {
  if (!tracingEnabled()) return;
  const spans = new WeakMap<FastifyRequest, Traced>();
  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const parent = extractContext(request.headers);
    const attributes = {
      'http.request.method': request.method,
      'http.route': route,
      'url.path': request.url.split('?', 1)[0] ?? request.url,
    };
    spans.set(request, startTraced(`${request.method} ${route}`, attributes, parent));
    done();
  });
  app.addHook(
    'preHandler',
    (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const traced = spans.get(request);
      if (traced === undefined) done();
      else runInContext(traced.context, done);
    },
  );
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const traced = spans.get(request);
    if (traced !== undefined) {
      spans.delete(request);
      const status = reply.statusCode;
      const error = status >= 500 ? `HTTP ${status}` : undefined;
      endSpan(traced.span, error, { 'http.response.status_code': status });
    }
    done();
  });
  app.addHook('onRequestAbort', (request: FastifyRequest, done: HookHandlerDoneFunction) => {
    const traced = spans.get(request);
    spans.delete(request);
    if (traced !== undefined) endSpan(traced.span, 'client aborted the request');
    done();
  });
}
