import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import { documentedRole } from './auth.ts';

/**
 * The OpenAPI document's security part: the two ways to send a key (bearer token, `X-API-Key`),
 * required on every operation unless the route says otherwise. Empty when no key is configured.
 */
export function openApiSecurity(enabled: boolean): FastifyDynamicSwaggerOptions['openapi'] & object {
  if (!enabled) return {};
  return {
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
  };
}

/**
 * An `onRoute` hook body: marks open endpoints as needing no key and names the role every other
 * route needs in its description, so the document says what the auth hook enforces.
 * @remarks Runs before the OpenAPI plugin's own `onRoute` hook, which copies the schema.
 */
export function annotateRouteSecurity(
  route: RouteOptions,
  openEndpoints: ReadonlySet<string>,
  enabled: boolean,
): void {
  if (!enabled || route.schema === undefined) return;
  const schema = route.schema as Record<string, unknown>;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (openEndpoints.has(route.url)) {
    schema['security'] = [];
    return;
  }
  const role = documentedRole(String(methods[0]), route.url);
  const note = `Requires an API key with role ${role}.`;
  const description = typeof schema['description'] === 'string' ? `${schema['description']} ` : '';
  schema['description'] = `${description}${note}`;
}
