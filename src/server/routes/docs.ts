import type { ConclaveServer } from '../server-types.ts';

/** GET /docs/json: the OpenAPI document @fastify/swagger builds from the routes' zod schemas. */
export function docsRoute(app: ConclaveServer): void {
  app.get('/docs/json', { schema: { hide: true } }, () => app.swagger());
}
