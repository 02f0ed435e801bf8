import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { RequestMetrics, RouteRequests } from '../telemetry/request-metrics.ts';
import type { ConclaveServer } from './server-types.ts';

/** The route label of requests no route matched (their paths are not labels: unbounded). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts every answered request into `orchestrator_requests_total` and
 * `orchestrator_request_duration_seconds`: each route gets its own `onResponse` hook, bound to its
 * method and route when the route is added, so a request pays no lookup. The duration is
 * Fastify's own (`reply.elapsedTime`, from routing to the response written). Must be installed
 * before the routes are added. Requests no route matches are counted by {@link countUnmatched}.
 */
export function installRequestMetrics(app: ConclaveServer, metrics: RequestMetrics): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const byMethod = new Map<string, RouteRequests>(
      methods.map((m) => [m, metrics.route(m, route.url)] as const),
    );
    const single = methods.length === 1 ? byMethod.get(methods[0]!)! : undefined;
    const hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
      const counts = single ?? byMethod.get(request.method);
      counts?.record(reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [...asArray(route.onResponse), hook];
  });
}

/** Counts a request no route matched, as it is answered (from the not-found handler). */
export function countUnmatched(
  metrics: RequestMetrics,
  method: string,
  statusCode: number,
  seconds: number,
): void {
  metrics.route(method, UNMATCHED_ROUTE).record(statusCode, seconds);
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
